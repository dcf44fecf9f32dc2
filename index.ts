// graviton-platform: stack config -> app image -> database -> identity -> container functions -> migrations
// -> job queue -> WebSocket API -> worker -> HTTP API -> power tuning -> stack outputs.
import * as pulumi from "@pulumi/pulumi";
import { ContainerFunction } from "./components/container-function";
import { ContainerImage } from "./components/container-image";
import { Database } from "./components/database";
import { HttpApi } from "./components/http-api";
import { JobQueue } from "./components/job-queue";
import { PowerTuning } from "./components/power-tuning";
import { UserPool } from "./components/user-pool";
import { WebSocketApi } from "./components/websocket-api";
import { FunctionConfig, loadStackConfig } from "./config";

const config = loadStackConfig();

// One image per architecture in use, holding every handler of app/.
const appImage = new ContainerImage("app", {
  context: ".",
  dockerfile: "app/Dockerfile",
  architectures: config.architecturesInUse,
  keepImages: config.ecr.keepImages,
  forceDelete: config.ecr.forceDelete,
});

// PostgreSQL (Graviton) behind RDS Proxy, in its own VPC; functions connect with IAM auth and TLS.
const { name: databaseName, proxy, ...databaseSettings } = config.database;
const postgres = new Database("db", {
  ...config.network,
  ...databaseSettings,
  databaseName,
  proxy,
  logRetentionDays: config.logRetentionDays,
});
const databaseUsers = { app: postgres.appUser, admin: postgres.adminUser };

// Who may submit and read jobs: an external OIDC issuer from config, or the stack's own Cognito user pool.
const users = config.auth ? undefined : new UserPool("users", { deletionProtection: config.database.deletionProtection });
const tokenIssuer = config.auth ?? users!;

// One Lambda function per handler; its architecture picks both `architectures` and the image.
const deployFunction = (fn: FunctionConfig, environment: Record<string, pulumi.Input<string>> = {}) => ({
  config: fn,
  resource: new ContainerFunction(fn.name, {
    image: appImage,
    command: [fn.handler],
    architecture: fn.architecture,
    compareArchitectures: fn.compareArchitectures,
    memory: fn.memory,
    timeout: fn.timeout,
    reservedConcurrency: fn.reservedConcurrency,
    environment: { ...fn.environment, ...environment },
    logRetentionDays: config.logRetentionDays,
    description: fn.description,
    expectedTraffic: fn.expectedTraffic,
    database: fn.database && postgres.grantConnect(databaseUsers[fn.database]),
  }),
});
const tokenSettings = {
  JWT_ISSUER: tokenIssuer.issuer,
  JWT_AUDIENCE: pulumi.output(tokenIssuer.audience).apply((ids) => ids.join(",")),
  JWT_SCOPE: tokenIssuer.scope,
};
const functions = config.functions
  .filter((fn) => !fn.notifiesConnections)
  .map((fn) => deployFunction(fn, fn.verifiesTokens ? tokenSettings : {}));
const functionNamed = (name: string) => functions.find(({ config: fn }) => fn.name === name)!;

// Schema migrations run on deploy, whenever app/migrations changes.
postgres.runMigrations(functionNamed("migrate").resource, "app/migrations");

// Asynchronous jobs: WebSocket API (or POST /jobs) -> queue (DLQ, managed redrive) -> worker with capped
// concurrency -> PostgreSQL -> the result back over the WebSocket connection.
const workerConfig = config.functions.find((fn) => fn.name === "worker")!;
const jobQueue = new JobQueue("jobs", { workerTimeoutSeconds: workerConfig.timeout, ...config.jobs });
const authorizer = functionNamed("ws-authorizer").resource;
const websocket = new WebSocketApi("ws", {
  authorizer: { name: authorizer.functionName, arn: authorizer.arn },
  queue: { name: jobQueue.queueName, arn: jobQueue.queueArn },
  throttling: config.apiThrottling,
  logRetentionDays: config.logRetentionDays,
  manageAccountLogRole: config.apiGatewayAccountLogRole,
});
for (const fn of config.functions.filter((candidate) => candidate.notifiesConnections)) {
  const notifier = deployFunction(fn, { WEBSOCKET_MANAGEMENT_ENDPOINT: websocket.managementEndpoint });
  websocket.grantManageConnections(notifier.resource, `${fn.name}-manage-connections`);
  functions.push(notifier);
}
jobQueue.subscribe(functionNamed("worker").resource);

// HTTP API: synchronous requests -> functions; POST /jobs -> the queue, with no Lambda in front.
const api = new HttpApi("api", {
  jwt: tokenIssuer,
  routes: [
    ...functions.flatMap(({ config: fn, resource }) =>
      fn.route ? [{ routeKey: fn.route, authorized: fn.authorized, function: { name: resource.functionName, arn: resource.arn } }] : [],
    ),
    { routeKey: "POST /jobs", authorized: true, queue: { url: jobQueue.queueUrl, arn: jobQueue.queueArn } },
  ],
  throttling: config.apiThrottling,
  logRetentionDays: config.logRetentionDays,
});

// Power tuning: memory x architecture for the tunable functions and their twins.
const tuner = functionNamed("power-tuning");
const powerTuning = new PowerTuning("tuning", {
  taskFunction: { arn: tuner.resource.arn, role: tuner.resource.role, reservedConcurrency: tuner.config.reservedConcurrency },
  tunedFunctionArns: config.tuning.functions.flatMap((name) => {
    const fn = functionNamed(name).resource;
    return fn.twin ? [fn.arn, fn.twin.arn] : [fn.arn];
  }),
  logRetentionDays: config.logRetentionDays,
});

export const apiUrl = api.url;
export const websocketUrl = websocket.url;
export const ecrRepositoryUrls = { app: appImage.repositoryUrl };
export const database = {
  proxyEndpoint: postgres.proxyEndpoint,
  name: postgres.databaseName,
  appUser: postgres.appUser,
  vpcId: postgres.vpcId,
};
export const tuningStateMachineArn = powerTuning.stateMachineArn;
export const jobs = { queueUrl: jobQueue.queueUrl, deadLetterQueueUrl: jobQueue.deadLetterQueueUrl };
export const auth = { issuer: tokenIssuer.issuer, audience: tokenIssuer.audience, userPoolId: users?.userPoolId };
export const lambdaFunctions = Object.fromEntries(
  functions.map(({ config: fn, resource }) => [
    fn.name,
    {
      name: resource.functionName,
      arn: resource.arn,
      architecture: resource.architecture,
      imageUri: resource.imageUri,
      route: fn.route,
      twin: resource.twin && {
        name: resource.twin.name,
        arn: resource.twin.arn,
        architecture: resource.twin.architecture,
        imageUri: resource.twin.imageUri,
      },
    },
  ]),
);
