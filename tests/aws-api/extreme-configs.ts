import { z } from "zod";
import { type AppFunctionName, appFunctions } from "../../app/functions";
import { appFunctionServes } from "../../config/rollout-rules";
import { PROJECT, stackConfigSchema } from "../../config";

/**
 * The largest and the smallest stack configs the schemas accept: every number the schema bounds at the
 * most (or least) it takes with the rest of the config, found by bisection against the schema itself, so
 * a cross-key rule (maxAllocatedStorage 10% above allocatedStorage, the worker's reserved concurrency at
 * least maximumConcurrency) bounds it as it bounds a user. Strings and lists are set at their longest by hand,
 * and also bisected where a rule over several keys (the 4 KB environment, a role's policy size) is the bound.
 */

type Values = Record<string, any>;

const accepted = (values: Values) => stackConfigSchema.safeParse(values).success;

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));

function setAt(values: Values, path: string[], value: unknown): Values {
  const copy = clone(values);
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] ??= {};
  node[path[path.length - 1]] = value;
  return copy;
}

/** The most (or least) whole number in [low, high] that `fits`, assuming what fits is a range. */
function bisect(low: number, high: number, fits: (value: number) => boolean, most: boolean): number | undefined {
  if (most ? !fits(low) && !fits(high) : !fits(high) && !fits(low)) return undefined;
  let [lo, hi] = [low, high];
  if (most) {
    if (fits(hi)) return hi;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid - 1;
    }
    return fits(lo) ? lo : undefined;
  }
  if (fits(lo)) return lo;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) hi = mid;
    else lo = mid + 1;
  }
  return fits(lo) ? lo : undefined;
}

/** Every bounded whole number of the schema, by path (`*` for a record's entries). */
function boundedNumbers(): { path: string[]; minimum: number; maximum: number }[] {
  const found: { path: string[]; minimum: number; maximum: number }[] = [];
  const walk = (node: any, path: string[]) => {
    if (!node || typeof node !== "object") return;
    if (node.type === "integer" && node.minimum !== undefined && node.maximum !== undefined)
      found.push({ path, minimum: node.minimum, maximum: node.maximum });
    for (const [key, inner] of Object.entries(node.properties ?? {})) walk(inner, [...path, key]);
    if (typeof node.additionalProperties === "object") walk(node.additionalProperties, [...path, "*"]);
    for (const inner of [...(node.anyOf ?? []), ...(node.allOf ?? [])]) walk(inner, path);
  };
  walk(z.toJSONSchema(stackConfigSchema, { io: "input", unrepresentable: "any" }), []);
  return found;
}

/**
 * Keys a cross-key rule refuses outright where they are, so no value of theirs is accepted there: a
 * rollout key of a function that serves no traffic has no live alias to apply to (config/rollout-rules.ts).
 */
function refusedWhere(path: string[], values: Values): boolean {
  const [group, name, key] = path;
  if (key !== "provisionedConcurrency") return false;
  if (group === "functions") return !appFunctionServes(name as AppFunctionName);
  return group === "ownImageFunctions" && values.ownImageFunctions?.[name]?.route === undefined;
}

/**
 * Every bounded number set to its extreme in `values`; a record's entries (`*`) get it in each entry `values` has.
 * At the least, provisioned concurrency goes first: it fits only a reservation at least as large, so the
 * reservation's least is then 1 where something is provisioned (0 elsewhere), and both are at their least.
 */
function numbersAtExtreme(values: Values, most: boolean): { values: Values; bound: string[]; unreached: string[] } {
  let current = values;
  const bound: string[] = [];
  const unreached: string[] = [];
  const provisionedFirst = (path: string[]) => (!most && path.at(-1) === "provisionedConcurrency" ? 0 : 1);
  const numbers = boundedNumbers().sort((a, b) => provisionedFirst(a.path) - provisionedFirst(b.path));
  for (const { path, minimum, maximum } of numbers) {
    const star = path.indexOf("*");
    const entries =
      star < 0
        ? [path]
        : Object.keys(path.slice(0, star).reduce((node, key) => node?.[key] ?? {}, current)).map((key) =>
            path.map((part, index) => (index === star ? key : part)),
          );
    for (const concrete of entries) {
      if (refusedWhere(concrete, current)) continue;
      const value = bisect(minimum, maximum, (candidate) => accepted(setAt(current, concrete, candidate)), most);
      if (value === undefined) {
        unreached.push(concrete.join("."));
        continue;
      }
      current = setAt(current, concrete, value);
      bound.push(`${concrete.join(".")}=${value}`);
    }
  }
  return { values: current, bound, unreached };
}

const LONGEST_NAME = `f${"x".repeat(39)}`; // a function name: 40 characters, the most the config takes
const LONGEST_BUCKET = "b".repeat(55); // S3's 63 less the stack's `-<7 characters>`
const FIXTURE = "tests/fixtures/own-image";
/** The same function with the largest sample event the platform's check carries in its environment (PRE_TRAFFIC_EVENT_MAX_BYTES). */
const FIXTURE_LARGEST_EVENT = "tests/fixtures/own-image-largest-event";
const LONGEST_DEPLOYMENT_CONFIG = `d${"c".repeat(99)}`; // CodeDeploy's DeploymentConfigName: at most 100
/** The app's functions power tuning may tune (all but itself). */
const APP_FUNCTIONS = Object.keys(appFunctions).filter((name) => name !== "power-tuning");

/**
 * An extreme config: the stack's name (the longest or shortest Pulumi takes, scripts/stacks.ts), its config
 * as the Pulumi CLI hands it over, the numbers set at their bound, and any the schema accepted no value for.
 */
export interface ExtremeConfig {
  stack: string;
  config: Record<string, string>;
  bound: string[];
  unreached: string[];
}

/** The largest config: every number at its most, every string and list at its longest, every option on. */
export function largestConfig(): ExtremeConfig {
  let values: Values = {
    architecture: "arm64",
    logRetentionDays: 3653,
    auth: {
      issuer: `https://${"i".repeat(2048 - "https://".length - ".example".length)}.example`,
      audience: Array.from({ length: 20 }, (_, index) => `client-${index}`),
      scope: "s".repeat(128),
    },
    database: {
      name: "d".repeat(63),
      adminUser: `a${"d".repeat(15)}`,
      appUser: "u".repeat(63),
      multiAz: true,
      deletionProtection: true,
      finalSnapshot: true,
    },
    network: { natGateways: "onePerAz" },
    buckets: { [LONGEST_BUCKET]: { intermediatePrefix: `${"p".repeat(199)}/` } },
    ownImageFunctions: {
      [LONGEST_NAME]: {
        context: FIXTURE_LARGEST_EVENT,
        compareArchitectures: true,
        architecture: "x86_64",
        route: `ANY /${"r".repeat(100)}/{id}/{proxy+}`,
        authorized: true,
        command: ["handler.handler"],
        permissions: [
          { preset: "s3-write", bucket: LONGEST_BUCKET, prefix: `${"p".repeat(99)}/` },
          { preset: "sqs-send", queue: "jobs-dlq" },
          { preset: "invoke", functions: APP_FUNCTIONS.slice(0, 2) },
        ],
        expectedRps: 1000,
        expectedDurationMs: 900_000,
        preTraffic: true,
      },
    },
    // Every function on both architectures; every serving one checked before traffic by the platform's check.
    functions: Object.fromEntries(
      Object.keys(appFunctions).map((name) => [
        name,
        { compareArchitectures: true, ...(appFunctionServes(name as AppFunctionName) && { preTraffic: true }) },
      ]),
    ),
    alarms: { email: `${"e".repeat(60)}@${"d".repeat(60)}.example` },
    // Every serving function rolled out by the stack's own config, at CodeDeploy's longest config name.
    deploymentConfig: LONGEST_DEPLOYMENT_CONFIG,
    deploymentConfigs: { [LONGEST_DEPLOYMENT_CONFIG]: { type: "linear", percentage: 1, intervalMinutes: 1 } },
  };
  values.tuning = { functions: [...APP_FUNCTIONS, LONGEST_NAME] };
  assertAccepted(values, "the largest config's strings and lists");
  // Lambda's filters: five patterns at the most characters one may have.
  const pattern = (length: number) => ({ body: { type: ["x".repeat(length)] } });
  const longestPattern = bisect(1, 10_000, (length) => accepted({ ...values, jobs: { filterPatterns: [pattern(length)] } }), true)!;
  values.jobs = { filterPatterns: Array.from({ length: 5 }, () => pattern(longestPattern)) };
  // The environment at the most the 4 KB allows beside what the stack adds, in two-character names.
  const environment = (length: number) => ({ AB: "v".repeat(length), CD: "w" });
  const longestValue = bisect(
    1,
    5000,
    (length) => accepted(setAt(values, ["ownImageFunctions", LONGEST_NAME, "environment"], environment(length))),
    true,
  )!;
  values = setAt(values, ["ownImageFunctions", LONGEST_NAME, "environment"], environment(longestValue));
  const numbers = numbersAtExtreme(values, true);
  assertAccepted(numbers.values, "the largest config's numbers");
  return {
    stack: "s".repeat(100),
    config: asStackConfig(numbers.values, "ap-southeast-5"),
    bound: numbers.bound,
    unreached: numbers.unreached,
  };
}

/** The smallest config: every number at its least, the shortest names, nothing optional. */
export function smallestConfig(): ExtremeConfig {
  const values: Values = {
    database: { name: "d", adminUser: "a", appUser: "u" },
    network: { natGateways: "single" },
    tuning: { functions: [] },
    ownImageFunctions: { f: { context: FIXTURE } },
  };
  assertAccepted(values, "the smallest config's strings");
  const numbers = numbersAtExtreme(values, false);
  assertAccepted(numbers.values, "the smallest config's numbers");
  return { stack: "s", config: asStackConfig(numbers.values, "us-east-1"), bound: numbers.bound, unreached: numbers.unreached };
}

function assertAccepted(values: Values, what: string): void {
  const result = stackConfigSchema.safeParse(values);
  if (!result.success)
    throw new Error(
      `${what} are refused, so the generator is wrong: ${result.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`).join("; ")}`,
    );
}

/** Config values as the Pulumi CLI hands them to the program: `<project>:<key>` to a string. */
function asStackConfig(values: Values, region: string): Record<string, string> {
  return {
    "aws:region": region,
    ...Object.fromEntries(
      Object.entries(values).map(([key, value]) => [`${PROJECT}:${key}`, typeof value === "string" ? value : JSON.stringify(value)]),
    ),
  };
}
