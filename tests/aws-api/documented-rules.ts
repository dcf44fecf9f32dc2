import { AWS_LIMITS, iamPolicyCharacters, rangeOf, type AwsLimit } from "../../components/aws-limits";
import { LOG_RETENTION_DAYS } from "../../components/settings-schema";
import type { ApiRequest } from "./api-requests";

/**
 * What AWS refuses that its API models do not encode: constraints the model states only in its
 * documentation, and rules that span members or requests. Each cites its source (AWS_LIMITS holds the
 * numbers, and the config schemas use the same entries).
 */

/** A member (a path of model member names) held to a limit, in the requests of one operation. */
const FIELD_RULES: { service: string; operation: string; path: string; limit: AwsLimit | { oneOf: readonly number[]; source: string } }[] =
  [
    { service: "rds", operation: "CreateDBInstance", path: "MasterUsername", limit: AWS_LIMITS.rdsMasterUsername },
    { service: "rds", operation: "CreateDBInstance", path: "DBName", limit: AWS_LIMITS.rdsPostgresDatabaseName },
    { service: "rds", operation: "CreateDBInstance", path: "AllocatedStorage", limit: AWS_LIMITS.rdsGp3StorageGiB },
    { service: "rds", operation: "CreateDBInstance", path: "MaxAllocatedStorage", limit: AWS_LIMITS.rdsGp3StorageGiB },
    { service: "rds", operation: "CreateDBInstance", path: "BackupRetentionPeriod", limit: AWS_LIMITS.rdsBackupRetentionDays },
    { service: "rds", operation: "CreateDBProxy", path: "IdleClientTimeout", limit: AWS_LIMITS.rdsProxyIdleClientTimeoutSeconds },
    {
      service: "rds",
      operation: "ModifyDBProxyTargetGroup",
      path: "ConnectionPoolConfig.ConnectionBorrowTimeout",
      limit: AWS_LIMITS.rdsProxyConnectionBorrowTimeoutSeconds,
    },
    {
      service: "rds",
      operation: "ModifyDBProxyTargetGroup",
      path: "ConnectionPoolConfig.MaxConnectionsPercent",
      limit: AWS_LIMITS.rdsProxyMaxConnectionsPercent,
    },
    {
      service: "apigatewayv2",
      operation: "CreateAuthorizer",
      path: "JwtConfiguration.Issuer",
      limit: AWS_LIMITS.apiGatewayJwtIssuerCharacters,
    },
    { service: "lambda", operation: "CreateFunction", path: "Timeout", limit: AWS_LIMITS.lambdaTimeoutSeconds },
    {
      service: "codedeploy",
      operation: "CreateDeployment",
      path: "description",
      limit: AWS_LIMITS.codedeployDeploymentDescriptionCharacters,
    },
    { service: "lambda", operation: "CreateFunction", path: "MemorySize", limit: AWS_LIMITS.lambdaMemoryMB },
    { service: "sqs", operation: "CreateQueue", path: "Attributes.VisibilityTimeout", limit: AWS_LIMITS.sqsVisibilityTimeoutSeconds },
    { service: "sqs", operation: "CreateQueue", path: "Attributes.MessageRetentionPeriod", limit: AWS_LIMITS.sqsMessageRetentionSeconds },
    { service: "sqs", operation: "CreateQueue", path: "Attributes.MaximumMessageSize", limit: AWS_LIMITS.sqsMaximumMessageBytes },
    {
      service: "logs",
      operation: "PutRetentionPolicy",
      path: "retentionInDays",
      limit: {
        oneOf: LOG_RETENTION_DAYS,
        source: "CloudWatch Logs API model, PutRetentionPolicy retentionInDays (its documentation lists them)",
      },
    },
  ];

const normal = (name: string) => name.toLowerCase().replace(/[_-]/g, "");

/** The value at a path of member names in a request whose keys may be Pulumi's (matched without case). */
function valueAt(request: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((value, part) => {
    if (typeof value !== "object" || value === null) return undefined;
    const entry = Object.entries(value).find(([key]) => normal(key) === normal(part) || normal(key) === `${normal(part)}s`);
    return entry?.[1];
  }, request);
}

function limitProblem(value: unknown, limit: AwsLimit | { oneOf: readonly number[]; source: string }): string | undefined {
  if ("oneOf" in limit) return limit.oneOf.includes(Number(value)) ? undefined : `is ${value}; one of ${limit.oneOf.join(", ")}`;
  if (typeof value === "string" && limit.pattern) {
    if (!limit.pattern.test(value)) return `${JSON.stringify(value)} does not match ${limit.pattern}`;
    if (limit.max !== undefined && value.length > limit.max) return `is ${value.length} characters; at most ${limit.max}`;
    return undefined;
  }
  const number = typeof value === "string" && limit.pattern === undefined && !/^\d+$/.test(value) ? value.length : Number(value);
  const what = typeof value === "string" && !/^\d+$/.test(value) ? "characters" : "";
  if ((limit.min !== undefined && number < limit.min) || (limit.max !== undefined && number > limit.max))
    return `is ${number}${what ? ` ${what}` : ""}; ${rangeOf(limit)}`;
  return undefined;
}

const RESERVED_HTTP_ROUTE = /^\$default$/;
const WEBSOCKET_ROUTE = /^(\$connect|\$disconnect|\$default|[A-Za-z0-9_-]{1,128})$/;
/** HTTP API route keys: "Working with routes for HTTP APIs" (whole-segment variables, greedy only last, no empty segment). */
const HTTP_ROUTE =
  /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) \/(?:(?:[\w\-.~]+|\{[A-Za-z_]\w*\})(?:\/(?:[\w\-.~]+|\{[A-Za-z_]\w*\}))*(?:\/\{[A-Za-z_]\w*\+\})?|\{[A-Za-z_]\w*\+\})?$/;

/** Lambda's filter syntax: every value of a pattern is a non-empty list or a map of more ("Lambda event filtering"). */
function filterSyntaxProblem(value: unknown, path: string): string | undefined {
  if (Array.isArray(value)) return value.length > 0 ? undefined : `${path} is an empty list`;
  if (typeof value !== "object" || value === null || Object.keys(value).length === 0) return `${path} is not a list of values`;
  for (const [key, inner] of Object.entries(value)) {
    const problem = filterSyntaxProblem(inner, `${path}.${key}`);
    if (problem) return problem;
  }
  return undefined;
}

/** Every documented rule over the requests of one stack; each problem names the request and the source. */
export function documentedRuleViolations(requests: (ApiRequest & { resource: string })[], apiProtocols: Map<string, string>): string[] {
  const problems: string[] = [];
  const of = (service: string, operation: string) =>
    requests.filter((request) => request.service === service && request.operation === operation);

  for (const rule of FIELD_RULES)
    for (const { request, resource } of of(rule.service, rule.operation)) {
      const value = valueAt(request, rule.path);
      const problem = value === undefined ? undefined : limitProblem(value, rule.limit);
      if (problem) problems.push(`${resource}: ${rule.service} ${rule.operation} ${rule.path} ${problem} (${rule.limit.source})`);
    }

  // IAM: a role's inline policies share 10,240 characters; a managed policy holds 6,144; a role takes 10 managed policies.
  const inline = new Map<string, number>();
  for (const { request } of of("iam", "PutRolePolicy"))
    inline.set(String(request.RoleName), (inline.get(String(request.RoleName)) ?? 0) + iamPolicyCharacters(String(request.PolicyDocument)));
  for (const [role, characters] of inline)
    if (characters > AWS_LIMITS.iamRoleInlinePolicyCharacters.max)
      problems.push(
        `role ${role}: its inline policies are ${characters} characters; ${AWS_LIMITS.iamRoleInlinePolicyCharacters.source} allows ${AWS_LIMITS.iamRoleInlinePolicyCharacters.max}`,
      );
  for (const { request, resource } of of("iam", "CreatePolicy")) {
    const characters = iamPolicyCharacters(String(request.PolicyDocument));
    if (characters > AWS_LIMITS.iamManagedPolicyCharacters.max)
      problems.push(
        `${resource}: managed policy of ${characters} characters; at most ${AWS_LIMITS.iamManagedPolicyCharacters.max} (${AWS_LIMITS.iamManagedPolicyCharacters.source})`,
      );
  }
  const attached = new Map<string, number>();
  for (const { request } of of("iam", "AttachRolePolicy"))
    attached.set(String(request.RoleName), (attached.get(String(request.RoleName)) ?? 0) + 1);
  for (const [role, count] of attached)
    if (count > AWS_LIMITS.iamManagedPoliciesPerRole.max)
      problems.push(
        `role ${role}: ${count} managed policies; at most ${AWS_LIMITS.iamManagedPoliciesPerRole.max} (${AWS_LIMITS.iamManagedPoliciesPerRole.source})`,
      );

  // RDS: storage autoscaling's ceiling at least 10% above the allocated storage.
  for (const { request, resource } of of("rds", "CreateDBInstance")) {
    const allocated = Number(request.allocatedStorage);
    const ceiling = request.maxAllocatedStorage === undefined ? undefined : Number(request.maxAllocatedStorage);
    const headroom = AWS_LIMITS.rdsMaxStorageHeadroomPercent;
    if (ceiling !== undefined && ceiling > 0 && ceiling * 100 < allocated * (100 + headroom.min))
      problems.push(
        `${resource}: MaxAllocatedStorage ${ceiling} is less than 10% above AllocatedStorage ${allocated} (${headroom.source})`,
      );
  }

  // Lambda: a function's environment is 4 KB in all; a batch over 10 needs a batching window; filters use Lambda's syntax.
  for (const { request, resource } of of("lambda", "CreateFunction")) {
    const variables = (valueAt(request, "Environment.Variables") ?? {}) as Record<string, string>;
    const bytes = Object.entries(variables).reduce(
      (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(String(value)),
      0,
    );
    if (bytes > 4096)
      problems.push(
        `${resource}: environment of ${bytes} bytes; Lambda allows 4 KB (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)`,
      );
  }
  for (const { request, resource } of of("lambda", "CreateEventSourceMapping")) {
    if (Number(request.batchSize) > 10 && !(Number(request.maximumBatchingWindowInSeconds) >= 1))
      problems.push(`${resource}: BatchSize above 10 needs MaximumBatchingWindowInSeconds of 1 or more (CreateEventSourceMapping, SQS)`);
    for (const filter of (valueAt(request, "FilterCriteria.Filters") ?? []) as { pattern: string }[]) {
      let pattern: unknown;
      try {
        pattern = JSON.parse(filter.pattern);
      } catch {
        problems.push(`${resource}: a filter pattern is not JSON`);
        continue;
      }
      const problem = filterSyntaxProblem(pattern, "pattern");
      if (problem) problems.push(`${resource}: ${problem} (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html)`);
    }
  }

  // Lambda: every permission of one function (or of one alias or version of it) is a statement of one policy of 20 KB,
  // written as Lambda writes it (AddPermission's Principal, Action, Resource and SourceArn condition).
  const policies = new Map<string, number>();
  for (const { request } of of("lambda", "AddPermission")) {
    const [name, qualifier, sourceArn] = ["FunctionName", "Qualifier", "SourceArn"].map((member) => valueAt(request, member));
    const statement = {
      Sid: valueAt(request, "StatementId"),
      Effect: "Allow",
      Principal: { Service: valueAt(request, "Principal") },
      Action: valueAt(request, "Action"),
      Resource: `arn:aws:lambda:us-east-1:123456789012:function:${name}${qualifier ? `:${qualifier}` : ""}`,
      ...(sourceArn ? { Condition: { ArnLike: { "AWS:SourceArn": sourceArn } } } : {}),
    };
    const policy = `${name}${qualifier ? `:${qualifier}` : ""}`;
    policies.set(policy, (policies.get(policy) ?? 0) + Buffer.byteLength(JSON.stringify(statement)) + 1);
  }
  for (const [policy, bytes] of policies)
    if (bytes + 50 > AWS_LIMITS.lambdaResourcePolicyBytes.max)
      problems.push(
        `the resource-based policy of ${policy} is ${bytes + 50} bytes; at most ${AWS_LIMITS.lambdaResourcePolicyBytes.max} (${AWS_LIMITS.lambdaResourcePolicyBytes.source})`,
      );

  // CodeDeploy: a Lambda deployment shifts all traffic within 48 hours; a linear config takes ceil(100 / percentage) steps.
  for (const { request, resource } of of("codedeploy", "CreateDeploymentConfig")) {
    const routing = valueAt(request, "trafficRoutingConfig") as Record<string, any> | undefined;
    const canary = routing?.timeBasedCanary;
    const linear = routing?.timeBasedLinear;
    const minutes = canary ? canary.canaryInterval : linear ? Math.ceil(100 / linear.linearPercentage) * linear.linearInterval : 0;
    if (minutes > AWS_LIMITS.codedeployLambdaShiftMinutes.max)
      problems.push(
        `${resource}: shifts traffic over ${minutes} minutes; at most ${AWS_LIMITS.codedeployLambdaShiftMinutes.max} (${AWS_LIMITS.codedeployLambdaShiftMinutes.source})`,
      );
  }

  // API Gateway: route keys as each protocol takes them.
  for (const { request, resource } of of("apigatewayv2", "CreateRoute")) {
    const key = String(request.routeKey);
    const websocket = apiProtocols.get(String(request.apiId)) === "WEBSOCKET";
    const valid = websocket ? WEBSOCKET_ROUTE.test(key) : RESERVED_HTTP_ROUTE.test(key) || HTTP_ROUTE.test(key);
    if (!valid)
      problems.push(`${resource}: route key ${JSON.stringify(key)} is not one API Gateway takes (Working with routes for HTTP APIs)`);
  }
  return problems;
}
