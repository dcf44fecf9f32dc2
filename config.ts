import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { databaseSettings, networkSettings } from "./components/database";
import { functionSettings, inProject, ownImageFunctionSettings, pinnedPlatform } from "./components/container-function";
import { containerImageSettings, DOCKER_PLATFORMS } from "./components/container-image";
import { existsSync } from "node:fs";
import { jobQueueSettings } from "./components/job-queue";
import { alarmSettings, type AlarmSettings } from "./components/observability";
import { bucketSettings } from "./components/bucket";
import {
  bucketName,
  presetsPolicyCharacters,
  presetVariables,
  PRESETS_POLICY_MAX_CHARACTERS,
  type PermissionPreset,
} from "./components/permission-presets";
import {
  ARCHITECTURES,
  architecture,
  architecturesOf,
  otherArchitecture,
  logRetention,
  strictObject,
  throttlingSettings,
  type Architecture,
} from "./components/settings-schema";
import { externalIssuerSettings } from "./components/user-pool";
import { MAX_TUNED_ARNS } from "./components/power-tuning";
import { accountLogRoleSetting } from "./components/websocket-api";
import { describeValue } from "./app/core/describe-value";
import { AppFunction, AppFunctionName, appFunctions, JOB_SUBMIT_ROUTE } from "./app/functions";
import {
  ENVIRONMENT_MAX_BYTES,
  environmentBytes,
  largestEnvironmentBytes,
  STACK_ENVIRONMENT,
  type StackEnvironmentRole,
} from "./components/lambda-environment";

/** The Pulumi project name: the namespace of every key below (`graviton-platform:architecture`). */
export const PROJECT = "graviton-platform";

export type { Architecture } from "./components/settings-schema";

const functionNames = Object.keys(appFunctions) as AppFunctionName[];

/** The stack-set variables a function gets, from what app/functions.ts says it does. */
function stackEnvironmentRoles(name: AppFunctionName): StackEnvironmentRole[] {
  const fn: AppFunction = appFunctions[name];
  return ["telemetry", ...(["database", "verifiesTokens", "notifiesConnections"] as const).filter((role) => Boolean(fn[role]))];
}

const tuningCandidates = functionNames.filter((name) => name !== "power-tuning") as Exclude<AppFunctionName, "power-tuning">[];
const tunableByDefault = tuningCandidates.filter((name) => "tunable" in appFunctions[name] && appFunctions[name].tunable);

const tuning = strictObject({
  functions: z
    .array(z.string({ error: "must be function names" }), { error: "must be a list of function names" })
    .default(tunableByDefault)
    .meta({
      description:
        "the functions (and their twins) power tuning may change, invoke and clean up, of app/functions.ts or ownImageFunctions; default: those `app/functions.ts` marks `tunable`",
    }),
});

/**
 * The functions with their own image, each after the ones of them it invokes (it gets their names in its
 * environment, so they must exist first); the names of a cycle when there is one.
 */
function invokeOrder(own: Record<string, { permissions?: PermissionPreset[] }>): { order: string[]; cycle?: string[] } {
  const invoked = (name: string) =>
    (own[name].permissions ?? [])
      .flatMap((preset) => (preset.preset === "invoke" ? preset.functions : []))
      .filter((target) => Object.hasOwn(own, target));
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]): string[] | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "visiting") return [...path.slice(path.indexOf(name)), name];
    state.set(name, "visiting");
    for (const target of invoked(name)) {
      const cycle = visit(target, [...path, name]);
      if (cycle) return cycle;
    }
    state.set(name, "done");
    order.push(name);
    return undefined;
  };
  for (const name of Object.keys(own)) {
    const cycle = visit(name, []);
    if (cycle) return { order, cycle };
  }
  return { order };
}

/** What a function with its own image gets when the stack does not say: Lambda's memory default, a 30 s timeout. */
const OWN_IMAGE_DEFAULTS = { memory: 128, timeout: 30 } as const;

/** Every architecture some function (or its twin) runs on: exactly the images the stack needs. */
function architecturesInUse(config: {
  architecture: Architecture;
  functions: Partial<Record<AppFunctionName, { architecture?: Architecture; compareArchitectures?: boolean }>>;
}): Architecture[] {
  const inUse = new Set(
    functionNames.flatMap((name) => {
      const own = config.functions[name]?.architecture ?? config.architecture;
      return config.functions[name]?.compareArchitectures ? [own, otherArchitecture(own)] : [own];
    }),
  );
  return ARCHITECTURES.filter((architecture) => inUse.has(architecture));
}

/** Routes the app already serves: a function with its own image may not take one. */
const APP_ROUTES = [
  JOB_SUBMIT_ROUTE,
  ...functionNames.flatMap((name): string[] => {
    const route = (appFunctions[name] as AppFunction).route;
    return route ? [route] : [];
  }),
];

/** S3 autonames a bucket `<name>-<7 characters>`, and bucket names have at most 63. */
const OWN_BUCKET_NAME_MAX = 63 - 8;

type ParsedConfig = {
  architecture: Architecture;
  ownImageFunctions: Record<string, z.output<typeof ownImageFunctionSettings>>;
  buckets: Record<string, z.output<typeof bucketSettings>>;
};

/** The rules of `ownImageFunctions` and `buckets` that span keys, each mistake named by its path. */
function checkOwnImageFunctions(config: ParsedConfig, context: z.RefinementCtx): void {
  const ownNames = Object.keys(config.ownImageFunctions);
  for (const [name, settings] of Object.entries(config.buckets))
    if (!settings.external && name.length > OWN_BUCKET_NAME_MAX)
      context.addIssue({
        code: "custom",
        path: ["buckets", name],
        message: `is ${name.length} characters; the stack's own buckets are named <name>-<7 characters>, and S3 allows 63 in all: at most ${OWN_BUCKET_NAME_MAX}`,
      });
  const { cycle } = invokeOrder(config.ownImageFunctions);
  if (cycle)
    context.addIssue({ code: "custom", path: ["ownImageFunctions"], message: `have invoke presets in a cycle: ${cycle.join(" -> ")}` });
  const routes = new Set(APP_ROUTES);
  for (const [name, fn] of Object.entries(config.ownImageFunctions)) {
    const issue = (path: PropertyKey[], message: string) =>
      context.addIssue({ code: "custom", path: ["ownImageFunctions", name, ...path], message });
    const architectures = architecturesOf({
      architecture: fn.architecture ?? config.architecture,
      compareArchitectures: !!fn.compareArchitectures,
    });
    if ((functionNames as string[]).includes(name)) issue([], "is a function of app/functions.ts already; pick another name");
    const dockerfile = fn.dockerfile ?? `${fn.context}/Dockerfile`;
    const pinned = existsSync(inProject(dockerfile)) ? pinnedPlatform(dockerfile) : undefined;
    if (!existsSync(inProject(dockerfile))) issue(["dockerfile"], `names ${dockerfile}, which does not exist`);
    for (const architecture of architectures) {
      if (pinned && pinned !== DOCKER_PLATFORMS[architecture])
        issue(["architecture"], `is ${architecture}, but ${dockerfile} builds for ${pinned} only (FROM --platform=${pinned})`);
      if (fn.prebuiltImages && !fn.prebuiltImages[architecture])
        issue(["prebuiltImages", architecture], `is required: ${name} runs on ${architecture}`);
    }
    if (fn.route && routes.has(fn.route)) issue(["route"], `${fn.route} is served already; pick another`);
    if (fn.route) routes.add(fn.route);

    const presets = fn.permissions ?? [];
    presets.forEach((preset, index) => {
      if ((preset.preset === "s3-read" || preset.preset === "s3-write") && !Object.hasOwn(config.buckets, preset.bucket))
        issue(
          ["permissions", index, "bucket"],
          `names ${preset.bucket}, which the stack does not own and was not declared external (buckets.<name> with external: true)`,
        );
      if (preset.preset === "invoke")
        for (const target of preset.functions)
          if (!(functionNames as string[]).includes(target) && !ownNames.includes(target))
            issue(["permissions", index, "functions"], `names ${target}, which is not a function of the stack`);
    });
    const policy = presetsPolicyCharacters(presets);
    if (policy > PRESETS_POLICY_MAX_CHARACTERS)
      issue(
        ["permissions"],
        `can make an inline policy of ${policy} characters; IAM allows 10,240 per role with the function's base policy, so at most ${PRESETS_POLICY_MAX_CHARACTERS}: merge presets or name fewer functions`,
      );
    // Two names that make the same variable (map-data and map.data: BUCKET_MAP_DATA) would hide one resource.
    const variables = presetVariables(presets);
    const named = new Map<string, string>();
    for (const variable of variables) {
      const earlier = named.get(variable.name);
      if (earlier !== undefined && earlier !== variable.resource)
        issue(["permissions"], `name ${earlier} and ${variable.resource}, which both become ${variable.name}; rename one`);
      named.set(variable.name, variable.resource);
    }
    for (const variable of Object.keys(fn.environment ?? {}))
      if (named.has(variable)) issue(["environment", variable], "is set by the stack from the function's presets and cannot be overridden");
    const largest = largestEnvironmentBytes(
      { ...fn.environment, ...Object.fromEntries(variables.map((variable) => [variable.name, "x".repeat(variable.maxBytes)])) },
      ["telemetry"],
    );
    if (largest > ENVIRONMENT_MAX_BYTES)
      issue(
        ["environment"],
        `with what the stack adds (${Object.keys(STACK_ENVIRONMENT.telemetry).join(", ")}) can reach ${largest} bytes; Lambda allows ${ENVIRONMENT_MAX_BYTES} in all`,
      );
  }
}

/**
 * The stack's config: the components' own settings schemas, composed. Only the rules that span several
 * keys live here (the superRefine below). The configuration reference (docs/configuration.md) is generated from it.
 */
export const stackConfigSchema = strictObject({
  architecture: architecture.default("arm64").meta({ description: "default architecture of every function" }),
  functions: strictObject(
    Object.fromEntries(functionNames.map((name) => [name, functionSettings.optional()])) as Record<
      AppFunctionName,
      z.ZodOptional<typeof functionSettings>
    >,
  )
    .default({})
    .meta({ description: "per-function settings, keyed by function name" }),
  logRetentionDays: logRetention,
  // Named for the HTTP API in the first release; they throttle the WebSocket API too.
  httpApiBurstLimit: throttlingSettings.shape.burstLimit,
  httpApiRateLimit: throttlingSettings.shape.rateLimit,
  ecrKeepImages: containerImageSettings.shape.keepImages,
  ecrForceDelete: containerImageSettings.shape.forceDelete,
  prebuiltImages: containerImageSettings.shape.prebuilt,
  apiGatewayAccountLogRole: accountLogRoleSetting,
  network: networkSettings.prefault({}).meta({ description: "the VPC of the database and the functions that use it" }),
  database: databaseSettings.prefault({}).meta({ description: "PostgreSQL and RDS Proxy" }),
  jobs: jobQueueSettings.prefault({}).meta({ description: "the job queue and the worker's event source" }),
  auth: externalIssuerSettings
    .optional()
    .meta({ description: "an external OIDC issuer whose access tokens the APIs accept; unset = the stack's own Cognito user pool" }),
  ownImageFunctions: z
    .record(
      z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, { error: "must be a function name: lowercase letters, digits and -, at most 40" }),
      ownImageFunctionSettings,
      {
        error: (issue) =>
          issue.code === "invalid_key"
            ? "is not a function name: lowercase letters, digits and -, at most 40"
            : "must be a map of function names to their settings",
      },
    )
    .default({})
    .meta({
      description:
        "functions that bring their own image (any runtime), keyed by name; each gets its own ECR repository (memory defaults to 128 MB, timeout to 30 s)",
    }),
  buckets: z
    .record(bucketName, bucketSettings.prefault({}), { error: "must be a map of bucket names to their settings" })
    .default({})
    .meta({
      description:
        "S3 buckets for functions' data, keyed by name: the stack's own (encrypted, private, TLS only) and `external` ones presets may name",
    }),
  tuning: tuning.prefault({}).meta({ description: "the power-tuning state machine" }),
  alarms: alarmSettings.prefault({}).meta({ description: "alarm thresholds and who is notified (the Observability component)" }),
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
  const ownNames = Object.keys(config.ownImageFunctions);
  config.tuning.functions.forEach((name, index) => {
    if (!(tuningCandidates as string[]).includes(name) && !ownNames.includes(name))
      context.addIssue({
        code: "custom",
        path: ["tuning", "functions", index],
        message: `must name functions of app/functions.ts or ownImageFunctions: ${[...tuningCandidates, ...ownNames].join(", ")}`,
      });
  });
  const tunedArns = config.tuning.functions.reduce((count, name) => {
    const settings = config.functions[name as AppFunctionName] ?? config.ownImageFunctions[name];
    return count + (settings?.compareArchitectures ? 2 : 1);
  }, 0);
  if (tunedArns > MAX_TUNED_ARNS)
    context.addIssue({
      code: "custom",
      path: ["tuning", "functions"],
      message: `name ${tunedArns} functions with their twins; power tuning's role can be granted at most ${MAX_TUNED_ARNS} (IAM's 10 managed policies per role): tune fewer, or tune the rest from another stack`,
    });
  checkOwnImageFunctions(config, context);
  if (config.prebuiltImages) {
    for (const architecture of architecturesInUse(config)) {
      if (!config.prebuiltImages[architecture])
        context.addIssue({
          code: "custom",
          path: ["prebuiltImages", architecture],
          message: `is required: some function (or twin) runs on ${architecture}, and with prebuiltImages the stack builds no image`,
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

/**
 * The most executions of a function that run at once, by Lambda's rules, for every reader (the alarms and
 * dashboard, npm run concurrency, npm run dev): a reserved concurrency caps every caller of a function.
 * The worker has one caller, the jobs queue's event source mapping, whose maximumConcurrency caps the
 * invocations it makes (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html), so its
 * limit is the smaller of the two; the config requires the reservation to be at least that maximum, so it
 * is maximumConcurrency. Undefined when only the account's unreserved pool bounds the function.
 */
export function concurrencyLimit(fn: FunctionConfig, jobs: JobsConfig): number | undefined {
  if (fn.name === "worker") return Math.min(fn.reservedConcurrency ?? Number.POSITIVE_INFINITY, jobs.maximumConcurrency);
  return fn.reservedConcurrency;
}

export type NetworkConfig = z.output<typeof networkSettings>;
export type DatabaseConfig = z.output<typeof databaseSettings>;
export type JobsConfig = z.output<typeof jobQueueSettings>;
export type AuthConfig = z.output<typeof externalIssuerSettings>;
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
  ecr: { keepImages: number; forceDelete: boolean; prebuilt?: Partial<Record<Architecture, string>> };
  /** Set API Gateway's account-level CloudWatch role (needed for WebSocket execution logs). */
  apiGatewayAccountLogRole: boolean;
  network: NetworkConfig;
  database: DatabaseConfig;
  jobs: JobsConfig;
  /** An external OIDC issuer and audience; undefined = a Cognito user pool. */
  auth?: AuthConfig;
  tuning: TuningConfig;
  alarms: AlarmSettings;
  /** The functions that bring their own image, with the stack's defaults applied. */
  ownImageFunctions: OwnImageFunctionConfig[];
  /** The buckets presets may name: the stack's own, by short name, and external ones, by their name. */
  buckets: Record<string, z.output<typeof bucketSettings>>;
}

/** A function with its own image: its build, and the same settings an app function has. */
export interface OwnImageFunctionConfig {
  name: string;
  context: string;
  dockerfile: string;
  command?: string[];
  entryPoint?: string[];
  route?: string;
  /** The route requires a valid access token. */
  authorized: boolean;
  architecture: Architecture;
  compareArchitectures: boolean;
  memory: number;
  timeout: number;
  reservedConcurrency?: number;
  environment: Record<string, string>;
  expectedTraffic?: { rps: number; durationMs: number };
  prebuilt?: Partial<Record<Architecture, string>>;
  permissions: PermissionPreset[];
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
  return `${key} ${issue.message}, got ${describeValue(value)}`;
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
  return {
    architecture: config.architecture,
    functions,
    functionNamed: Object.fromEntries(functions.map((fn) => [fn.name, fn])) as Record<AppFunctionName, FunctionConfig>,
    architecturesInUse: architecturesInUse(config),
    logRetentionDays: config.logRetentionDays,
    apiThrottling: { burstLimit: config.httpApiBurstLimit, rateLimit: config.httpApiRateLimit },
    ecr: { keepImages: config.ecrKeepImages, forceDelete: config.ecrForceDelete, prebuilt: config.prebuiltImages },
    apiGatewayAccountLogRole: config.apiGatewayAccountLogRole,
    network: config.network,
    database: config.database,
    jobs: config.jobs,
    auth: config.auth,
    tuning: config.tuning,
    alarms: config.alarms,
    ownImageFunctions: invokeOrder(config.ownImageFunctions)
      .order.map((name) => [name, config.ownImageFunctions[name]] as const)
      .map(([name, fn]) => ({
        name,
        context: fn.context,
        dockerfile: fn.dockerfile ?? `${fn.context}/Dockerfile`,
        command: fn.command,
        entryPoint: fn.entryPoint,
        route: fn.route,
        authorized: fn.authorized ?? false,
        architecture: fn.architecture ?? config.architecture,
        compareArchitectures: fn.compareArchitectures ?? false,
        memory: fn.memory ?? OWN_IMAGE_DEFAULTS.memory,
        timeout: fn.timeout ?? OWN_IMAGE_DEFAULTS.timeout,
        reservedConcurrency: fn.reservedConcurrency,
        environment: fn.environment ?? {},
        expectedTraffic:
          fn.expectedRps !== undefined && fn.expectedDurationMs !== undefined
            ? { rps: fn.expectedRps, durationMs: fn.expectedDurationMs }
            : undefined,
        prebuilt: fn.prebuiltImages,
        permissions: fn.permissions ?? [],
      })),
    buckets: config.buckets,
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

/** This project's keys that have a new name: the old one is refused, naming the new. */
export const RENAMED_KEYS: Record<string, string> = { containerFunctions: "ownImageFunctions" };

/**
 * Keys outside the known namespaces (a misspelt project name, or no namespace at all), each with the
 * key it most likely meant, and keys this project renamed, with their new name. Pulumi passes them
 * through silently; they would be ignored.
 */
export function strayConfigKeys(keys: string[]): string[] {
  return keys.flatMap((key) => {
    const colon = key.indexOf(":");
    if (colon < 0) return [`${key} has no namespace: write ${PROJECT}:${key}`];
    const namespace = key.slice(0, colon);
    const name = key.slice(colon + 1);
    if (namespace === PROJECT && Object.hasOwn(RENAMED_KEYS, name))
      return [`${key} is now ${PROJECT}:${RENAMED_KEYS[name]} (the same settings): rename it in Pulumi.<stack>.yaml`];
    if (KNOWN_NAMESPACES.includes(namespace)) return [];
    return [
      `${key} is in the unknown namespace "${namespace}": this project's keys are ${PROJECT}:<key> (did you mean ${PROJECT}:${key.slice(colon + 1)}?)`,
    ];
  });
}

/** Reads this project's keys from the stack's config and validates them. Call once, in index.ts. */
export function loadStackConfig(): StackConfig {
  return stackConfigFrom(pulumi.runtime.allConfig());
}

/** A stack's whole config (every namespace, values as the Pulumi CLI hands them over: strings), validated. */
export function stackConfigFrom(all: Record<string, string>): StackConfig {
  const stray = strayConfigKeys(Object.keys(all));
  if (stray.length > 0) {
    throw new ConfigError(
      `Invalid stack configuration (fix it in Pulumi.<stack>.yaml):\n${stray.map((problem) => `  - ${problem}`).join("\n")}`,
    );
  }
  const prefix = `${PROJECT}:`;
  const values = Object.fromEntries(
    Object.entries(all)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), parseConfigValue(value)]),
  );
  return { ...parseStackConfig(values), region: all["aws:region"] };
}
