// graviton-platform: stack config -> app image -> database -> identity -> job queue and WebSocket API ->
// container functions (the app's, and those with their own image) -> their wiring (authorizer, worker,
// migrations) -> HTTP API -> power tuning -> observability -> outputs.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { JOB_SUBMIT_ROUTE, type AppFunctionName } from "./app/functions";
import { ContainerFunction } from "./components/container-function";
import { ContainerImage } from "./components/container-image";
import { Bucket } from "./components/bucket";
import { presetEnvironment, presetStatements, type PresetTargets } from "./components/permission-presets";
import { Database } from "./components/database";
import { HttpApi } from "./components/http-api";
import { JobQueue } from "./components/job-queue";
import { Observability } from "./components/observability";
import { metricsNamespace, telemetryEnvironment } from "./components/lambda-environment";
import { PowerTuning } from "./components/power-tuning";
import { UserPool } from "./components/user-pool";
import { WebSocketApi } from "./components/websocket-api";
import { architecturesOf, concurrencyLimit, FunctionConfig, loadStackConfig } from "./config";

const config = loadStackConfig();

// Every AWS resource is tagged with the project and the stack (the provider's default tags).
const provider = new aws.Provider("aws", {
  region: config.region as aws.Region | undefined,
  defaultTags: { tags: { project: pulumi.getProject(), stack: pulumi.getStack() } },
});
const inStack = { providers: [provider] };

// One image per architecture in use, holding every handler of app/.
const appImage = new ContainerImage(
  "app",
  { context: ".", dockerfile: "app/Dockerfile", architectures: config.architecturesInUse, ...config.ecr },
  inStack,
);

// PostgreSQL (Graviton) behind RDS Proxy, in its own VPC; functions connect with IAM auth and TLS.
const postgres = new Database("db", { ...config.network, ...config.database, logRetentionDays: config.logRetentionDays }, inStack);

// Who may submit and read jobs: an external OIDC issuer from config, or the stack's own Cognito user pool.
const users = config.auth ? undefined : new UserPool("users", { deletionProtection: config.database.deletionProtection }, inStack);
const tokenIssuer = config.auth ?? users!;

// Asynchronous jobs: WebSocket API (or POST /jobs) -> queue (DLQ, managed redrive) -> worker with capped
// concurrency -> PostgreSQL -> the result back over the WebSocket connection.
const jobQueue = new JobQueue("jobs", { workerTimeoutSeconds: config.functionNamed.worker.timeout, ...config.jobs }, inStack);
const websocket = new WebSocketApi(
  "ws",
  {
    queue: { name: jobQueue.queueName, arn: jobQueue.queueArn },
    throttling: config.apiThrottling,
    logRetentionDays: config.logRetentionDays,
    manageAccountLogRole: config.apiGatewayAccountLogRole,
  },
  inStack,
);

// One Lambda function per handler; its architecture picks both `architectures` and the image, and what it
// does (app/functions.ts) picks the settings the stack gives it.
const databaseUsers = { app: postgres.appUser, admin: postgres.adminUser };
const namespace = metricsNamespace(pulumi.getProject(), pulumi.getStack());
const stackSettings = (fn: FunctionConfig): Record<string, pulumi.Input<string>> => ({
  ...telemetryEnvironment(fn.name, namespace),
  ...(fn.verifiesTokens && {
    JWT_ISSUER: tokenIssuer.issuer,
    JWT_AUDIENCE: pulumi.output(tokenIssuer.audience).apply((ids) => ids.join(",")),
    JWT_SCOPE: tokenIssuer.scope,
  }),
  ...(fn.notifiesConnections && { WEBSOCKET_MANAGEMENT_ENDPOINT: websocket.managementEndpoint }),
});
const functions = Object.fromEntries(
  config.functions.map((fn) => [
    fn.name,
    new ContainerFunction(
      fn.name,
      {
        ...fn, // architecture, twin, memory, timeout, reserved concurrency, description, expected traffic
        image: appImage,
        command: [fn.handler],
        environment: { ...fn.environment, ...stackSettings(fn) },
        logRetentionDays: config.logRetentionDays,
        database: fn.database && postgres.grantConnect(databaseUsers[fn.database]),
      },
      inStack,
    ),
  ]),
) as Record<AppFunctionName, ContainerFunction>;

// Buckets for functions' data: the stack's own (external ones are only named).
const buckets = Object.fromEntries(
  Object.entries(config.buckets).flatMap(([name, settings]) => (settings.external ? [] : [[name, new Bucket(name, settings, inStack)]])),
);
// Functions that bring their own image (any runtime, their own Dockerfile): their own repository and build,
// and what they may do as presets scoped to the resources they name. Config orders them so that a function
// comes after the ones it invokes, whose names it gets.
const everyFunction: Record<string, ContainerFunction> = { ...functions };
const ownImages: Record<string, ContainerImage> = {};
const presetTargets: PresetTargets = {
  bucketArn: (name) => buckets[name]?.arn ?? `arn:aws:s3:::${name}`,
  bucketName: (name) => buckets[name]?.bucketName ?? name,
  functionArns: (name) => everyFunction[name].arns,
  functionName: (name) => everyFunction[name].functionName,
  queueArn: (queue) => (queue === "jobs" ? jobQueue.queueArn : jobQueue.deadLetterQueueArn),
};
for (const fn of config.containerFunctions) {
  const { context, dockerfile, prebuilt } = fn;
  ownImages[fn.name] = new ContainerImage(
    fn.name,
    { context, dockerfile, architectures: architecturesOf(fn), ...config.ecr, prebuilt },
    inStack,
  );
  const environment = {
    ...fn.environment,
    ...telemetryEnvironment(fn.name, namespace),
    ...presetEnvironment(fn.permissions, presetTargets),
  };
  const description = `${fn.name}: its own image (${dockerfile})`;
  everyFunction[fn.name] = new ContainerFunction(
    fn.name,
    { ...fn, image: ownImages[fn.name], environment, logRetentionDays: config.logRetentionDays, description },
    inStack,
  );
  if (fn.permissions.length > 0) everyFunction[fn.name].allow(`${fn.name}-presets`, presetStatements(fn.permissions, presetTargets));
}
// Every function, as the API, the dashboard and the outputs see it.
const allFunctions = [
  ...config.functions.map((fn) => ({ ...fn, concurrencyLimit: concurrencyLimit(fn, config.jobs) })),
  ...config.containerFunctions.map((fn) => ({ ...fn, concurrencyLimit: fn.reservedConcurrency })),
];

websocket.authorizeConnections(functions["ws-authorizer"]);
websocket.grantManageConnections(functions.worker, "worker-manage-connections");
jobQueue.subscribe(functions.worker);
// Schema migrations run on deploy, whenever app/migrations changes.
postgres.runMigrations(functions.migrate, "app/migrations");

// HTTP API: synchronous requests -> functions; POST /jobs -> the queue, with no Lambda in front.
const api = new HttpApi(
  "api",
  {
    jwt: tokenIssuer,
    routes: [
      ...allFunctions.flatMap((fn) =>
        fn.route
          ? [
              {
                routeKey: fn.route,
                authorized: fn.authorized,
                function: { name: everyFunction[fn.name].functionName, arn: everyFunction[fn.name].arn },
              },
            ]
          : [],
      ),
      { routeKey: JOB_SUBMIT_ROUTE, authorized: true, queue: { url: jobQueue.queueUrl, arn: jobQueue.queueArn } },
    ],
    throttling: config.apiThrottling,
    logRetentionDays: config.logRetentionDays,
  },
  inStack,
);

// Power tuning: memory x architecture for the tunable functions and their twins.
const tuner = functions["power-tuning"];
const powerTuning = new PowerTuning(
  "tuning",
  {
    taskFunction: { arn: tuner.arn, role: tuner.role, reservedConcurrency: config.functionNamed["power-tuning"].reservedConcurrency },
    tunedFunctionArns: config.tuning.functions.flatMap((name) => everyFunction[name].arns),
    logRetentionDays: config.logRetentionDays,
  },
  inStack,
);

// Observe before tuning (seed 002): alarms to an SNS topic, one dashboard, saved Logs Insights queries.
const observability = new Observability(
  "observe",
  {
    ...config.alarms,
    namespace,
    functions: allFunctions.map((fn) => ({
      name: fn.name,
      variants: everyFunction[fn.name].variants,
      timeoutSeconds: fn.timeout,
      concurrencyLimit: fn.concurrencyLimit,
    })),
    httpApi: { apiId: api.apiId },
    websocketApi: { apiId: websocket.apiId, stage: websocket.stageName },
    queue: { name: jobQueue.queueName, deadLetterName: jobQueue.deadLetterQueueName },
    database: { instanceId: postgres.instanceId, proxyName: postgres.proxyName, allocatedStorageGiB: config.database.allocatedStorage },
    stateMachine: { arn: powerTuning.stateMachineArn },
  },
  inStack,
);

export const apiUrl = api.url;
export const websocketUrl = websocket.url;
export const ecrRepositoryUrls = {
  app: appImage.repositoryUrl,
  ...Object.fromEntries(Object.entries(ownImages).map(([name, image]) => [name, image.repositoryUrl])),
};
export const database = {
  proxyEndpoint: postgres.proxyEndpoint,
  name: postgres.databaseName,
  appUser: postgres.appUser,
  vpcId: postgres.vpcId,
};
export const tuningStateMachineArn = powerTuning.stateMachineArn;
export const bucketNames = Object.fromEntries(Object.entries(buckets).map(([name, bucket]) => [name, bucket.bucketName]));
export const monitoring = {
  alarmTopicArn: observability.alarmTopicArn,
  dashboardName: observability.dashboardName,
  metricsNamespace: namespace,
};
export const jobs = { queueUrl: jobQueue.queueUrl, deadLetterQueueUrl: jobQueue.deadLetterQueueUrl };
export const auth = { issuer: tokenIssuer.issuer, audience: tokenIssuer.audience, userPoolId: users?.userPoolId };
export const lambdaFunctions = Object.fromEntries(
  allFunctions.map(({ name, route }) => [name, { ...everyFunction[name].variants[0], route, twin: everyFunction[name].twin }]),
);
