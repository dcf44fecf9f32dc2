import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { DEFAULT_POSTGRES_MAJOR, RDS_PROXY_POSTGRES_MAJORS } from "./components/rds-names";
import { AppFunction, AppFunctionName, appFunctions } from "./app/functions";
import {
  ENVIRONMENT_MAX_BYTES,
  environmentBytes,
  LAMBDA_RESERVED_ENVIRONMENT,
  largestEnvironmentBytes,
  STACK_ENVIRONMENT,
  STACK_ENVIRONMENT_NAMES,
  type StackEnvironmentRole,
} from "./components/lambda-environment";

/** The Pulumi project name: the namespace of every key below (`graviton-platform:architecture`). */
export const PROJECT = "graviton-platform";

export const ARCHITECTURES = ["arm64", "x86_64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export function otherArchitecture(architecture: Architecture): Architecture {
  return architecture === "arm64" ? "x86_64" : "arm64";
}

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;


const wholeNumber = (min: number, max: number, unit = "") =>
  z
    .int({ error: `must be a whole number from ${min} to ${max}${unit}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}${unit}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}${unit}` });

/** A strict object: an unknown key is an error that lists the keys that are allowed. */
const strictObject = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `has unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((key) => `"${key}"`).join(", ")}; allowed: ${Object.keys(shape).join(", ")}`
        : issue.code === "invalid_type"
          ? "must be an object (a YAML map)"
          : undefined,
  });

const architecture = z.enum(ARCHITECTURES, { error: 'must be "arm64" or "x86_64"' });

// Names are checked one by one, reserved names first, so each refusal gives its real reason.
const environment = z
  .record(z.string(), z.string({ error: 'must map names to strings (quote numbers and booleans: "8080")' }), {
    error: "must be a map of variable names to strings",
  })
  .superRefine((variables, context) => {
    for (const name of Object.keys(variables)) {
      const problem = LAMBDA_RESERVED_ENVIRONMENT.includes(name)
        ? "is reserved by Lambda and cannot be set"
        : STACK_ENVIRONMENT_NAMES.includes(name)
          ? "is set by the stack itself (database, token issuer or WebSocket settings) and cannot be overridden"
          : /^[A-Za-z][A-Za-z0-9_]*$/.test(name)
            ? undefined
            : "is not a variable name: letters, digits and underscores, starting with a letter";
      if (problem) context.addIssue({ code: "custom", path: [name], message: problem });
    }
    const bytes = environmentBytes(variables);
    if (bytes > ENVIRONMENT_MAX_BYTES) {
      context.addIssue({ code: "custom", message: `is ${bytes} bytes; Lambda allows ${ENVIRONMENT_MAX_BYTES} in all` });
    }
  });

const functionSettings = strictObject({
  /** Overrides the global architecture for this function. */
  architecture: architecture.optional(),
  /** MB; 1,769 MB is one full vCPU. */
  memory: wholeNumber(128, 10240, " (MB)").optional(),
  /** Seconds. */
  timeout: wholeNumber(1, 900, " (seconds)").optional(),
  /** Concurrency reserved for (and capped at) this function; unset = unreserved. */
  reservedConcurrency: wholeNumber(0, 10000).optional(),
  environment: environment.optional(),
  /** Deploy a twin of the other architecture, for comparing the two (Power Tuning). */
  compareArchitectures: z.boolean({ error: "must be true or false" }).optional(),
  /** Expected peak requests per second; with expectedDurationMs, checked against reserved concurrency. */
  expectedRps: z.number({ error: "must be a number of requests per second" }).positive({ error: "must be above 0" }).optional(),
  /** Expected average duration of one request, in ms. */
  expectedDurationMs: z.number({ error: "must be a number of milliseconds" }).positive({ error: "must be above 0" }).optional(),
}).refine((settings) => (settings.expectedRps === undefined) === (settings.expectedDurationMs === undefined), {
  error: "must set expectedRps and expectedDurationMs together (concurrency = requests per second x duration)",
});

const functionNames = Object.keys(appFunctions) as AppFunctionName[];

/** The stack-set variables a function gets, from what app/functions.ts says it does. */
function stackEnvironmentRoles(name: AppFunctionName): StackEnvironmentRole[] {
  const fn: AppFunction = appFunctions[name];
  return (["database", "verifiesTokens", "notifiesConnections"] as const).filter((role) => Boolean(fn[role]));
}

export const NAT_GATEWAY_STRATEGIES = ["none", "single", "onePerAz"] as const;

const network = strictObject({
  /** Availability zones the VPC spans (RDS needs subnets in at least two). */
  availabilityZones: wholeNumber(2, 6).default(2),
  /** NAT gateways: none (functions in the VPC reach only the database), one shared, or one per AZ. */
  natGateways: z
    .enum(NAT_GATEWAY_STRATEGIES, { error: `must be one of ${NAT_GATEWAY_STRATEGIES.join(", ")}` })
    .default("single"),
});

/** Roles RDS creates, and the group role the migrations create (app/migrations/0001_jobs.sql). */
const RESERVED_ROLES = new Set(["rdsadmin", "rds_superuser", "rds_iam", "rds_password", "app_rw", "public"]);

/** PostgreSQL identifiers the stack creates: lower case, so they never need quoting. */
const postgresName = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, {
  error: "must be a lower-case PostgreSQL name: a letter, then letters, digits or _ (at most 63)",
});

const databaseProxy = strictObject({
  /** Seconds a client connection may sit idle before the proxy closes it. */
  idleClientTimeoutSeconds: wholeNumber(1, 28800, " (seconds)").default(1800),
  /** Share of the database's max_connections the proxy may open. */
  maxConnectionsPercent: wholeNumber(1, 100, " (%)").default(90),
  /** Share of the database's max_connections the proxy keeps open while idle. */
  maxIdleConnectionsPercent: wholeNumber(0, 100, " (%)").default(50),
  /** Seconds a client waits for a free database connection before its query fails. */
  connectionBorrowTimeoutSeconds: wholeNumber(1, 3600, " (seconds)").default(30),
}).refine((proxy) => proxy.maxIdleConnectionsPercent <= proxy.maxConnectionsPercent, {
  path: ["maxIdleConnectionsPercent"],
  error: "must not exceed maxConnectionsPercent",
});

const database = strictObject({
  /** A Graviton class (the `g` in t4g, m7g, r8g) is the point of this platform; the policy pack checks it. */
  instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { error: 'must be an RDS instance class such as "db.t4g.micro"' }).default("db.t4g.micro"),
  /** Major ("18") or major.minor ("18.4"); the parameter group family follows the major version. */
  /** Major ("17") or major.minor ("17.6"); the parameter group family follows the major, which RDS Proxy must support. */
  engineVersion: z
    .string({ error: 'must be a PostgreSQL version in quotes, such as "17" or "17.6"' })
    .regex(/^\d{2}(\.\d+)?$/, { error: 'must be a PostgreSQL version in quotes, such as "17" or "17.6"' })
    .refine((version) => (RDS_PROXY_POSTGRES_MAJORS as readonly string[]).includes(version.split(".")[0]), {
      error: `must be a PostgreSQL major that RDS Proxy documents (${RDS_PROXY_POSTGRES_MAJORS.join(", ")})`,
    })
    .default(DEFAULT_POSTGRES_MAJOR),
  /** GB of gp3 storage to start with. */
  allocatedStorage: wholeNumber(20, 65536, " (GB)").default(20),
  /** Storage autoscaling ceiling in GB. */
  maxAllocatedStorage: wholeNumber(20, 65536, " (GB)").default(100),
  multiAz: z.boolean({ error: "must be true or false" }).default(false),
  /** Days of automated backups (point-in-time recovery); 0 (off) is not allowed. */
  backupRetentionDays: wholeNumber(1, 35, " (days)").default(7),
  deletionProtection: z.boolean({ error: "must be true or false" }).default(false),
  /** Take a final snapshot when the database is deleted. */
  finalSnapshot: z.boolean({ error: "must be true or false" }).default(false),
  /** The database the app uses. */
  name: postgresName.default("app"),
  /** The RDS master user; only the migrate function connects as it. */
  adminUser: postgresName.default("postgres"),
  /** The app's least-privileged login role. */
  appUser: postgresName.default("app_user"),
  proxy: databaseProxy.default(() => databaseProxy.parse({})),
})
  .refine((db) => db.maxAllocatedStorage >= db.allocatedStorage, {
    path: ["maxAllocatedStorage"],
    error: "must be at least allocatedStorage (it defaults to 100 GB)",
  })
  .refine((db) => db.appUser !== db.adminUser, { path: ["appUser"], error: "must differ from adminUser: the app never connects as the admin" })
  .superRefine((db, context) => {
    for (const key of ["adminUser", "appUser"] as const) {
      if (RESERVED_ROLES.has(db[key])) {
        context.addIssue({ code: "custom", path: [key], message: `must not be one of ${[...RESERVED_ROLES].join(", ")} (roles RDS or the migrations own)` });
      }
    }
  });

/** Top-level keys an SQS event filter pattern may match on (Lambda event filtering for SQS). */
const SQS_FILTER_KEYS = ["body", "attributes", "messageAttributes", "messageId", "md5OfBody", "eventSource", "awsRegion"];

const jobs = strictObject({
  /** Receives before a message moves to the DLQ. */
  maxReceiveCount: wholeNumber(1, 1000).default(3),
  /** Messages per worker invocation (above 10 needs a batching window). */
  batchSize: wholeNumber(1, 10000).default(10),
  /** Seconds the event source waits to fill a batch. */
  batchingWindowSeconds: wholeNumber(0, 300, " (seconds)").default(0),
  /** The most worker invocations the queue runs at once (SQS event source scalingConfig). */
  maximumConcurrency: wholeNumber(2, 1000).default(5),
  /** Days an unprocessed message stays in the queue. */
  retentionDays: wholeNumber(1, 14, " (days)").default(4),
  /** Alarm when the oldest message has waited this long. */
  oldestMessageAlarmSeconds: wholeNumber(60, 1209600, " (seconds)").default(300),
  /** Lambda event filter patterns; a message that matches none is deleted from the queue, unprocessed. */
  filterPatterns: z
    .array(
      z.record(z.string(), z.unknown(), { error: "must be a list of filter patterns (YAML maps)" }).refine(
        (pattern) => Object.keys(pattern).length > 0 && Object.keys(pattern).every((key) => SQS_FILTER_KEYS.includes(key)),
        { error: `must be a filter pattern on ${SQS_FILTER_KEYS.join(", ")}` },
      ),
      { error: "must be a list of filter patterns (YAML maps)" },
    )
    .max(5, { error: "may hold at most 5 patterns (Lambda's limit per event source)" })
    .optional(),
}).refine((jobs) => jobs.batchSize <= 10 || jobs.batchingWindowSeconds >= 1, {
  path: ["batchSize"],
  error: "above 10 needs batchingWindowSeconds of at least 1",
});

const auth = strictObject({
  /** The OIDC issuer whose JWTs the APIs accept, e.g. https://example.eu.auth0.com/ (its JWKS is at <issuer>/.well-known/jwks.json). */
  issuer: z.url({ protocol: /^https$/, error: "must be the issuer's https URL, as in its tokens' iss claim" }),
  /** Accepted audiences (the tokens' aud claim): your app's client id(s). */
  audience: z.array(z.string().check(z.minLength(1)), { error: "must be a list of client ids" }).min(1, { error: "must name at least one client id" }),
  /** The scope the issuer's access tokens for these APIs carry; ID tokens carry none and are refused. */
  scope: z.string({ error: "must be the scope your access tokens carry, e.g. \"jobs\"" }).regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/, {
    error: "must be one scope token (printable characters, no spaces or quotes; at most 128)",
  }),
});

const tuningCandidates = functionNames.filter((name) => name !== "power-tuning") as Exclude<AppFunctionName, "power-tuning">[];
const tunableByDefault = tuningCandidates.filter((name) => "tunable" in appFunctions[name] && appFunctions[name].tunable);

const tuning = strictObject({
  /** The functions (and their twins) the power-tuning state machine may change, invoke and clean up. */
  functions: z
    .array(z.enum(tuningCandidates, { error: `must name functions of app/functions.ts: ${tuningCandidates.join(", ")}` }), {
      error: "must be a list of function names",
    })
    .default(tunableByDefault),
});

const stackConfigSchema = strictObject({
  architecture: architecture.default("arm64"),
  functions: strictObject(
    Object.fromEntries(functionNames.map((name) => [name, functionSettings.optional()])) as Record<
      AppFunctionName,
      z.ZodOptional<typeof functionSettings>
    >,
  ).default({}),
  logRetentionDays: z
    .literal(LOG_RETENTION_DAYS, { error: `must be one of CloudWatch's retention periods: ${LOG_RETENTION_DAYS.join(", ")}` })
    .default(14),
  httpApiBurstLimit: wholeNumber(0, 5000).default(100),
  httpApiRateLimit: wholeNumber(0, 10000).default(50),
  ecrKeepImages: wholeNumber(1, 1000).default(20),
  ecrForceDelete: z.boolean({ error: "must be true or false" }).default(false),
  apiGatewayAccountLogRole: z.boolean({ error: "must be true or false" }).default(true),
  network: network.default(() => network.parse({})),
  database: database.default(() => database.parse({})),
  jobs: jobs.default(() => jobs.parse({})),
  /** An external OIDC issuer; unset = the stack creates a Cognito user pool. */
  auth: auth.optional(),
  tuning: tuning.default(() => tuning.parse({})),
}).superRefine((config, context) => {
  for (const name of functionNames) {
    const roles = stackEnvironmentRoles(name);
    // Functions that post to WebSocket connections call API Gateway's management API, which has no VPC
    // endpoint: from a VPC (the database's) they need a NAT gateway to reach it.
    if (config.network.natGateways === "none" && roles.includes("database") && roles.includes("notifiesConnections")) {
      context.addIssue({
        code: "custom",
        path: ["network", "natGateways"],
        message: `must not be none: ${name} runs in the database's VPC and posts results to WebSocket connections through API Gateway's management API, which it can reach only through a NAT gateway (use single or onePerAz)`,
      });
    }
    const own = config.functions[name]?.environment ?? {};
    const largest = largestEnvironmentBytes(own, roles);
    if (environmentBytes(own) <= ENVIRONMENT_MAX_BYTES && largest > ENVIRONMENT_MAX_BYTES) {
      context.addIssue({
        code: "custom",
        path: ["functions", name, "environment"],
        message: `with what the stack adds (${roles.flatMap((role) => Object.keys(STACK_ENVIRONMENT[role])).join(", ")}) can reach ${largest} bytes; Lambda allows ${ENVIRONMENT_MAX_BYTES} in all`,
      });
    }
  }
  const reserved = config.functions.worker?.reservedConcurrency;
  if (reserved !== undefined && reserved < config.jobs.maximumConcurrency) {
    context.addIssue({
      code: "custom",
      path: ["functions", "worker", "reservedConcurrency"],
      message: `must be at least jobs.maximumConcurrency (${config.jobs.maximumConcurrency}), or the queue's invocations are throttled and messages bounce toward the DLQ`,
    });
  }
});

export type NetworkConfig = z.output<typeof network>;
export type DatabaseConfig = z.output<typeof database>;
export type JobsConfig = z.output<typeof jobs>;
export type AuthConfig = z.output<typeof auth>;
export type TuningConfig = z.output<typeof tuning>;

/** One function of the app, with the stack's overrides applied to the app's defaults. */
export interface FunctionConfig {
  name: AppFunctionName;
  handler: string;
  route?: string;
  authorized: boolean;
  database?: "app" | "admin";
  verifiesTokens: boolean;
  notifiesConnections: boolean;
  description: string;
  architecture: Architecture;
  memory: number;
  timeout: number;
  reservedConcurrency?: number;
  environment: Record<string, string>;
  compareArchitectures: boolean;
  /** Declared peak traffic, for the capacity policy (Little's law). */
  expectedTraffic?: { rps: number; durationMs: number };
}

export interface StackConfig {
  /** The stack's AWS region (`aws:region`); unset = the AWS provider's own default (AWS_REGION). */
  region?: string;
  /** Default architecture of every function. */
  architecture: Architecture;
  /** Every function of app/functions.ts, in its order, with the stack's settings applied. */
  functions: FunctionConfig[];
  /** The same, by name: a misspelt name does not compile. */
  functionNamed: Record<AppFunctionName, FunctionConfig>;
  /** Every architecture some function (or twin) runs on: exactly the images to build. */
  architecturesInUse: Architecture[];
  logRetentionDays: number;
  /** Default route throttling of both APIs (HTTP and WebSocket), from httpApiBurstLimit and httpApiRateLimit. */
  apiThrottling: { burstLimit: number; rateLimit: number };
  ecr: { keepImages: number; forceDelete: boolean };
  /** Set API Gateway's account-level CloudWatch role (needed for WebSocket execution logs). */
  apiGatewayAccountLogRole: boolean;
  network: NetworkConfig;
  database: DatabaseConfig;
  jobs: JobsConfig;
  /** An external OIDC issuer and audience; undefined = a Cognito user pool. */
  auth?: AuthConfig;
  tuning: TuningConfig;
}

/** The stack configuration is wrong; the message lists every problem with the key, the value and what is allowed. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (value, key) => (value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined),
    input,
  );
}

function describeIssue(input: unknown, issue: z.core.$ZodIssue): string {
  const key = [PROJECT, ...issue.path.map(String)].join(".").replace(".", ":");
  if (issue.code === "unrecognized_keys") return `${key} ${issue.message}`;
  const value = valueAt(input, issue.path);
  const shown = value === undefined ? "nothing" : (JSON.stringify(value) ?? String(value));
  return `${key} ${issue.message}, got ${shown.length > 80 ? `${shown.slice(0, 80)}... (${shown.length} characters)` : shown}`;
}

/**
 * Validates the project's config values (keys without the `graviton-platform:` prefix, values already
 * parsed) and resolves each function's settings. Throws ConfigError naming every bad key.
 */
export function parseStackConfig(values: Record<string, unknown>): StackConfig {
  const result = stackConfigSchema.safeParse(values);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  - ${describeIssue(values, issue)}`);
    throw new ConfigError(
      `Invalid stack configuration (fix it in Pulumi.<stack>.yaml or with 'pulumi config set'):\n${problems.join("\n")}`,
    );
  }
  const config = result.data;
  const functions = functionNames.map((name): FunctionConfig => {
    const defaults = appFunctions[name];
    const settings = config.functions[name] ?? {};
    return {
      name,
      handler: defaults.handler,
      route: "route" in defaults ? defaults.route : undefined,
      authorized: "authorized" in defaults ? defaults.authorized : false,
      database: "database" in defaults ? defaults.database : undefined,
      verifiesTokens: "verifiesTokens" in defaults ? defaults.verifiesTokens : false,
      notifiesConnections: "notifiesConnections" in defaults ? defaults.notifiesConnections : false,
      description: defaults.description,
      architecture: settings.architecture ?? config.architecture,
      memory: settings.memory ?? defaults.memory,
      timeout: settings.timeout ?? defaults.timeout,
      reservedConcurrency: settings.reservedConcurrency,
      environment: settings.environment ?? {},
      compareArchitectures: settings.compareArchitectures ?? false,
      expectedTraffic:
        settings.expectedRps !== undefined && settings.expectedDurationMs !== undefined
          ? { rps: settings.expectedRps, durationMs: settings.expectedDurationMs }
          : undefined,
    };
  });
  const inUse = new Set(
    functions.flatMap((fn) => (fn.compareArchitectures ? [fn.architecture, otherArchitecture(fn.architecture)] : [fn.architecture])),
  );
  return {
    architecture: config.architecture,
    functions,
    functionNamed: Object.fromEntries(functions.map((fn) => [fn.name, fn])) as Record<AppFunctionName, FunctionConfig>,
    architecturesInUse: ARCHITECTURES.filter((arch) => inUse.has(arch)),
    logRetentionDays: config.logRetentionDays,
    apiThrottling: { burstLimit: config.httpApiBurstLimit, rateLimit: config.httpApiRateLimit },
    ecr: { keepImages: config.ecrKeepImages, forceDelete: config.ecrForceDelete },
    apiGatewayAccountLogRole: config.apiGatewayAccountLogRole,
    network: config.network,
    database: config.database,
    jobs: config.jobs,
    auth: config.auth,
    tuning: config.tuning,
  };
}

/**
 * Pulumi hands every config value to the program as a string: structured values as JSON, and top-level
 * scalars set with `pulumi config set` as plain text ("30", "true"). Parse what is JSON; keep the rest.
 */
function parseConfigValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Config namespaces this program reads or its providers do; a key in any other is a mistake. */
export const KNOWN_NAMESPACES = [PROJECT, "aws", "docker", "random", "pulumi"];

/**
 * Keys outside the known namespaces (a misspelt project name, or no namespace at all), each with the
 * key it most likely meant. Pulumi passes them through silently; they would be ignored.
 */
export function strayConfigKeys(keys: string[]): string[] {
  return keys.flatMap((key) => {
    const colon = key.indexOf(":");
    if (colon < 0) return [`${key} has no namespace: write ${PROJECT}:${key}`];
    const namespace = key.slice(0, colon);
    if (KNOWN_NAMESPACES.includes(namespace)) return [];
    return [`${key} is in the unknown namespace "${namespace}": this project's keys are ${PROJECT}:<key> (did you mean ${PROJECT}:${key.slice(colon + 1)}?)`];
  });
}

/** Reads this project's keys from the stack's config and validates them. Call once, in index.ts. */
export function loadStackConfig(): StackConfig {
  const all = pulumi.runtime.allConfig();
  const stray = strayConfigKeys(Object.keys(all));
  if (stray.length > 0) {
    throw new ConfigError(`Invalid stack configuration (fix it in Pulumi.<stack>.yaml):\n${stray.map((problem) => `  - ${problem}`).join("\n")}`);
  }
  const prefix = `${PROJECT}:`;
  const values = Object.fromEntries(
    Object.entries(all)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), parseConfigValue(value)]),
  );
  return { ...parseStackConfig(values), region: all["aws:region"] };
}
