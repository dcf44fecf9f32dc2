import { join } from "node:path";
import { databaseEnvironment, poolIdleTimeoutMs } from "../../components/database-settings";
import { metricsNamespace, telemetryEnvironment } from "../../components/lambda-environment";
import { stackEnvironment } from "../../components/stack-environment";
import { presetEnvironment, type PresetTargets } from "../../components/permission-presets";
import { PROJECT, type FunctionConfig, type OwnImageFunctionConfig, type StackConfig } from "../../config";

/**
 * What a local function's environment holds beyond the variables the stack deploys: the credentials of
 * its role (Lambda's runtime sets them from the execution role), the local AWS APIs' endpoints (which the
 * AWS SDK reads), the local database's CA, and the migrations' folder (in the image, a fixed path).
 */
export const LOCAL_ONLY_VARIABLES = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_ENDPOINT_URL_S3",
  "AWS_ENDPOINT_URL_LAMBDA",
  "AWS_ENDPOINT_URL_SQS",
  "NODE_EXTRA_CA_CERTS",
  "MIGRATIONS_DIR",
];

export interface LocalEnvironmentContext {
  config: StackConfig;
  stack: string;
  /** The platform's base URL (`http://127.0.0.1:<port>`) and the WebSocket API's stage. */
  apiUrl: string;
  stage: string;
  database: { host: string; port: number; name: string; certFile: string };
  issuer: { issuer: string; clientId: string; scope: string };
  /**
   * Each function's own access key and secret (new at every start), where Lambda puts its role's
   * credentials: the local S3, Lambda, SQS, @connections and database proxy verify its SigV4 signature
   * with it and hold it to its policy. Nothing reaches AWS.
   */
  keyOf(name: string): { accessKeyId: string; secretAccessKey: string };
  /** What the presets name, as the local platform serves it. */
  targets: PresetTargets;
}

/**
 * Every local function's environment: the variables the stack sets on the deployed function (its own,
 * telemetry, its grants' DB_*, JWT_*, the management endpoint, its presets'), with the local parts' values,
 * and LOCAL_ONLY_VARIABLES. tests/dev/platform.integration.test.ts holds the names to the deployed stack's.
 */
export function localEnvironments(context: LocalEnvironmentContext) {
  const { config, database, issuer } = context;
  const credentials = (name: string) => {
    const key = context.keyOf(name);
    return { AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey, AWS_SESSION_TOKEN: "local-dev-only" };
  };
  const namespace = metricsNamespace(PROJECT, context.stack);
  // What the stack sets (stackEnvironment, databaseEnvironment), with the local parts' values.
  const stack = {
    namespace,
    tokenIssuer: { issuer: issuer.issuer, audience: [issuer.clientId], scope: issuer.scope },
    managementEndpoint: `${context.apiUrl}/${context.stage}`,
  };
  return {
    ofAppFunction: (fn: FunctionConfig): Record<string, string> => ({
      ...fn.environment,
      ...credentials(fn.name),
      ...(stackEnvironment(fn, stack) as Record<string, string>),
      ...(fn.database && {
        ...databaseEnvironment({
          host: database.host,
          port: database.port,
          name: database.name,
          user: fn.database === "admin" ? config.database.adminUser : config.database.appUser,
          idleTimeoutMs: poolIdleTimeoutMs(config.database.proxy.idleClientTimeoutSeconds),
        }),
        // The functions verify the local database's certificate as they verify RDS Proxy's: trusted, not skipped.
        NODE_EXTRA_CA_CERTS: database.certFile,
      }),
      ...(fn.name === "migrate" && { MIGRATIONS_DIR: join(__dirname, "..", "..", "app", "migrations") }),
    }),
    ofOwnImageFunction: (fn: OwnImageFunctionConfig): Record<string, string> => ({
      ...fn.environment,
      ...credentials(fn.name),
      ...telemetryEnvironment(fn.name, namespace),
      ...(presetEnvironment(fn.permissions, context.targets) as Record<string, string>),
      AWS_ENDPOINT_URL_S3: `${context.apiUrl}/_local/s3`,
      AWS_ENDPOINT_URL_LAMBDA: `${context.apiUrl}/_local/lambda`,
      AWS_ENDPOINT_URL_SQS: `${context.apiUrl}/_local/sqs`,
    }),
  };
}
