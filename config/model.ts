import { OWN_IMAGE_DEFAULTS, architecturesInUse, functionNames, invokeOrder, stackConfigSchema } from "./schema";
import { ConfigError, describeIssue } from "./errors";
import { appFunctionServes, hookFunctionName } from "./rollout-rules";
import { ALL_AT_ONCE } from "../components/rollout-settings";
import { z } from "zod";
import { type Architecture } from "../components/settings-schema";
import {
  compactSampleEvent,
  type LiveSettings,
  type OwnImageFunctionConfig,
  type ResolvedFunctionSettings,
} from "../components/function-settings";

export type { OwnImageFunctionConfig };
import { type AppFunction, AppFunctionName, appFunctions } from "../app/functions";

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

/** A serving function's rollout: its deployment config (gradual unless all at once) and its before-traffic check, if any. */
function liveOf(deploymentConfig: string, preTraffic: true | string | undefined, fn: { name: string; context?: string }): LiveSettings {
  const check: LiveSettings["preTraffic"] =
    preTraffic === undefined
      ? undefined
      : preTraffic === true
        ? { sampleEvent: compactSampleEvent(fn), hookName: hookFunctionName(fn.name) }
        : { function: preTraffic };
  const gradual = deploymentConfig !== ALL_AT_ONCE;
  return { deploymentConfig, gradual, codeDeploy: gradual || check !== undefined, ...(check && { preTraffic: check }) };
}

/** The stack's keys as the schema outputs them (defaults applied): the types below are its parts, never retyped. */
type StackSettings = z.output<typeof stackConfigSchema>;
export type NetworkConfig = StackSettings["network"];
export type DatabaseConfig = StackSettings["database"];
export type JobsConfig = StackSettings["jobs"];
export type AuthConfig = NonNullable<StackSettings["auth"]>;
export type TuningConfig = StackSettings["tuning"];

/** A function of the stack, of either kind (`image`: the app's image, or its own), with its concurrency limit. */
export type StackFunction = (({ image: "app" } & FunctionConfig) | ({ image: "own" } & OwnImageFunctionConfig)) & {
  concurrencyLimit?: number;
};

/** One function of the app: what app/functions.ts says it does, with the stack's settings applied to its defaults. */
export type FunctionConfig = ResolvedFunctionSettings &
  Required<Pick<AppFunction, "handler" | "description" | "authorized" | "verifiesTokens" | "notifiesConnections">> &
  Pick<AppFunction, "route" | "database"> & { name: AppFunctionName };

export interface StackConfig {
  /** The stack's AWS region (`aws:region`); unset = the AWS provider's own default (AWS_REGION). */
  region?: string;
  /** Default architecture of every function. */
  architecture: StackSettings["architecture"];
  /** Every function of app/functions.ts, in its order, with the stack's settings applied. */
  functions: FunctionConfig[];
  /** The same, by name: a misspelt name does not compile. */
  functionNamed: Record<AppFunctionName, FunctionConfig>;
  /** Every architecture some function (or twin) runs on: exactly the images to build. */
  architecturesInUse: Architecture[];
  logRetentionDays: StackSettings["logRetentionDays"];
  /** Default route throttling of both APIs (HTTP and WebSocket), from httpApiBurstLimit and httpApiRateLimit. */
  apiThrottling: { burstLimit: StackSettings["httpApiBurstLimit"]; rateLimit: StackSettings["httpApiRateLimit"] };
  ecr: {
    keepImages: StackSettings["ecrKeepImages"];
    forceDelete: StackSettings["ecrForceDelete"];
    prebuilt?: StackSettings["prebuiltImages"];
  };
  /** Set API Gateway's account-level CloudWatch role (needed for WebSocket execution logs). */
  apiGatewayAccountLogRole: StackSettings["apiGatewayAccountLogRole"];
  network: NetworkConfig;
  database: DatabaseConfig;
  jobs: JobsConfig;
  /** An external OIDC issuer and audience; undefined = a Cognito user pool. */
  auth?: AuthConfig;
  tuning: TuningConfig;
  alarms: StackSettings["alarms"];
  /** The functions that bring their own image, with the stack's defaults applied, each after the ones it invokes. */
  ownImageFunctions: OwnImageFunctionConfig[];
  /**
   * Every function of the stack, the app's then those with their own image, each with its concurrency
   * limit (concurrencyLimit's one rule): what the APIs, the alarms and dashboard, the outputs, npm run dev
   * and npm run concurrency all take, instead of joining the two lists themselves.
   */
  everyFunction: StackFunction[];
  /** The buckets presets may name: the stack's own, by short name, and external ones, by their name. */
  buckets: StackSettings["buckets"];
  /** The stack's own deployment configs, by name (each function's `live.deploymentConfig` names one of these or CodeDeploy's). */
  deploymentConfigs: StackSettings["deploymentConfigs"];
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
      provisionedConcurrency: settings.provisionedConcurrency,
      live: appFunctionServes(name)
        ? liveOf(settings.deploymentConfig ?? config.deploymentConfig, settings.preTraffic, { name })
        : undefined,
      environment: settings.environment ?? {},
      compareArchitectures: settings.compareArchitectures ?? false,
      expectedTraffic:
        settings.expectedRps !== undefined && settings.expectedDurationMs !== undefined
          ? { rps: settings.expectedRps, durationMs: settings.expectedDurationMs }
          : undefined,
    };
  });
  const ownImageFunctions: OwnImageFunctionConfig[] = invokeOrder(config.ownImageFunctions)
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
      provisionedConcurrency: fn.provisionedConcurrency,
      live: fn.route ? liveOf(fn.deploymentConfig ?? config.deploymentConfig, fn.preTraffic, { name, context: fn.context }) : undefined,
      environment: fn.environment ?? {},
      expectedTraffic:
        fn.expectedRps !== undefined && fn.expectedDurationMs !== undefined
          ? { rps: fn.expectedRps, durationMs: fn.expectedDurationMs }
          : undefined,
      prebuilt: fn.prebuiltImages,
      permissions: fn.permissions ?? [],
    }));
  return {
    architecture: config.architecture,
    functions,
    ownImageFunctions,
    everyFunction: [
      ...functions.map((fn) => ({ ...fn, image: "app" as const, concurrencyLimit: concurrencyLimit(fn, config.jobs) })),
      ...ownImageFunctions.map((fn) => ({ ...fn, image: "own" as const, concurrencyLimit: fn.reservedConcurrency })),
    ],
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
    buckets: config.buckets,
    deploymentConfigs: config.deploymentConfigs,
  };
}
