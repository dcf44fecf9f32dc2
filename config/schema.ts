import { AWS_LIMITS } from "../components/aws-limits";
import { z } from "zod";
import { databaseSettings } from "../components/database-settings";
import { networkSettings } from "../components/network-settings";
import { functionSettings, inProject, ownImageFunctionSettings, pinnedPlatform } from "../components/function-settings";
import { containerImageSettings, DOCKER_PLATFORMS } from "../components/container-image-settings";
import { existsSync } from "node:fs";
import { jobQueueSettings } from "../components/job-queue-settings";
import { alarmSettings } from "../components/observability/settings";
import { bucketSettings } from "../components/bucket-settings";
import {
  bucketName,
  presetsPolicyCharacters,
  presetVariables,
  PRESETS_POLICY_MAX_CHARACTERS,
  type PermissionPreset,
} from "../components/permission-presets";
import {
  ARCHITECTURES,
  architecture,
  architecturesOf,
  otherArchitecture,
  logRetention,
  strictObject,
  throttlingSettings,
  type Architecture,
} from "../components/settings-schema";
import { externalIssuerSettings } from "../components/token-issuer";
import { MAX_TUNED_ARNS } from "../components/power-tuning-policy";
import { accountLogRoleSetting } from "../components/websocket-api-settings";
import { rolloutSettings } from "../components/rollout-settings";
import { checkRollouts } from "./rollout-rules";
import { AppFunction, AppFunctionName, appFunctions, JOB_SUBMIT_ROUTE } from "../app/functions";
import {
  ENVIRONMENT_MAX_BYTES,
  environmentBytes,
  largestEnvironmentBytes,
  STACK_ENVIRONMENT,
  type StackEnvironmentRole,
} from "../components/lambda-environment";

export const functionNames = Object.keys(appFunctions) as AppFunctionName[];

/** The stack-set variables a function gets, from what app/functions.ts says it does. */
function stackEnvironmentRoles(name: AppFunctionName): StackEnvironmentRole[] {
  const fn: AppFunction = appFunctions[name];
  return ["telemetry", ...(["database", "verifiesTokens", "notifiesConnections"] as const).filter((role) => Boolean(fn[role]))];
}

const tuningCandidates = functionNames.filter((name) => name !== "power-tuning") as Exclude<AppFunctionName, "power-tuning">[];
const tunableByDefault = tuningCandidates.filter((name) => "tunable" in appFunctions[name] && appFunctions[name].tunable);

export const tuning = strictObject({
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
export function invokeOrder(own: Record<string, { permissions?: PermissionPreset[] }>): { order: string[]; cycle?: string[] } {
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
export const OWN_IMAGE_DEFAULTS = { memory: 128, timeout: 30 } as const;

/** Every architecture some function (or its twin) runs on: exactly the images the stack needs. */
export function architecturesInUse(config: {
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
  const routesPerApi = AWS_LIMITS.apiGatewayRoutesPerApi.max;
  if (routes.size > routesPerApi)
    context.addIssue({
      code: "custom",
      path: ["ownImageFunctions"],
      message: `serve ${routes.size - APP_ROUTES.length} routes, ${routes.size} with the app's: API Gateway's quota "Routes per API" is ${routesPerApi} by default. Split the stack (docs/scaling.md), or have the quota raised (Service Quotas) and AWS_LIMITS.apiGatewayRoutesPerApi with it`,
    });
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
  ...rolloutSettings,
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
  checkRollouts(config, context);
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
