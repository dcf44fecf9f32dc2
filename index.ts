// graviton-platform: stack config -> app image -> database -> identity -> job queue and WebSocket API ->
// functions (the app's, and those with their own image) -> their wiring (authorizer, worker, migrations)
// -> HTTP API -> power tuning -> observability -> rollouts -> outputs.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { JOB_SUBMIT_ROUTE } from "./app/functions";
import { Bucket } from "./components/bucket";
import { ContainerFunction } from "./components/container-function";
import { ContainerImage } from "./components/container-image";
import { Database } from "./components/database";
import { HttpApi } from "./components/http-api";
import { JobQueue } from "./components/job-queue";
import { Network } from "./components/network";
import { metricsNamespace, telemetryEnvironment } from "./components/lambda-environment";
import { stackEnvironment } from "./components/stack-environment";
import { Observability } from "./components/observability";
import { ownImageFunction } from "./components/own-image-function";
import { presetTargetsOf } from "./components/permission-presets";
import { PowerTuning } from "./components/power-tuning";
import { Rollouts } from "./components/rollouts";
import { UserPool } from "./components/user-pool";
import { WebSocketApi } from "./components/websocket-api";
import { stackConfigFrom } from "./config";

// The stack's config, validated once: every component below takes its part of it.
const config = stackConfigFrom(pulumi.runtime.allConfig());
const { logRetentionDays } = config;

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

// The VPC, and PostgreSQL (Graviton) behind RDS Proxy in it; functions connect with IAM auth and TLS.
// (The network is named db: its VPC keeps the name it had inside the Database, so it is not replaced.)
const network = new Network("db", config.network, inStack);
const postgres = new Database("db", { network, ...config.database, logRetentionDays }, inStack);

// Who may submit and read jobs: an external OIDC issuer from config, or the stack's own Cognito user pool.
const users = config.auth ? undefined : new UserPool("users", { deletionProtection: config.database.deletionProtection }, inStack);
const tokenIssuer = config.auth ?? users!;

// Asynchronous jobs: WebSocket API (or POST /jobs) -> queue (DLQ, managed redrive) -> worker with capped
// concurrency -> PostgreSQL -> the result back over the WebSocket connection.
const jobQueue = new JobQueue("jobs", { workerTimeoutSeconds: config.functionNamed.worker.timeout, ...config.jobs }, inStack);
const queue = { name: jobQueue.queueName, arn: jobQueue.queueArn };
const manageAccountLogRole = config.apiGatewayAccountLogRole;
const websocket = new WebSocketApi("ws", { queue, throttling: config.apiThrottling, logRetentionDays, manageAccountLogRole }, inStack);

// One Lambda function per handler of the app; its architecture picks both `architectures` and the image,
// and what it does (app/functions.ts) picks the settings the stack gives it.
const databaseUsers = { app: postgres.appUser, admin: postgres.adminUser };
const namespace = metricsNamespace(pulumi.getProject(), pulumi.getStack());
const stack = { namespace, tokenIssuer, managementEndpoint: websocket.managementEndpoint };
const functions: Record<string, ContainerFunction> = {};
for (const fn of config.functions) {
  const environment = { ...fn.environment, ...stackEnvironment(fn, stack) };
  const database = fn.database && postgres.grantConnect(databaseUsers[fn.database]);
  const args = { ...fn, image: appImage, command: [fn.handler], environment, logRetentionDays, database };
  functions[fn.name] = new ContainerFunction(fn.name, args, inStack);
}

// Functions that bring their own image (any runtime, their own Dockerfile), with what they may do as
// presets scoped to the resources they name: the stack's buckets (external ones are only named), its
// functions (config orders them so that one comes after those it invokes) and its queues.
const buckets = Object.fromEntries(
  Object.entries(config.buckets).flatMap(([name, settings]) => (settings.external ? [] : [[name, new Bucket(name, settings, inStack)]])),
);
const queues = {
  jobs: { arn: jobQueue.queueArn, url: jobQueue.queueUrl },
  "jobs-dlq": { arn: jobQueue.deadLetterQueueArn, url: jobQueue.deadLetterQueueUrl },
};
const presetTargets = presetTargetsOf({ buckets, functions, queues });
const ownImages: Record<string, ContainerImage> = {};
for (const fn of config.ownImageFunctions) {
  const environment = (name: string) => telemetryEnvironment(name, namespace);
  const own = ownImageFunction(fn, { ecr: config.ecr, environment, presetTargets, logRetentionDays }, inStack);
  [ownImages[fn.name], functions[fn.name]] = [own.image, own.function];
}
// Every function, as the API, the dashboard and the outputs see it.
const allFunctions = config.everyFunction.map((fn) => ({ ...fn, timeoutSeconds: fn.timeout, variants: functions[fn.name].variants }));

// Callers invoke a serving function's live alias (ContainerFunction.caller), never $LATEST.
websocket.authorizeConnections(functions["ws-authorizer"].caller);
websocket.grantManageConnections(functions.worker, "worker-manage-connections");
jobQueue.subscribe({ arn: functions.worker.caller.arn, role: functions.worker.role });
// Schema migrations run on deploy, whenever app/migrations changes.
postgres.runMigrations(functions.migrate, "app/migrations");

// HTTP API: synchronous requests -> functions; POST /jobs -> the queue, with no Lambda in front.
const routes = allFunctions.flatMap(({ name, route, authorized }) =>
  route ? [{ routeKey: route, authorized, function: functions[name].caller }] : [],
);
const api = new HttpApi(
  "api",
  {
    jwt: tokenIssuer,
    routes: [...routes, { routeKey: JOB_SUBMIT_ROUTE, authorized: true, queue: { url: jobQueue.queueUrl, arn: jobQueue.queueArn } }],
    throttling: config.apiThrottling,
    logRetentionDays,
  },
  inStack,
);

// Power tuning: memory x architecture for the tunable functions and their twins.
const tuner = functions["power-tuning"];
const powerTuning = new PowerTuning(
  "tuning",
  {
    taskFunction: { arn: tuner.arn, role: tuner.role, reservedConcurrency: config.functionNamed["power-tuning"].reservedConcurrency },
    tunedFunctionArns: config.tuning.functions.flatMap((name) => functions[name].arns),
    logRetentionDays,
  },
  inStack,
);

// Observe before tuning (seed 002): alarms to an SNS topic, one dashboard, saved Logs Insights queries.
const observability = new Observability(
  "observe",
  {
    ...config.alarms,
    namespace,
    functions: allFunctions,
    httpApi: { apiId: api.apiId },
    websocketApi: { apiId: websocket.apiId, stage: websocket.stageName },
    queue: { name: jobQueue.queueName, deadLetterName: jobQueue.deadLetterQueueName },
    database: { instanceId: postgres.instanceId, proxyName: postgres.proxyName, allocatedStorageGiB: config.database.allocatedStorage },
    stateMachine: { arn: powerTuning.stateMachineArn },
  },
  inStack,
);

// Rollouts: each serving function's new version reaches its live alias through CodeDeploy (a gradual config
// rolled back on its own alarms, or a before-traffic check), `pulumi up` waiting for it; or all at once.
const rollouts = new Rollouts(
  "rollouts",
  {
    functions: allFunctions.flatMap((fn) => (fn.live ? [{ ...fn, live: fn.live, function: functions[fn.name] }] : [])),
    checks: functions,
    deploymentConfigs: config.deploymentConfigs,
    alarms: config.alarms,
    alarmTopicArn: observability.alarmTopicArn,
    hooks: { image: appImage, environment: (name) => telemetryEnvironment(name, namespace), logRetentionDays },
  },
  inStack,
);

export const apiUrl = api.url;
export const websocketUrl = websocket.url;
export const ecrRepositoryUrls = Object.fromEntries(
  Object.entries({ app: appImage, ...ownImages }).map(([name, image]) => [name, image.repositoryUrl]),
);
export const database = {
  proxyEndpoint: postgres.proxyEndpoint,
  name: postgres.databaseName,
  appUser: postgres.appUser,
  vpcId: network.vpcId,
};
export const tuningStateMachineArn = powerTuning.stateMachineArn;
export const bucketNames = Object.fromEntries(Object.entries(buckets).map(([name, bucket]) => [name, bucket.bucketName]));
export const monitoring = {
  alarmTopicArn: observability.alarmTopicArn,
  dashboardName: observability.dashboardName,
  dashboardNames: observability.dashboardNames,
  metricsNamespace: namespace,
};
export const jobs = { queueUrl: jobQueue.queueUrl, deadLetterQueueUrl: jobQueue.deadLetterQueueUrl };
export const auth = { issuer: tokenIssuer.issuer, audience: tokenIssuer.audience, userPoolId: users?.userPoolId };
export const lambdaFunctions = Object.fromEntries(
  allFunctions.map(({ name, route }) => [
    name,
    { ...functions[name].variants[0], route, twin: functions[name].twin, liveAlias: functions[name].live?.alias.arn },
  ]),
);
export const deployments = { application: rollouts.applicationName, groups: rollouts.groups };
// What another stack of the same product (an area of it) takes by stack reference, to run its own functions
// on this stack's database (as the app user, through RDS Proxy, in its VPC), queue and alarm topic: docs/scaling.md.
export const shared = {
  database: postgres.grantConnect(config.database.appUser),
  jobs: { queueArn: jobQueue.queueArn, queueUrl: jobQueue.queueUrl },
  alarmTopicArn: observability.alarmTopicArn,
};
