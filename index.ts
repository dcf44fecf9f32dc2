// graviton-platform: stack config -> app image -> database -> container functions -> migrations -> job queue
// -> HTTP API -> stack outputs.
import { ContainerFunction } from "./components/container-function";
import { ContainerImage } from "./components/container-image";
import { Database } from "./components/database";
import { HttpApi } from "./components/http-api";
import { JobQueue } from "./components/job-queue";
import { UserPool } from "./components/user-pool";
import { loadStackConfig } from "./config";

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

// One Lambda function per handler; its architecture picks both `architectures` and the image.
const functions = config.functions.map((fn) => ({
  config: fn,
  resource: new ContainerFunction(fn.name, {
    image: appImage,
    command: [fn.handler],
    architecture: fn.architecture,
    compareArchitectures: fn.compareArchitectures,
    memory: fn.memory,
    timeout: fn.timeout,
    reservedConcurrency: fn.reservedConcurrency,
    environment: fn.environment,
    logRetentionDays: config.logRetentionDays,
    description: fn.description,
    expectedTraffic: fn.expectedTraffic,
    database: fn.database && postgres.grantConnect(databaseUsers[fn.database]),
  }),
}));
const functionNamed = (name: string) => functions.find(({ config: fn }) => fn.name === name)!;

// Schema migrations run on deploy, whenever app/migrations changes.
postgres.runMigrations(functionNamed("migrate").resource, "app/migrations");

// Asynchronous jobs: queue (DLQ, managed redrive) -> worker with capped concurrency -> PostgreSQL.
const worker = functionNamed("worker");
const jobQueue = new JobQueue("jobs", {
  worker: { arn: worker.resource.arn, role: worker.resource.role, timeoutSeconds: worker.config.timeout },
  ...config.jobs,
});

// Who may submit and read jobs: an external OIDC issuer from config, or the stack's own Cognito user pool.
const users = config.auth ? undefined : new UserPool("users", { deletionProtection: config.database.deletionProtection });
const tokenIssuer = config.auth ?? users!;

// HTTP API: synchronous requests -> functions; POST /jobs -> the queue, with no Lambda in front.
const api = new HttpApi("api", {
  jwt: tokenIssuer,
  routes: [
    ...functions.flatMap(({ config: fn, resource }) =>
      fn.route ? [{ routeKey: fn.route, authorized: fn.authorized, function: { name: resource.functionName, arn: resource.arn } }] : [],
    ),
    { routeKey: "POST /jobs", authorized: true, queue: { url: jobQueue.queueUrl, arn: jobQueue.queueArn } },
  ],
  throttling: config.httpApi,
  logRetentionDays: config.logRetentionDays,
});

export const apiUrl = api.url;
export const ecrRepositoryUrls = { app: appImage.repositoryUrl };
export const database = {
  proxyEndpoint: postgres.proxyEndpoint,
  name: postgres.databaseName,
  appUser: postgres.appUser,
  vpcId: postgres.vpcId,
};
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
