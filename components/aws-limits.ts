/**
 * The AWS limits the config schemas hold their values to: one home for each number, with where AWS says
 * it. `model` names the shape in AWS's API model (botocore's `service-2.json`) that carries the same
 * constraint; the conformance test (tests/aws-api) holds each such entry to the model, so a schema's
 * bound and AWS's cannot drift apart. Entries without `model` come from the page named in `source`.
 */
export interface AwsLimit {
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** `<service> <Shape>`, or `<service> <Structure>.<Member>` where the member's own documentation says it. */
  model?: string;
  source: string;
}

export const AWS_LIMITS = {
  /** An environment variable's name: a letter, then one or more letters, digits or `_` (two characters at least). */
  lambdaEnvironmentVariableName: {
    pattern: /^[a-zA-Z]([a-zA-Z0-9_])+$/,
    model: "lambda EnvironmentVariableName",
    source: "Lambda API model, EnvironmentVariableName",
  },
  /** One event filter's pattern, as JSON. */
  lambdaFilterPatternCharacters: { max: 4096, model: "lambda Pattern", source: "Lambda API model, FilterCriteria.Filters[].Pattern" },
  /** Filters per event source mapping (SQS). */
  lambdaFiltersPerEventSource: {
    max: 5,
    source: "https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html (5 filters per event source mapping)",
  },
  lambdaDescriptionCharacters: { max: 256, model: "lambda Description", source: "Lambda API model, CreateFunction Description" },
  lambdaTimeoutSeconds: {
    min: 1,
    max: 900,
    source: "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (15 minutes)",
  },
  lambdaMemoryMB: {
    min: 128,
    max: 10240,
    source: "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (128 MB to 10,240 MB)",
  },
  /** The account's unreserved concurrency may not fall below 100. */
  lambdaUnreservedConcurrencyMinimum: {
    min: 100,
    source: "https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html (Lambda keeps at least 100 unreserved)",
  },
  /** RDS for PostgreSQL's master user name: a letter, then letters, digits or `_`, 16 in all. */
  rdsMasterUsername: {
    max: 16,
    pattern: /^[A-Za-z][A-Za-z0-9_]{0,15}$/,
    model: "rds CreateDBInstanceMessage.MasterUsername",
    source: "RDS API model, CreateDBInstance MasterUsername: 1 to 16 letters, numbers, or underscores; first a letter",
  },
  /** RDS for PostgreSQL's DBName: a letter, then letters, digits or `_`, 63 in all. */
  rdsPostgresDatabaseName: {
    pattern: /^[A-Za-z][A-Za-z0-9_]{0,62}$/,
    model: "rds CreateDBInstanceMessage.DBName",
    source: "RDS API model, CreateDBInstance DBName (RDS for PostgreSQL): 1 to 63, a letter first",
  },
  rdsGp3StorageGiB: {
    min: 20,
    max: 65536,
    model: "rds CreateDBInstanceMessage.AllocatedStorage",
    source: "RDS API model, CreateDBInstance AllocatedStorage (RDS for PostgreSQL, gp2/gp3): 20 to 65536",
  },
  /** Storage autoscaling's ceiling must be at least 10% above the allocated storage. */
  rdsMaxStorageHeadroomPercent: {
    min: 10,
    source:
      'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html (at least 10% greater than the allocated storage, or "Invalid max storage size")',
  },
  rdsBackupRetentionDays: { min: 0, max: 35, model: "rds CreateDBInstanceMessage.BackupRetentionPeriod", source: "RDS API model: 0 to 35" },
  rdsProxyIdleClientTimeoutSeconds: {
    min: 1,
    max: 28800,
    source:
      "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-creating.html (idle client connection timeout, 1 second to 8 hours)",
  },
  rdsProxyConnectionBorrowTimeoutSeconds: {
    min: 0,
    max: 300,
    model: "rds ConnectionPoolConfiguration.ConnectionBorrowTimeout",
    source: "RDS API model, ConnectionPoolConfiguration ConnectionBorrowTimeout: between 0 and 300",
  },
  rdsProxyMaxConnectionsPercent: {
    min: 1,
    max: 100,
    model: "rds ConnectionPoolConfiguration.MaxConnectionsPercent",
    source: "RDS API model, ConnectionPoolConfiguration MaxConnectionsPercent: between 1 and 100",
  },
  /** A JWT authorizer's issuer URL. */
  apiGatewayJwtIssuerCharacters: {
    min: 1,
    max: 2048,
    model: "apigatewayv2 UriWithLengthBetween1And2048",
    source: "API Gateway v2 API model, JWTConfiguration Issuer",
  },
  /** All inline policies of one role together, not counting white space. */
  iamRoleInlinePolicyCharacters: {
    max: 10240,
    source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html (role policy size, white space not counted)",
  },
  /** One customer managed policy, not counting white space. */
  iamManagedPolicyCharacters: {
    max: 6144,
    source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html (managed policy size, white space not counted)",
  },
  /** Managed policies attached to one role (the default quota; it can be raised to 20). */
  iamManagedPoliciesPerRole: { max: 10, source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html" },
  /** What Lambda keeps unreserved of the account's concurrency: it refuses reservations that would leave less. */
  lambdaUnreservedConcurrency: {
    min: 100,
    source:
      "https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html (you can reserve up to the unreserved account concurrency minus 100)",
  },
  sqsVisibilityTimeoutSeconds: { min: 0, max: 43200, source: "SQS API model, CreateQueue Attributes VisibilityTimeout: 0 to 43,200" },
  sqsMessageRetentionSeconds: {
    min: 60,
    max: 1209600,
    source: "SQS API model, CreateQueue Attributes MessageRetentionPeriod: 60 to 1,209,600",
  },
  sqsMaximumMessageBytes: {
    min: 1024,
    max: 1048576,
    source: "SQS API model, CreateQueue Attributes MaximumMessageSize: 1,024 to 1,048,576",
  },
  sqsMaxReceiveCount: {
    min: 1,
    max: 1000,
    source:
      "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue.html (maximum receives: 1 to 1,000)",
  },
  /** A function's resource-based policy (every AddPermission statement of the function, or of one of its aliases or versions). */
  lambdaResourcePolicyBytes: {
    max: 20480,
    source: "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (function resource-based policy: 20 KB)",
  },
  /** Routes one HTTP API takes: the default quota (adjustable; the platform refuses more at config time). */
  apiGatewayRoutesPerApi: {
    max: 300,
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html ("Routes per API": 300, can be increased)',
  },
  /** The account's own CodeDeploy deployment configs (not adjustable). */
  codedeployCustomDeploymentConfigs: {
    max: 50,
    source: "https://docs.aws.amazon.com/codedeploy/latest/userguide/limits.html (custom deployment configurations per account: 50)",
  },
  /** From a Lambda deployment's first traffic shift to its last (a deployment runs 50 hours at most: this and an hour per hook). */
  codedeployLambdaShiftMinutes: {
    max: 2880,
    source:
      "https://docs.aws.amazon.com/codedeploy/latest/userguide/limits.html (AWS Lambda deployment run in hours: 48 hours between the first and last traffic shift)",
  },
  /** A lifecycle hook must report its status within an hour, or the deployment fails. */
  codedeployHookSeconds: {
    max: 3600,
    source: "https://docs.aws.amazon.com/codedeploy/latest/userguide/limits.html (seconds until a deployment lifecycle event fails)",
  },
  codedeployDeploymentDescriptionCharacters: {
    max: 100,
    source: "https://docs.aws.amazon.com/codedeploy/latest/userguide/limits.html (characters in a deployment description)",
  },
  codedeployDeploymentConfigName: {
    min: 1,
    max: 100,
    model: "codedeploy DeploymentConfigName",
    source: "CodeDeploy API model, DeploymentConfigName: 1 to 100",
  },
  /** Alarms a deployment group watches (the API's; the quota page's 50 is per group across the account's settings). */
  codedeployAlarmsPerDeploymentGroup: {
    max: 10,
    model: "codedeploy AlarmConfiguration.alarms",
    source: "CodeDeploy API model, AlarmConfiguration alarms: a maximum of 10",
  },
} satisfies Record<string, AwsLimit>;

/** The limit's range as words, for an error message: "from 0 to 300", "at most 4096", "at least 10". */
export function rangeOf(limit: AwsLimit): string {
  if (limit.min !== undefined && limit.max !== undefined) return `from ${limit.min} to ${limit.max}`;
  return limit.max !== undefined ? `at most ${limit.max}` : `at least ${limit.min}`;
}

/** White space does not count toward IAM's policy sizes. */
export const iamPolicyCharacters = (document: string): number => document.replace(/\s/g, "").length;
