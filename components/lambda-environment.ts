import { AWS_LIMITS } from "./aws-limits";
import { z } from "zod";
/**
 * What Lambda allows in a function's environment, and what this stack puts there itself.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html (reserved names) and
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (4 KB for all variables together).
 */

/** Environment variables Lambda sets itself and refuses in a function's configuration. */
export const LAMBDA_RESERVED_ENVIRONMENT: readonly string[] = [
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_DEFAULT_REGION",
  "AWS_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
];

/** Lambda's limit on the total size of a function's environment variables. */
export const ENVIRONMENT_MAX_BYTES = 4096;

/**
 * The variables the stack sets on a function, by what the function does (app/functions.ts), each with
 * the most bytes its value can take: Database.grantConnect sets DB_*, index.ts the telemetry settings
 * (telemetryEnvironment), the token issuer's JWT_* and the WebSocket API's management endpoint. A user's `environment` may not set these names.
 */
export const STACK_ENVIRONMENT = {
  // Every function: Powertools' service name (the function's name) and the stack's metrics namespace.
  telemetry: { POWERTOOLS_SERVICE_NAME: 64, POWERTOOLS_METRICS_NAMESPACE: 255 },
  database: { DB_HOST: 140, DB_PORT: 5, DB_NAME: 63, DB_USER: 63, DB_IDLE_TIMEOUT_MS: 10 },
  verifiesTokens: { JWT_ISSUER: 256, JWT_AUDIENCE: 512, JWT_SCOPE: 128 },
  notifiesConnections: { WEBSOCKET_MANAGEMENT_ENDPOINT: 128 },
} as const satisfies Record<string, Record<string, number>>;

export type StackEnvironmentRole = keyof typeof STACK_ENVIRONMENT;

/**
 * The CloudWatch namespace of the stack's custom metrics (EMF): one per stack, so dev and prod never mix.
 * CloudWatch allows 255 characters of letters, digits and . - _ / # : (stack names use a subset).
 */
export const metricsNamespace = (project: string, stack: string) => `${project}/${stack}`;

/** What Powertools reads in a function: its service name (the function's name) and the metrics namespace. */
export const telemetryEnvironment = (functionName: string, namespace: string) => ({
  POWERTOOLS_SERVICE_NAME: functionName,
  POWERTOOLS_METRICS_NAMESPACE: namespace,
});

/** Every name the stack sets on some function. */
export const STACK_ENVIRONMENT_NAMES: readonly string[] = Object.values(STACK_ENVIRONMENT).flatMap((variables) => Object.keys(variables));

/** The size Lambda counts: the variables' names and values, as the JSON map Lambda stores. */
export function environmentBytes(variables: Record<string, string>): number {
  return Buffer.byteLength(JSON.stringify(variables));
}

/** The largest environment a function can get: its own variables plus, for each role, every stack variable at its longest. */
export function largestEnvironmentBytes(own: Record<string, string>, roles: StackEnvironmentRole[]): number {
  const stackSet = Object.fromEntries(
    roles.flatMap((role) => Object.entries(STACK_ENVIRONMENT[role]).map(([name, bytes]) => [name, "x".repeat(bytes)])),
  );
  return environmentBytes({ ...own, ...stackSet });
}

/** Fails with the function's name and the sizes when its environment is over Lambda's limit. */
export function checkEnvironmentSize(functionName: string, variables: Record<string, string>): Record<string, string> {
  const bytes = environmentBytes(variables);
  if (bytes > ENVIRONMENT_MAX_BYTES) {
    throw new Error(
      `Function ${functionName}: its environment is ${bytes} bytes (${Object.keys(variables).join(", ")}); Lambda allows ${ENVIRONMENT_MAX_BYTES} in all. Shorten functions.${functionName}.environment.`,
    );
  }
  return variables;
}

/**
 * A function's own environment variables (`functions.<name>.environment`). Names are checked one by one,
 * reserved names first, so each refusal gives its real reason.
 */
export const environmentVariables = z
  .record(z.string(), z.string({ error: 'must map names to strings (quote numbers and booleans: "8080")' }), {
    error: "must be a map of variable names to strings",
  })
  .superRefine((variables, context) => {
    for (const name of Object.keys(variables)) {
      const problem = LAMBDA_RESERVED_ENVIRONMENT.includes(name)
        ? "is reserved by Lambda and cannot be set"
        : STACK_ENVIRONMENT_NAMES.includes(name)
          ? "is set by the stack itself (database, token issuer or WebSocket settings) and cannot be overridden"
          : AWS_LIMITS.lambdaEnvironmentVariableName.pattern.test(name)
            ? undefined
            : "is not a variable name Lambda accepts: a letter, then one or more letters, digits or underscores (two characters at least)";
      if (problem) context.addIssue({ code: "custom", path: [name], message: problem });
    }
    const bytes = environmentBytes(variables);
    if (bytes > ENVIRONMENT_MAX_BYTES) {
      context.addIssue({ code: "custom", message: `is ${bytes} bytes; Lambda allows ${ENVIRONMENT_MAX_BYTES} in all` });
    }
  });
