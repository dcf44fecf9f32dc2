// What a stack may set per function (`graviton-platform:functions.<name>` and `:ownImageFunctions.<name>`),
// and the project-file rules those settings are checked by: no Pulumi here, so the config reads them
// without loading the engine. ContainerFunction (container-function.ts) deploys what they hold.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { architecture, flag, strictObject, wholeNumber } from "./settings-schema";
import { environmentVariables } from "./lambda-environment";
import { AWS_LIMITS } from "./aws-limits";
import { containerImageSettings } from "./container-image-settings";
import { permissionPreset, type PermissionPreset } from "./permission-presets";
import { functionRolloutSettings } from "./rollout-settings";

/**
 * What a stack may set per function (`graviton-platform:functions.<name>`); unset fields fall back to
 * app/functions.ts and the global keys.
 */
export const functionSettings = strictObject({
  architecture: architecture.optional().meta({ description: "this function's architecture, over the global `architecture`" }),
  memory: wholeNumber(AWS_LIMITS.lambdaMemoryMB.min, AWS_LIMITS.lambdaMemoryMB.max, " (MB)")
    .optional()
    .meta({ description: "MB, over app/functions.ts; CPU grows with memory, 1,769 MB = 1 vCPU" }),
  timeout: wholeNumber(AWS_LIMITS.lambdaTimeoutSeconds.min, AWS_LIMITS.lambdaTimeoutSeconds.max, " (seconds)")
    .optional()
    .meta({ description: "seconds, over app/functions.ts" }),
  reservedConcurrency: wholeNumber(0, 10000)
    .optional()
    .meta({ description: "concurrency reserved for, and capping, the function; unset = unreserved" }),
  environment: environmentVariables.optional().meta({
    description:
      "extra environment variables (quote numbers; Lambda's reserved names and the ones the stack sets are refused; 4 KB in all, the stack's own variables included)",
  }),
  compareArchitectures: flag()
    .optional()
    .meta({ description: "also deploy a twin on the other architecture (for power tuning); default false" }),
  expectedRps: z
    .number({ error: "must be a number of requests per second" })
    .positive({ error: "must be above 0" })
    .optional()
    .meta({ description: "declared peak requests per second; with `expectedDurationMs`, checked by the capacity policy" }),
  expectedDurationMs: z
    .number({ error: "must be a number of milliseconds" })
    .positive({ error: "must be above 0" })
    .optional()
    .meta({ description: "declared average duration of one request, ms; set together with `expectedRps`" }),
  ...functionRolloutSettings,
}).refine((settings) => (settings.expectedRps === undefined) === (settings.expectedDurationMs === undefined), {
  error: "must set expectedRps and expectedDurationMs together (concurrency = requests per second x duration)",
});

const imageArguments = (what: string) =>
  z
    .array(z.string({ error: "must be strings" }).min(1, { error: "must not be empty strings" }).max(1024), {
      error: `must be a list of strings (the image's ${what})`,
    })
    .min(1)
    .max(32)
    .optional()
    .meta({ description: `overrides the image's ${what}; default: the Dockerfile's` });

/** A path of the project, whatever the working directory (Pulumi runs the program in the project's). */
export const inProject = (path: string) => join(__dirname, "..", path);

/**
 * A function's sample event (what npm run invoke sends by default, and the platform's before-traffic check):
 * app/events/<name>.json for the app's functions, event.json in its build context for one with its own image.
 */
export const sampleEventPath = (fn: { name: string; context?: string }) =>
  inProject(fn.context === undefined ? `app/events/${fn.name}.json` : `${fn.context}/event.json`);

/** The function's sample event as compact JSON, as the platform's before-traffic check carries it; throws if the file is not JSON. */
export const compactSampleEvent = (fn: { name: string; context?: string }) =>
  JSON.stringify(JSON.parse(readFileSync(sampleEventPath(fn), "utf8")));

/**
 * An HTTP API route key as API Gateway takes it ("Working with routes for HTTP APIs"): a method, then a
 * path of non-empty segments, each literal or a whole path variable (`{id}`); a greedy variable
 * (`{proxy+}`) only as the last segment. So `GET /a//b`, `GET /a{b}c` and `GET /{proxy+}/tail` are refused.
 */
const ROUTE_SEGMENT = String.raw`(?:[\w\-.~]+|\{[A-Za-z_]\w*\})`;
const ROUTE_KEY = new RegExp(
  String.raw`^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) \/(?:${ROUTE_SEGMENT}(?:\/${ROUTE_SEGMENT})*(?:\/\{[A-Za-z_]\w*\+\})?|\{[A-Za-z_]\w*\+\})?$`,
);
// API Gateway documents no length for a route key; this keeps its resource names (and source ARNs) short.
const ROUTE_KEY_MAX = 210;
const ROUTE_KEY_RULE =
  'must be an HTTP API route key, "METHOD /path": non-empty segments, each a name or a whole {variable}; a greedy {proxy+} only last';

/** A relative path inside the project: no absolute paths, no `..`, no NUL or control characters. */
const projectPath = z.string({ error: "must be a path (a string)" }).regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[\w.\/-]{1,200}$/, {
  error: "must be a relative path inside the project (letters, digits, . _ - /; no ..)",
});

/**
 * A function that brings its own image (`graviton-platform:ownImageFunctions.<name>`): its own build
 * context and Dockerfile (vSwarm's `docker/Dockerfile.Lambda` works as is), so any runtime; its own ECR
 * repository; the same per-function settings as the app's functions.
 */
export const ownImageFunctionSettings = functionSettings.safeExtend({
  context: projectPath
    .refine((path) => existsSync(inProject(path)) && statSync(inProject(path)).isDirectory(), {
      error: "must be a directory of the project (the build context)",
    })
    .meta({ description: "the build context, a directory of the project" }),
  dockerfile: projectPath.optional().meta({ description: "the Dockerfile, relative to the project; default `<context>/Dockerfile`" }),
  command: imageArguments("CMD"),
  entryPoint: imageArguments("ENTRYPOINT"),
  route: z
    .string({ error: ROUTE_KEY_RULE })
    .max(ROUTE_KEY_MAX, { error: `must be at most ${ROUTE_KEY_MAX} characters` })
    .regex(ROUTE_KEY, { error: ROUTE_KEY_RULE })
    .optional()
    .meta({ description: "serve this route of the HTTP API" }),
  authorized: flag()
    .optional()
    .meta({ description: "the route requires a valid access token (the API's JWT authorizer, as for GET /jobs/{id}); default false" }),
  prebuiltImages: containerImageSettings.shape.prebuilt,
  permissions: z.array(permissionPreset, { error: "must be a list of permission presets" }).max(20).optional().meta({
    description:
      "what it may do, as presets scoped to named resources: s3-read / s3-write (bucket, prefix), invoke (functions), sqs-send (queue), secret-read (secretArn)",
  }),
});
export type OwnImageFunctionSettings = z.output<typeof ownImageFunctionSettings>;

/**
 * What every function's settings resolve to, whatever its image: the stack's value, else the function's
 * default, else the global one (the config's model applies them); expectedRps and expectedDurationMs
 * together as its declared traffic.
 */
export type ResolvedFunctionSettings = Required<
  Pick<z.output<typeof functionSettings>, "architecture" | "memory" | "timeout" | "environment" | "compareArchitectures">
> &
  Pick<z.output<typeof functionSettings>, "reservedConcurrency" | "provisionedConcurrency"> & {
    /** Declared peak traffic, for the capacity policy (Little's law). */
    expectedTraffic?: { rps: number; durationMs: number };
    /**
     * Serves traffic (an HTTP route, or a caller such as the WebSocket authorizer's or the queue's): it is
     * called through its live alias, and `deploymentConfig` rolls each new version out. Undefined: it serves nothing.
     */
    live?: LiveSettings;
  };

/** How a serving function's new versions reach its live alias. */
export interface LiveSettings {
  deploymentConfig: string;
  /** Traffic moves in steps (any config but all at once), rolled back on the function's alarms. */
  gradual: boolean;
  /** CodeDeploy moves the alias (a gradual config, or a before-traffic check); otherwise Pulumi does, all at once. */
  codeDeploy: boolean;
  /**
   * The check before traffic moves: the platform's (deployed as `hookName`, sending `sampleEvent`, compact
   * JSON), or a function with its own image, by name.
   */
  preTraffic?: { sampleEvent: string; hookName: string } | { function: string };
}

/** A function with its own image, resolved: its build, and the same settings an app function has. */
export type OwnImageFunctionConfig = ResolvedFunctionSettings &
  Pick<OwnImageFunctionSettings, "context" | "command" | "entryPoint" | "route"> & {
    name: string;
    dockerfile: string;
    /** The route requires a valid access token. */
    authorized: boolean;
    prebuilt?: OwnImageFunctionSettings["prebuiltImages"];
    permissions: PermissionPreset[];
  };

/**
 * The final stage of a Dockerfile's text: the image it is built FROM, and the platform it pins
 * (`FROM --platform=linux/amd64 ...`), if it pins one. `$BUILDPLATFORM`/`$TARGETPLATFORM` pin nothing.
 */
export function finalStage(dockerfileText: string): { image?: string; platform?: string } {
  const [, platform, image] = [...dockerfileText.matchAll(/^\s*FROM\s+(?:--platform=(\S+)\s+)?(\S+)/gim)].at(-1) ?? [];
  return { image, platform: platform && !platform.startsWith("$") ? platform : undefined };
}

/** The platform a Dockerfile of the project pins its final stage to: a function on another architecture cannot run what it builds. */
export const pinnedPlatform = (dockerfile: string): string | undefined => finalStage(readFileSync(inProject(dockerfile), "utf8")).platform;
