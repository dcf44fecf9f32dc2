import * as z from "zod/mini";
import type { LambdaArchitecture } from "../core/architecture";
import { describeValue } from "../core/describe-value";
import { LIVE_ALIAS } from "../functions";
import { generatePayloads } from "./analysis";

const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}$/;
const ALIAS_NAME = /^(?!^[0-9]+$)[A-Za-z0-9_-]{1,128}$/;
export const DEFAULT_POWER_VALUES = [128, 256, 512, 1024, 1536, 1769, 3008];
/** `powerValues: "ALL"`, as AWS Lambda Power Tuning expands it: 128 to 3008 MB in steps of 64. */
export const ALL_POWER_VALUES = Array.from({ length: (3008 - 128) / 64 + 1 }, (_, index) => 128 + index * 64);

/**
 * Bounds that keep every state of an execution far below Step Functions' 256 KiB limit (exceeding it is
 * States.DataLimitExceeded, which no Catch handles): the payload travels in the plan, the points and
 * their statistics in the state. https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
export const TUNING_LIMITS = {
  maxPayloadBytes: 32 * 1024,
  maxPowerValues: 64,
  maxNum: 1000,
  /** One memory value is measured by one task invocation, which Lambda stops after 15 minutes: the sleeps must leave room for the runs. */
  maxSleepTotalMs: 840_000,
} as const;

const functionArn = z
  .string({ error: "must be a function ARN (arn:aws:lambda:<region>:<account>:function:<name>, no qualifier)" })
  .check(z.regex(FUNCTION_ARN, { error: "must be a function ARN (arn:aws:lambda:<region>:<account>:function:<name>, no qualifier)" }));
const flag = z._default(z.boolean({ error: "must be true or false" }), false);
const KNOWN_FIELDS = [
  "lambdaARN",
  "lambdaARNs",
  "powerValues",
  "num",
  "payload",
  "parallelInvocation",
  "strategy",
  "balancedWeight",
  "autoOptimize",
  "autoOptimizeAlias",
  "dryRun",
  "discardTopBottom",
  "sleepBetweenRunsMs",
  "onlyColdStarts",
  "includeOutputResults",
];

const schema = z
  .object({
    lambdaARN: z.optional(functionArn),
    /** Ours: one function per architecture (the foundation's twins), measured in one execution. */
    lambdaARNs: z.optional(
      z
        .object({ x86_64: z.optional(functionArn), arm64: z.optional(functionArn) })
        .check(z.refine((arns) => Boolean(arns.x86_64 || arns.arm64), { error: 'must name at least one of "x86_64" and "arm64"' })),
    ),
    powerValues: z._default(
      z
        .array(
          z
            .int({ error: "must be whole numbers of MB from 128 to 10240" })
            .check(
              z.gte(128, { error: "must be whole numbers of MB from 128 to 10240" }),
              z.lte(10240, { error: "must be whole numbers of MB from 128 to 10240" }),
            ),
          { error: "must be a list of memory sizes in MB" },
        )
        .check(
          z.minLength(1, { error: "must list at least one memory size" }),
          z.maxLength(TUNING_LIMITS.maxPowerValues, { error: `must list at most ${TUNING_LIMITS.maxPowerValues} memory sizes` }),
          z.refine((values) => new Set(values).size === values.length, { error: "must not repeat a memory size" }),
        ),
      DEFAULT_POWER_VALUES,
    ),
    num: z
      .int({ error: "must be a whole number of invocations from 5 to 1000" })
      .check(
        z.gte(5, { error: "must be at least 5 (the trimmed mean needs a sample)" }),
        z.lte(TUNING_LIMITS.maxNum, { error: `must be at most ${TUNING_LIMITS.maxNum}` }),
      ),
    // As the original: no payload, or null, invokes with the JSON null.
    payload: z._default(z.unknown(), null).check(
      z.refine((payload) => Buffer.byteLength(JSON.stringify(payload) ?? "") <= TUNING_LIMITS.maxPayloadBytes, {
        error: `must be at most ${TUNING_LIMITS.maxPayloadBytes} bytes as JSON (it travels in the execution's state, which Step Functions caps at 256 KiB)`,
      }),
    ),
    parallelInvocation: flag,
    strategy: z._default(z.enum(["cost", "speed", "balanced"], { error: 'must be "cost", "speed" or "balanced"' }), "cost"),
    balancedWeight: z._default(
      z
        .number({ error: "must be a number from 0 (speed) to 1 (cost)" })
        .check(
          z.gte(0, { error: "must be a number from 0 (speed) to 1 (cost)" }),
          z.lte(1, { error: "must be a number from 0 (speed) to 1 (cost)" }),
        ),
      0.5,
    ),
    autoOptimize: flag,
    autoOptimizeAlias: z.optional(
      z.string().check(
        z.regex(ALIAS_NAME, { error: "must be a Lambda alias name (letters, digits, - and _, not only digits)" }),
        z.refine((alias) => alias !== LIVE_ALIAS, {
          error: `must not be "${LIVE_ALIAS}": the alias every caller invokes moves only by a rollout (set the recommended memory in the stack file, npm run tune -- --apply, and pulumi up)`,
        }),
      ),
    ),
    dryRun: flag,
    // Unset, it is 0.2, or 0 with onlyColdStarts (every invocation is a cold start: nothing to trim), as in the original.
    discardTopBottom: z.optional(
      z
        .number({ error: "must be a share from 0 to 0.4" })
        .check(z.gte(0, { error: "must be a share from 0 to 0.4" }), z.lte(0.4, { error: "must be at most 0.4" })),
    ),
    sleepBetweenRunsMs: z._default(z.int({ error: "must be a whole number of ms" }).check(z.gte(0, { error: "must not be negative" })), 0),
    onlyColdStarts: flag,
    includeOutputResults: flag,
  })
  .check(
    z.refine((input) => Boolean(input.lambdaARN) !== Boolean(input.lambdaARNs), {
      path: ["lambdaARN"],
      error: "give lambdaARN (one function) or lambdaARNs (one per architecture), not both and not neither",
    }),
    z.refine((input) => !input.autoOptimizeAlias || input.autoOptimize, { path: ["autoOptimizeAlias"], error: "needs autoOptimize: true" }),
    z.refine((input) => input.parallelInvocation || input.num * input.sleepBetweenRunsMs <= TUNING_LIMITS.maxSleepTotalMs, {
      path: ["sleepBetweenRunsMs"],
      error: `times num must be at most ${TUNING_LIMITS.maxSleepTotalMs} ms: one memory value is measured within one task invocation, which Lambda stops after 15 minutes`,
    }),
  );

export type TuningInput = Omit<z.output<typeof schema>, "discardTopBottom"> & { discardTopBottom: number };

/** The execution's input is not valid; the message names the field and the rule. */
export class InvalidTuningInput extends Error {
  override readonly name = "InvalidTuningInput";
}

/** Validates an execution's input (AWS Lambda Power Tuning 4.x fields, plus lambdaARNs) and applies the defaults. */
export function parseTuningInput(rawInput: unknown): TuningInput {
  if (rawInput === null || typeof rawInput !== "object" || Array.isArray(rawInput)) {
    throw new InvalidTuningInput(
      `Invalid input: the execution input must be a JSON object such as {"lambdaARN": "arn:aws:lambda:...", "num": 10}, got ${describeValue(rawInput)}`,
    );
  }
  const unknown = Object.keys(rawInput).filter((key) => !KNOWN_FIELDS.includes(key));
  if (unknown.length > 0)
    throw new InvalidTuningInput(
      `Invalid input: ${unknown.join(", ")} ${unknown.length > 1 ? "are" : "is"} not supported; the fields are ${KNOWN_FIELDS.join(", ")}`,
    );
  // The original's shorthands: "ALL" is every value from 128 to 3008 MB by 64, an empty list the defaults.
  const { powerValues } = rawInput as { powerValues?: unknown };
  const input = {
    ...rawInput,
    ...(powerValues === "ALL" && { powerValues: ALL_POWER_VALUES }),
    ...(Array.isArray(powerValues) && powerValues.length === 0 && { powerValues: DEFAULT_POWER_VALUES }),
  };
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.join(".") || "input";
    const value = issue.path.reduce<any>((node, key) => node?.[key as string], input);
    throw new InvalidTuningInput(`Invalid input: ${field} ${issue.message}${value === undefined ? "" : `, got ${describeValue(value)}`}`);
  }
  try {
    generatePayloads(result.data.num, result.data.payload); // the weighted split must fit num
  } catch (error) {
    throw new InvalidTuningInput(`Invalid input: ${(error as Error).message}`);
  }
  return { ...result.data, discardTopBottom: result.data.discardTopBottom ?? (result.data.onlyColdStarts ? 0 : 0.2) };
}

/** The functions to measure, by architecture. */
export function targetsOf(input: TuningInput): { architecture?: LambdaArchitecture; functionArn: string }[] {
  if (input.lambdaARN) return [{ functionArn: input.lambdaARN }];
  return (["x86_64", "arm64"] as const).flatMap((architecture) =>
    input.lambdaARNs?.[architecture] ? [{ architecture, functionArn: input.lambdaARNs[architecture]! }] : [],
  );
}
