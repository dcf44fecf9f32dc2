import { listStacks } from "../../config";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { policies } from "../../policy/policies";
import { PolicyConfig, ResourceUnderPolicy, runPolicies } from "../../policy/run-offline";
import { evaluate, evaluateStack } from "../mock-engine";
import { readStackConfig, stackConfigFrom } from "../../config";

const ACCOUNT = "123456789012";
let counter = 0;
function resource(type: string, state: Record<string, any>, name = `r${++counter}`): ResourceUnderPolicy {
  return { type, name, urn: `urn:pulumi:test::graviton-platform::${type}::${name}`, state, custom: true, dependencies: [] };
}

const lambdaType = "aws:lambda/function:Function";
const named = (name: string) => policies.filter((policy) => policy.name === name);
const goodFunction = (overrides: Record<string, any> = {}) =>
  resource(lambdaType, {
    packageType: "Image",
    imageUri: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${"a".repeat(64)}`,
    architectures: ["arm64"],
    tracingConfig: { mode: "Active" },
    reservedConcurrentExecutions: 10,
    loggingConfig: { logFormat: "JSON", logGroup: "/aws/lambda/app" },
    environment: { variables: { LOG_LEVEL: "debug" } },
    tags: { "graviton:function": "primes", "graviton:variant": "primary" },
    ...overrides,
  });
const logGroup = (overrides: Record<string, any> = {}) =>
  resource("aws:cloudwatch/logGroup:LogGroup", { name: "/aws/lambda/app", retentionInDays: 14, ...overrides });
const goodDatabase = (overrides: Record<string, any> = {}) =>
  resource("aws:rds/instance:Instance", {
    identifier: "graviton-platform-prod-db",
    instanceClass: "db.t4g.micro",
    storageEncrypted: true,
    publiclyAccessible: false,
    iamDatabaseAuthenticationEnabled: true,
    backupRetentionPeriod: 7,
    deletionProtection: true,
    skipFinalSnapshot: false,
    ...overrides,
  });
const login = (iamAuth: string) => ({ authScheme: "SECRETS", secretArn: "arn:aws:secretsmanager:us-east-1:1:secret:s", iamAuth });
const goodProxy = (overrides: Record<string, any> = {}) =>
  resource("aws:rds/proxy:Proxy", {
    name: "db-proxy",
    engineFamily: "POSTGRESQL",
    requireTls: true,
    auths: [login("REQUIRED"), login("REQUIRED")],
    ...overrides,
  });
const QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:jobs";
const alarm = (namespace: string, metricName: string, dimensions: Record<string, string>, overrides: Record<string, any> = {}) =>
  resource("aws:cloudwatch/metricAlarm:MetricAlarm", {
    namespace,
    metricName,
    dimensions,
    alarmActions: ["arn:aws:sns:us-east-1:123456789012:alarms"],
    ...overrides,
  });
const queue = (overrides: Record<string, any> = {}) =>
  resource(
    "aws:sqs/queue:Queue",
    {
      arn: QUEUE_ARN,
      sqsManagedSseEnabled: true,
      visibilityTimeoutSeconds: 360,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: `${QUEUE_ARN}-dlq`, maxReceiveCount: 3 }),
      ...overrides,
    },
    "jobs",
  );
const workerFunction = (overrides: Record<string, any> = {}) =>
  goodFunction({
    arn: "arn:aws:lambda:us-east-1:123456789012:function:worker",
    timeout: 60,
    reservedConcurrentExecutions: 10,
    ...overrides,
  });
const mapping = (overrides: Record<string, any> = {}) =>
  resource(
    "aws:lambda/eventSourceMapping:EventSourceMapping",
    {
      eventSourceArn: QUEUE_ARN,
      // The worker's live alias, as the platform maps it: the queue policies find the function behind it.
      functionName: "arn:aws:lambda:us-east-1:123456789012:function:worker:live",
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: 5 },
      ...overrides,
    },
    "jobs-worker",
  );
/** A function by its deployed name, and what the rollout policies read beside it. */
const namedFunction = (name: string, overrides: Record<string, any> = {}) =>
  goodFunction({ name, arn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`, ...overrides });
const provisioned = (functionName: string, executions: number, qualifier = "live") =>
  resource("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig", {
    functionName,
    qualifier,
    provisionedConcurrentExecutions: executions,
  });
const aliasPermission = (functionName: string) =>
  resource("aws:lambda/permission:Permission", {
    principal: "apigateway.amazonaws.com",
    function: functionName,
    qualifier: "live",
    sourceArn: "a",
  });
const rollout = (functionName: string, deploymentGroup?: string) =>
  resource("pulumi-nodejs:dynamic/graviton:Rollout:Resource", { functionName, alias: "live", application: "rollouts", deploymentGroup });
const group = (name: string, overrides: Record<string, any> = {}) =>
  resource("aws:codedeploy/deploymentGroup:DeploymentGroup", {
    appName: "rollouts",
    deploymentGroupName: name,
    deploymentConfigName: "CodeDeployDefault.LambdaCanary10Percent5Minutes",
    autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
    alarmConfiguration: { enabled: true, alarms: [`${name}-errors`] },
    ...overrides,
  });
const route = (routeKey: string, authorizationType?: string) => resource("aws:apigatewayv2/route:Route", { routeKey, authorizationType });
const document = (statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const lambdaTrust = document([{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }]);

/** Per policy: resources that comply, resources that violate (and what the message says), optional config. */
const cases: Record<
  string,
  { compliant: ResourceUnderPolicy[]; violating: ResourceUnderPolicy[]; message: RegExp; config?: PolicyConfig }
> = {
  "lambda-arm64": {
    compliant: [
      goodFunction(),
      goodFunction({ architectures: ["x86_64"], tags: { "graviton:function": "primes", "graviton:variant": "twin" } }),
    ],
    violating: [goodFunction({ architectures: ["x86_64"] })],
    message: /primes runs on x86_64 and is not in allowX86/,
  },
  "lambda-tracing": {
    compliant: [goodFunction()],
    violating: [goodFunction({ tracingConfig: { mode: "PassThrough" } })],
    message: /PassThrough/,
  },
  "lambda-no-secret-environment": {
    compliant: [goodFunction()],
    violating: [goodFunction({ environment: { variables: { DB_PASSWORD: "hunter2", MODE: "x" } } })],
    message: /DB_PASSWORD looks like a secret/,
  },
  "lambda-private-ecr-image": {
    compliant: [goodFunction()],
    violating: [goodFunction({ imageUri: "public.ecr.aws/lambda/nodejs:22" })],
    message: /not in a private ECR repository/,
  },
  "lambda-reserved-concurrency": {
    compliant: [goodFunction()],
    violating: [goodFunction({ reservedConcurrentExecutions: undefined })],
    message: /primes has no reserved concurrency/,
  },
  "lambda-log-group-managed": {
    compliant: [goodFunction(), logGroup()],
    violating: [goodFunction(), logGroup({ name: "/aws/lambda/other" })],
    message: /Log group \/aws\/lambda\/app is not managed by this stack/,
  },
  "lambda-permission-source-arn": {
    compliant: [
      resource("aws:lambda/permission:Permission", {
        principal: "apigateway.amazonaws.com",
        sourceArn: "arn:aws:execute-api:us-east-1:123456789012:abc/*/GET/primes",
      }),
    ],
    violating: [resource("aws:lambda/permission:Permission", { principal: "apigateway.amazonaws.com" })],
    message: /apigateway\.amazonaws\.com may invoke the function from any source/,
  },
  "log-group-retention": { compliant: [logGroup()], violating: [logGroup({ retentionInDays: undefined })], message: /never expires/ },
  "ecr-scan-on-push": {
    compliant: [resource("aws:ecr/repository:Repository", { imageScanningConfiguration: { scanOnPush: true } })],
    violating: [resource("aws:ecr/repository:Repository", {})],
    message: /not scanned on push/,
  },
  "ecr-immutable-tags": {
    compliant: [
      resource("aws:ecr/repository:Repository", { imageTagMutability: "IMMUTABLE" }),
      resource("aws:ecr/repository:Repository", {
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters: [{ filter: "build-*", filterType: "WILDCARD" }],
      }),
    ],
    violating: [resource("aws:ecr/repository:Repository", { imageTagMutability: "MUTABLE" })],
    message: /Tag mutability is MUTABLE/,
  },
  "ecr-lifecycle-policy": {
    compliant: [
      resource("aws:ecr/repository:Repository", { name: "app" }),
      resource("aws:ecr/lifecyclePolicy:LifecyclePolicy", { repository: "app" }),
    ],
    violating: [
      resource("aws:ecr/repository:Repository", { name: "app" }),
      resource("aws:ecr/lifecyclePolicy:LifecyclePolicy", { repository: "other" }),
    ],
    message: /Repository app has no lifecycle policy/,
  },
  "ecr-no-public-policy": {
    compliant: [
      resource("aws:ecr/repositoryPolicy:RepositoryPolicy", {
        policy: document([{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "ecr:BatchGetImage" }]),
      }),
    ],
    violating: [
      resource("aws:ecr/repositoryPolicy:RepositoryPolicy", {
        policy: document([{ Effect: "Allow", Principal: "*", Action: "ecr:BatchGetImage" }]),
      }),
    ],
    message: /allows Principal "\*" without a condition/,
  },
  "iam-no-wildcard-action": {
    compliant: [
      resource("aws:iam/rolePolicy:RolePolicy", {
        policy: document([{ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: "arn:aws:sqs:us-east-1:1:q" }]),
      }),
    ],
    violating: [
      resource("aws:iam/rolePolicy:RolePolicy", { policy: document([{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::b/*" }]) }),
    ],
    message: /allows s3:\*/,
  },
  "iam-no-wildcard-resource-on-write": {
    compliant: [
      resource("aws:iam/rolePolicy:RolePolicy", {
        policy: document([
          { Effect: "Allow", Action: ["xray:PutTraceSegments", "lambda:GetFunction"], Resource: "*" },
          { Effect: "Allow", Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:1:q" },
        ]),
      }),
    ],
    violating: [
      resource("aws:iam/role:Role", {
        inlinePolicies: [{ name: "w", policy: document([{ Effect: "Allow", Action: ["sqs:DeleteQueue"], Resource: "*" }]) }],
      }),
    ],
    message: /inline policy w allows sqs:DeleteQueue on every resource/,
  },
  "iam-lambda-trust": {
    compliant: [resource("aws:iam/role:Role", { assumeRolePolicy: lambdaTrust })],
    violating: [
      resource("aws:iam/role:Role", {
        assumeRolePolicy: document([
          { Effect: "Allow", Principal: { Service: ["lambda.amazonaws.com", "ec2.amazonaws.com"] }, Action: "sts:AssumeRole" },
        ]),
      }),
    ],
    message: /also trusts ec2\.amazonaws\.com/,
  },
  "apigateway-stage-access-logging": {
    compliant: [
      resource("aws:apigatewayv2/stage:Stage", { name: "$default", accessLogSettings: { destinationArn: "arn:aws:logs:x", format: "{}" } }),
    ],
    violating: [resource("aws:apigatewayv2/stage:Stage", { name: "$default" })],
    message: /Stage \$default has no access logging/,
  },
  "apigateway-default-route-throttling": {
    compliant: [
      resource("aws:apigatewayv2/stage:Stage", {
        name: "$default",
        defaultRouteSettings: { throttlingBurstLimit: 10, throttlingRateLimit: 5 },
      }),
    ],
    violating: [resource("aws:apigatewayv2/stage:Stage", { name: "$default", defaultRouteSettings: { throttlingBurstLimit: 10 } })],
    message: /no default route throttling/,
  },
  "capacity-unreserved-headroom": {
    compliant: [goodFunction({ reservedConcurrentExecutions: 450 }), goodFunction({ reservedConcurrentExecutions: 450 })],
    violating: [goodFunction({ reservedConcurrentExecutions: 450 }), goodFunction({ reservedConcurrentExecutions: 451 })],
    message: /reserve or provision 901 of 1000, leaving 99 unreserved; Lambda needs at least 100/,
  },
  "capacity-provisioned-within-reserved": {
    compliant: [namedFunction("api", { reservedConcurrentExecutions: 5 }), provisioned("api", 5)],
    violating: [namedFunction("api", { reservedConcurrentExecutions: 5 }), provisioned("api", 6)],
    message: /api provisions 6 but reserves only 5/,
  },
  "capacity-provisioned-expected-traffic": {
    compliant: [
      namedFunction("api", { tags: { "graviton:expected-rps": "10", "graviton:expected-duration-ms": "200" } }),
      provisioned("api", 2),
    ],
    violating: [
      namedFunction("api", { tags: { "graviton:expected-rps": "10", "graviton:expected-duration-ms": "200" } }),
      provisioned("api", 3),
    ],
    message: /api provisions 3; 10 requests\/s x 200 ms needs 2/,
  },
  "lambda-invoked-through-alias": {
    compliant: [
      resource("aws:lambda/permission:Permission", {
        principal: "apigateway.amazonaws.com",
        function: "api",
        qualifier: "live",
        sourceArn: "a",
      }),
      mapping(),
    ],
    violating: [mapping({ functionName: "arn:aws:lambda:us-east-1:123456789012:function:worker" })],
    message: /invokes arn:aws:lambda:us-east-1:123456789012:function:worker unqualified, so it runs \$LATEST/,
  },
  "lambda-provisioned-concurrency-on-alias": {
    compliant: [provisioned("api", 2)],
    violating: [provisioned("api", 2, "7")],
    message: /Provisioned concurrency of api is on version 7, not on an alias/,
  },
  "codedeploy-gradual-rollout": {
    compliant: [namedFunction("api"), aliasPermission("api"), rollout("api", "api"), group("api")],
    violating: [
      namedFunction("api"),
      aliasPermission("api"),
      rollout("api", "api"),
      group("api", { deploymentConfigName: "CodeDeployDefault.LambdaAllAtOnce" }),
    ],
    message: /api:live's deployment group api shifts all traffic at once/,
  },
  "codedeploy-rollback-alarms-own-function": {
    compliant: [
      namedFunction("api"),
      rollout("api", "api"),
      group("api"),
      alarm("AWS/Lambda", "Errors", { FunctionName: "api" }, { name: "api-errors" }),
    ],
    violating: [
      namedFunction("api"),
      rollout("api", "api"),
      group("api"),
      alarm("AWS/Lambda", "Errors", { FunctionName: "other" }, { name: "api-errors" }),
    ],
    message: /rolls back on api-errors, which watches other, not api/,
  },
  "capacity-expected-traffic": {
    compliant: [
      goodFunction({ reservedConcurrentExecutions: 10, tags: { "graviton:expected-rps": "100", "graviton:expected-duration-ms": "100" } }),
    ],
    violating: [
      goodFunction({ reservedConcurrentExecutions: 10, tags: { "graviton:expected-rps": "200", "graviton:expected-duration-ms": "250" } }),
    ],
    message: /200 requests\/s x 250 ms needs 50 concurrent executions; reserved concurrency is 10/,
  },
  "rds-storage-encrypted": {
    compliant: [goodDatabase()],
    violating: [goodDatabase({ storageEncrypted: false })],
    message: /graviton-platform-prod-db stores its data unencrypted/,
  },
  "rds-not-public": {
    compliant: [goodDatabase()],
    violating: [goodDatabase({ publiclyAccessible: true })],
    message: /is publicly accessible/,
  },
  "rds-iam-auth": {
    compliant: [goodDatabase()],
    violating: [goodDatabase({ iamDatabaseAuthenticationEnabled: undefined })],
    message: /has IAM database authentication off/,
  },
  "rds-backups": {
    compliant: [goodDatabase(), goodDatabase({ backupRetentionPeriod: 3 })],
    violating: [goodDatabase({ backupRetentionPeriod: 1 })],
    message: /keeps backups for 1 day; at least 3 required/,
    config: { "rds-backups": { minimumDays: 3 } },
  },
  "rds-deletion-protection": {
    compliant: [goodDatabase()],
    violating: [goodDatabase({ deletionProtection: false, skipFinalSnapshot: true })],
    message: /graviton-platform-prod-db has no deletion protection and no final snapshot/,
  },
  "rds-graviton": {
    compliant: [
      goodDatabase({ instanceClass: "db.m7g.large" }),
      goodDatabase({ instanceClass: "db.r6gd.xlarge" }),
      goodDatabase({ identifier: "legacy", instanceClass: "db.m5.large" }),
    ],
    violating: [goodDatabase({ instanceClass: "db.m6i.large" })],
    message: /runs on db\.m6i\.large, not a Graviton class/,
    config: { "rds-graviton": { allow: ["legacy"] } },
  },
  "rds-proxy-tls": {
    compliant: [goodProxy()],
    violating: [goodProxy({ requireTls: false })],
    message: /Proxy db-proxy accepts unencrypted connections/,
  },
  "rds-proxy-iam-auth": {
    compliant: [goodProxy()],
    violating: [goodProxy({ auths: [login("REQUIRED"), login("DISABLED")] })],
    message: /Proxy db-proxy lets 1 of its logins sign in without IAM/,
  },
  "sqs-queue-encrypted": {
    compliant: [queue(), queue({ sqsManagedSseEnabled: undefined, kmsMasterKeyId: "alias/jobs" })],
    violating: [queue({ sqsManagedSseEnabled: false })],
    message: /Queue jobs is not encrypted/,
  },
  "lambda-image-own-account": {
    compliant: [goodFunction({ role: `arn:aws:iam::${ACCOUNT}:role/app` })],
    violating: [goodFunction({ role: "arn:aws:iam::210987654321:role/app" })],
    message: new RegExp(`Image ${ACCOUNT}\\.dkr\\.ecr.* is in account ${ACCOUNT}; the stack's account \\(its role's\\) is 210987654321`),
  },
  "s3-public-access-blocked": {
    compliant: [
      resource("aws:s3/bucket:Bucket", { id: "b-1", bucket: "b-1" }),
      resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", {
        bucket: "b-1",
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      }),
    ],
    violating: [
      resource("aws:s3/bucket:Bucket", { id: "b-1", bucket: "b-1" }),
      resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", {
        bucket: "b-1",
        blockPublicAcls: true,
        blockPublicPolicy: false,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      }),
      resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", {
        bucket: "b-2",
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      }),
    ],
    message: /Bucket b-1 does not block all public access/,
  },
  "s3-tls-only": {
    compliant: [
      resource("aws:s3/bucket:Bucket", { id: "b-1", bucket: "b-1" }),
      resource("aws:s3/bucketPolicy:BucketPolicy", {
        bucket: "b-1",
        policy: JSON.stringify({
          Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }],
        }),
      }),
    ],
    violating: [
      resource("aws:s3/bucket:Bucket", { id: "b-1", bucket: "b-1" }),
      resource("aws:s3/bucketPolicy:BucketPolicy", {
        bucket: "b-1",
        policy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject" }] }),
      }),
    ],
    message: /Bucket b-1 accepts requests without TLS/,
  },
  "lambda-function-errors-alarm": {
    compliant: [goodFunction({ name: "primes-fn" }), alarm("AWS/Lambda", "Errors", { FunctionName: "primes-fn" })],
    violating: [
      goodFunction({ name: "primes-fn" }),
      alarm("AWS/Lambda", "Throttles", { FunctionName: "primes-fn" }),
      alarm("AWS/Lambda", "Errors", { FunctionName: "another-fn" }),
    ],
    message: /Function primes-fn has no Errors alarm/,
  },
  "alarm-has-action": {
    compliant: [alarm("AWS/Lambda", "Errors", { FunctionName: "f" })],
    violating: [alarm("AWS/Lambda", "Errors", { FunctionName: "f" }, { alarmActions: [] })],
    message: /has no action/,
  },
  "sqs-consumed-queue-age-alarm": {
    compliant: [
      queue({ name: "jobs" }),
      workerFunction(),
      mapping(),
      alarm("AWS/SQS", "ApproximateAgeOfOldestMessage", { QueueName: "jobs" }),
    ],
    violating: [
      queue({ name: "jobs" }),
      workerFunction(),
      mapping(),
      alarm("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: "jobs" }),
      alarm("AWS/SQS", "ApproximateAgeOfOldestMessage", { QueueName: "jobs-dlq" }),
    ],
    message: /Queue jobs is consumed by a function but has no oldest-message age alarm/,
  },
  "sqs-consumed-queue-has-dlq": {
    compliant: [queue(), workerFunction(), mapping(), resource("aws:sqs/queue:Queue", { arn: "arn:aws:sqs:us-east-1:1:not-consumed" })],
    violating: [queue({ redrivePolicy: undefined }), workerFunction(), mapping()],
    message: /Queue jobs is consumed by a function but has no dead-letter queue/,
  },
  "sqs-visibility-timeout": {
    compliant: [queue(), workerFunction(), mapping()],
    violating: [queue(), workerFunction(), mapping({ maximumBatchingWindowInSeconds: 10 })],
    message: /Queue jobs's visibility timeout is 360 s; .* needs at least 370 s/,
  },
  "lambda-sqs-partial-batch": {
    compliant: [mapping()],
    violating: [mapping({ functionResponseTypes: [] })],
    message: /jobs-worker retries whole batches/,
  },
  "lambda-sqs-maximum-concurrency": {
    compliant: [queue(), workerFunction(), mapping(), workerFunction({ arn: "other" })],
    violating: [queue(), workerFunction({ reservedConcurrentExecutions: 3 }), mapping()],
    message: /jobs-worker may run 5 at once; .* reserves only 3/,
  },
  "jobs-batch-fits-timeout": {
    compliant: [queue(), workerFunction({ memorySize: 1024 }), mapping({ batchSize: 10 })],
    violating: [queue(), workerFunction({ memorySize: 1024 }), mapping({ batchSize: 10_000 })],
    message: /A batch of 10000 of the slowest jobs needs about 6910 s at 1024 MB \(691 ms each\); .*timeout is 60 s/,
  },
  "apigateway-websocket-connect-authorized": {
    compliant: [route("$connect", "CUSTOM"), route("$default"), route("submit")],
    violating: [route("$connect", "NONE")],
    message: /\$connect route lets anyone connect/,
  },
  "apigateway-protected-routes-authorized": {
    compliant: [route("POST /jobs", "JWT"), route("GET /jobs/{id}", "JWT"), route("GET /primes"), route("GET /jobsearch")],
    violating: [route("GET /jobs/{id}")],
    message: /Route GET \/jobs\/\{id\} is open to anyone/,
  },
  "iam-manage-connections-scoped": {
    compliant: [
      resource("aws:iam/rolePolicy:RolePolicy", {
        policy: document([
          {
            Effect: "Allow",
            Action: "execute-api:ManageConnections",
            Resource: "arn:aws:execute-api:us-east-1:123456789012:abc123/live/POST/@connections/*",
          },
        ]),
      }),
    ],
    violating: [
      resource("aws:iam/rolePolicy:RolePolicy", {
        policy: document([
          {
            Effect: "Allow",
            Action: "execute-api:ManageConnections",
            Resource: "arn:aws:execute-api:us-east-1:123456789012:*/*/POST/@connections/*",
          },
        ]),
      }),
    ],
    message: /allows ManageConnections on arn:aws:execute-api:us-east-1:123456789012:\*\/\*\/POST\/@connections\/\*/,
  },
  "sfn-logging": {
    compliant: [
      resource("aws:sfn/stateMachine:StateMachine", {
        name: "tuning",
        loggingConfiguration: { level: "ALL", logDestination: "arn:aws:logs:us-east-1:1:log-group:x:*" },
      }),
    ],
    violating: [resource("aws:sfn/stateMachine:StateMachine", { name: "tuning", loggingConfiguration: { level: "OFF" } })],
    message: /State machine tuning does not log its executions/,
  },
  "sfn-tracing": {
    compliant: [resource("aws:sfn/stateMachine:StateMachine", { name: "tuning", tracingConfiguration: { enabled: true } })],
    violating: [resource("aws:sfn/stateMachine:StateMachine", { name: "tuning" })],
    message: /State machine tuning is not traced/,
  },
  "iam-lambda-management-scoped": {
    compliant: [
      resource("aws:iam/rolePolicy:RolePolicy", {
        policy: document([
          {
            Effect: "Allow",
            Action: ["lambda:UpdateFunctionConfiguration", "lambda:PublishVersion"],
            Resource: ["arn:aws:lambda:us-east-1:123456789012:function:primes"],
          },
          {
            Effect: "Allow",
            Action: ["lambda:InvokeFunction", "lambda:DeleteFunction"],
            Resource: ["arn:aws:lambda:us-east-1:123456789012:function:primes:*"],
          },
        ]),
      }),
    ],
    violating: [
      resource("aws:iam/rolePolicy:RolePolicy", {
        policy: document([
          { Effect: "Allow", Action: ["lambda:UpdateFunctionConfiguration"], Resource: "arn:aws:lambda:us-east-1:123456789012:function:*" },
        ]),
      }),
    ],
    message: /allows lambda:UpdateFunctionConfiguration on arn:aws:lambda:us-east-1:123456789012:function:\*/,
  },
  "sg-no-public-postgres": {
    compliant: [
      resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {
        referencedSecurityGroupId: "sg-1",
        ipProtocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
      }),
      resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {
        cidrIpv4: "0.0.0.0/0",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
      }),
      resource("aws:ec2/securityGroup:SecurityGroup", {
        ingress: [{ protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["10.0.0.0/16"] }],
      }),
    ],
    violating: [resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { cidrIpv6: "::/0", ipProtocol: "-1" }, "open")],
    message: /open lets ::\/0 reach port 5432/,
  },
};

describe("policy pack", () => {
  it("has a case below for every policy, and every policy says what it mirrors and how to fix it", () => {
    assert.deepEqual(Object.keys(cases).sort(), policies.map((policy) => policy.name).sort());
    for (const policy of policies) {
      assert.ok(policy.description.length > 20 && policy.howToFix.length > 10, policy.name);
      assert.ok(["mandatory", "advisory"].includes(policy.enforcementLevel!), policy.name);
    }
  });

  it("ecr-immutable-tags: an exclusion other than the build tags is a violation", async () => {
    const releaseTagsMutable = resource("aws:ecr/repository:Repository", {
      imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
      imageTagMutabilityExclusionFilters: [
        { filter: "build-*", filterType: "WILDCARD" },
        { filter: "v*", filterType: "WILDCARD" },
      ],
    });
    const { violations } = await runPolicies([releaseTagsMutable], {}, named("ecr-immutable-tags"));
    assert.deepEqual(
      violations.map((violation) => violation.message),
      ["Tags matching v* are mutable; only build-* may be."],
    );
  });

  it("s3-tls-only: reads a bucket policy that is one statement, or not JSON at all, instead of crashing the pack", async () => {
    const bucket = resource("aws:s3/bucket:Bucket", { id: "b-1", bucket: "b-1" });
    const withPolicy = (policy: unknown) => [bucket, resource("aws:s3/bucketPolicy:BucketPolicy", { bucket: "b-1", policy })];
    const single = { Statement: { Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": false } } } };
    assert.deepEqual((await runPolicies(withPolicy(single), {}, named("s3-tls-only"))).violations, []);
    for (const broken of ["{not json", "null", JSON.stringify({ Statement: [null, 7] })]) {
      const { violations } = await runPolicies(withPolicy(broken), {}, named("s3-tls-only"));
      assert.deepEqual(
        violations.map((violation) => violation.message),
        ["Bucket b-1 accepts requests without TLS."],
        broken,
      );
    }
  });

  for (const [name, { compliant, violating, message, config }] of Object.entries(cases)) {
    const only = named(name);
    describe(name, () => {
      it("passes a compliant stack", async () => assert.deepEqual((await runPolicies(compliant, config, only)).violations, []));
      it("reports a violating one, saying why", async () => {
        const { violations } = await runPolicies(violating, config, only);
        assert.equal(violations.length, 1, JSON.stringify(violations));
        assert.match(violations[0].message, message);
        assert.equal(violations[0].policy, name);
      });
    });
  }

  describe("policy config, in the --policy-pack-config format", () => {
    const x86 = [goodFunction({ architectures: ["x86_64"] })];
    it("an allow-list exempts a function", async () => {
      assert.deepEqual((await runPolicies(x86, { "lambda-arm64": { allowX86: ["primes"] } }, named("lambda-arm64"))).violations, []);
    });
    it("sets a policy's enforcement level, or every policy's with 'all'", async () => {
      const mandatory = await runPolicies(x86, { "lambda-arm64": "mandatory" }, named("lambda-arm64"));
      assert.deepEqual(
        mandatory.violations.map((v) => [v.policy, v.enforcementLevel]),
        [["lambda-arm64", "mandatory"]],
      );
      assert.deepEqual((await runPolicies(x86, { all: "disabled" }, named("lambda-arm64"))).violations, []);
    });
    it("changes a policy's numbers", async () => {
      const functions = [goodFunction({ reservedConcurrentExecutions: 450 }), goodFunction({ reservedConcurrentExecutions: 451 })];
      const policy = named("capacity-unreserved-headroom");
      assert.equal((await runPolicies(functions, {}, policy)).violations.length, 1);
      assert.deepEqual(
        (await runPolicies(functions, { "capacity-unreserved-headroom": { accountConcurrencyLimit: 2000 } }, policy)).violations,
        [],
      );
    });
    it("gives each policy its own settings when several run over the same resources", async () => {
      const functions = [
        goodFunction({ architectures: ["x86_64"], reservedConcurrentExecutions: 450 }),
        goodFunction({ reservedConcurrentExecutions: 451 }),
      ];
      const both = [...named("lambda-arm64"), ...named("capacity-unreserved-headroom")];
      const policiesOf = async (config: PolicyConfig) => (await runPolicies(functions, config, both)).violations.map((v) => v.policy);
      assert.deepEqual(await policiesOf({}), ["lambda-arm64", "capacity-unreserved-headroom"]);
      assert.deepEqual(await policiesOf({ "lambda-arm64": { allowX86: ["primes"] } }), ["capacity-unreserved-headroom"]);
      assert.deepEqual(await policiesOf({ "capacity-unreserved-headroom": { accountConcurrencyLimit: 2000 } }), ["lambda-arm64"]);
    });
  });

  it("iam-lambda-management-scoped refuses deleting a whole function", async () => {
    const policy = resource("aws:iam/rolePolicy:RolePolicy", {
      policy: document([
        { Effect: "Allow", Action: "lambda:DeleteFunction", Resource: "arn:aws:lambda:us-east-1:123456789012:function:primes" },
      ]),
    });
    const { violations } = await runPolicies([policy], {}, named("iam-lambda-management-scoped"));
    assert.match(
      violations[0]?.message ?? "",
      /deleting the whole function arn:aws:lambda:us-east-1:123456789012:function:primes, not only its versions/,
    );
  });

  it("sg-no-public-postgres finds 5432 open to the internet however the rule is written", async () => {
    const rules = [
      resource(
        "aws:ec2/securityGroup:SecurityGroup",
        { ingress: [{ protocol: "tcp", fromPort: 5000, toPort: 6000, cidrBlocks: ["0.0.0.0/0"] }] },
        "inline",
      ),
      resource(
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        { type: "ingress", protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] },
        "rule",
      ),
      resource(
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        { type: "egress", protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] },
        "egress",
      ),
      resource(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        { cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 5432, toPort: 5432 },
        "ingress",
      ),
    ];
    const { violations } = await runPolicies(rules, {}, named("sg-no-public-postgres"));
    assert.deepEqual(
      violations.map((violation) => violation.urn?.split("::").pop()),
      ["inline", "rule", "ingress"],
    );
  });

  it("skips, rather than guesses, a check whose value is only known after deployment", async () => {
    const unknownImage = goodFunction({ imageUri: pulumi.unknown });
    const report = await runPolicies([unknownImage], {}, named("lambda-private-ecr-image"));
    assert.deepEqual(report.violations, []);
    assert.match(report.skipped[0].reason, /imageUri is not known until the resource is deployed/);
  });

  it("a policy that declares itself not applicable reports nothing, neither a violation nor a skipped check", async () => {
    const notApplicable = {
      name: "probe",
      description: "test policy",
      enforcementLevel: "mandatory" as const,
      howToFix: "n/a",
      validateResource: (args: { notApplicable(reason?: string): never }) => args.notApplicable("not for this resource"),
    };
    assert.deepEqual(await runPolicies([goodFunction()], {}, [notApplicable]), { violations: [], skipped: [] });
  });

  it("a deliberately bad stack yields exactly the expected violations", async () => {
    const program = require.resolve("../../index.ts");
    const prod = readStackConfig("prod");
    const functions = JSON.parse(prod["graviton-platform:functions"]);
    const config = {
      ...prod,
      "graviton-platform:functions": JSON.stringify({ ...functions, "get-job": { ...functions["get-job"], architecture: "x86_64" } }),
    };
    const { resources } = await evaluate(
      () => {
        delete require.cache[program];
        require(program);
        new aws.iam.RolePolicy("admin", {
          role: "primes-role",
          policy: document([{ Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::bucket" }]),
        });
        new aws.cloudwatch.LogGroup("forever", { name: "/custom/forever" });
      },
      { config, stack: "prod" },
    );
    const { violations } = await runPolicies(resources);
    assert.deepEqual(
      violations.map((violation) => [violation.policy, violation.enforcementLevel, violation.urn?.split("::").pop()]).sort(),
      [
        ["iam-no-wildcard-action", "mandatory", "admin"],
        ["lambda-arm64", "advisory", "get-job"],
        ["log-group-retention", "mandatory", "forever"],
      ],
    );
  });

  it("Pulumi.prod.yaml has no mandatory violation under policy/strict.json, which dev would fail", async () => {
    const strict = JSON.parse(readFileSync("policy/strict.json", "utf8"));
    assert.deepEqual(
      (await runPolicies((await evaluateStack("prod")).resources, strict)).violations.filter((v) => v.enforcementLevel === "mandatory"),
      [],
    );
    const dev = (await runPolicies((await evaluateStack("dev")).resources, strict)).violations.filter(
      (v) => v.enforcementLevel === "mandatory",
    );
    assert.ok(dev.some((violation) => violation.policy === "rds-deletion-protection"));
    // dev moves its aliases all at once: a production stack must roll out gradually, rolled back on alarms.
    assert.deepEqual(
      dev
        .filter((violation) => violation.policy === "codedeploy-gradual-rollout")
        .map((violation) => violation.message)
        .sort(),
      stackConfigFrom(readStackConfig("dev"))
        .everyFunction.filter((fn) => fn.live)
        .map((fn) => `${fn.name}:live moves all at once: no CodeDeploy deployment group rolls it out.`)
        .sort(),
    );
  });

  for (const stack of listStacks()) {
    it(`Pulumi.${stack}.yaml has no mandatory violation`, async () => {
      const { violations } = await runPolicies((await evaluateStack(stack)).resources);
      assert.deepEqual(
        violations.filter((violation) => violation.enforcementLevel === "mandatory"),
        [],
      );
    });
  }
});
