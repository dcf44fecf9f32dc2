import * as z from "zod/mini";
import { describeValue } from "./describe-value";
import { JOB_LIMITS, jsonBoundsProblem, storableText } from "./job-bounds";
import { countPrimes, MAX_PRIME_LIMIT } from "./prime-count";

/** Job ids are API Gateway request ids: letters, digits, `=`, `-` and `_`. */
export const JOB_ID = /^[A-Za-z0-9=_-]{1,128}$/;

/**
 * The jobs the worker runs: `{"type": "primes", "input": {"max": 1000000}}` or `{"type": "echo", "input": ...}`.
 * The one list of job types: the WebSocket API's `submit` model, the worker and `npm run job` all derive
 * from it. Adding a type: a member here and a case in runJob.
 */
export const jobRequest = z.discriminatedUnion(
  "type",
  [
    z.object({
      type: z.literal("primes"),
      input: z.object({
        max: z
          .int({ error: (issue) => `must be a whole number from 1 to ${MAX_PRIME_LIMIT}, got ${describeValue(issue.input)}` })
          .check(
            z.gte(1, { error: (issue) => `must be at least 1, got ${describeValue(issue.input)}` }),
            z.lte(MAX_PRIME_LIMIT, { error: (issue) => `must be at most ${MAX_PRIME_LIMIT}, got ${describeValue(issue.input)}` }),
          ),
      }),
    }),
    // Returns its input (any JSON, null included): for tests and for measuring the path without the work.
    // Any JSON (the body was parsed from JSON and checked by jsonBoundsProblem), null included.
    z.object({ type: z.literal("echo"), input: z._default(z.unknown(), {}) }),
  ],
  {
    error: (issue): string =>
      `must be ${alternatives(JOB_TYPES)}, got ${describeValue((issue.input as { type?: unknown } | undefined)?.type)}`,
  },
);

export type JobRequest = z.output<typeof jobRequest>;

/**
 * The JSON schema (draft 4, what API Gateway models take) of a job request: one alternative per job
 * type, each with its input's rules, so the WebSocket API refuses at the edge what the worker would.
 */
export function jobRequestJsonSchema(): { oneOf: object[] } {
  const { $schema: _, ...schema } = z.toJSONSchema(jobRequest, { target: "draft-04", io: "input" }) as {
    $schema?: string;
    oneOf: object[];
  };
  return schema;
}
export type JobType = JobRequest["type"];
export const JOB_TYPES = jobRequest.def.options.map((option) => option.def.shape.type.def.values[0]) as JobType[];

/** `"a", "b" or "c"`. */
const alternatives = (values: readonly string[]) =>
  values
    .map((value) => `"${value}"`)
    .join(", ")
    .replace(/, ([^,]*)$/, " or $1");

/**
 * The slowest job a worker may be handed, in ms of one full vCPU: primes at its maximum. countPrimes(50,000,000)
 * took 160-170 ms on one core of the development machine (2026-11); this allows 2.4x for a slower vCPU.
 * The jobs-batch-fits-timeout policy multiplies it by the batch size against the worker's timeout.
 */
export const SLOWEST_JOB_MS_AT_ONE_VCPU = 400;

/** Lambda gives a function one full vCPU at 1,769 MB, and CPU in proportion to memory below that. */
export const ONE_VCPU_MB = 1769;

/** A valid job, or the reason it is not one (a field path and what is wrong, ready for the client). */
export type ParsedJob = { ok: true; job: JobRequest } | { ok: false; reason: string; type: string; input: unknown };

/**
 * Parses a message body as a job; never throws, whatever the body: a bad job is a result, to be recorded
 * as failed. What an invalid job records (type, input, reason) is always storable in PostgreSQL.
 */
export function parseJob(body: unknown): ParsedJob {
  const refuse = (
    reason: string,
    type = "unknown",
    input: unknown = { raw: typeof body === "string" ? storableText(body.slice(0, 1000)) : null },
  ): ParsedJob => ({
    ok: false,
    reason,
    type,
    input,
  });
  if (typeof body !== "string") return refuse(`body must be a JSON object as text, got ${body === null ? "null" : typeof body}`);
  const bytes = Buffer.byteLength(body);
  if (bytes > JOB_LIMITS.maxBodyBytes) return refuse(`body is ${bytes} bytes; a job may be at most ${JOB_LIMITS.maxBodyBytes}`);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return refuse(`body is not valid JSON: ${(error as Error).message}`);
  }
  const outOfBounds = jsonBoundsProblem(value);
  if (outOfBounds) return refuse(outOfBounds);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return refuse(
      `body must be a JSON object such as {"type": "primes", "input": {"max": 1000}}, got ${describeValue(value)}`,
      "unknown",
      value,
    );
  }
  const record = value as { type?: unknown; input?: unknown };
  const type = typeof record.type === "string" ? record.type.slice(0, 64) : "unknown";
  try {
    const result = jobRequest.safeParse(value);
    if (result.success) return { ok: true, job: result.data };
    const issue = result.error.issues[0];
    const field = issue.path.length > 0 ? issue.path.join(".") : "type";
    return refuse(`${field} ${issue.message}`, type, record.input ?? null);
  } catch (error) {
    return refuse(`the job could not be validated: ${(error as Error).message}`, type);
  }
}

/** Runs a valid job and returns its result. */
export function runJob(job: JobRequest): unknown {
  switch (job.type) {
    case "primes": {
      const started = performance.now();
      const count = countPrimes(job.input.max);
      return { max: job.input.max, count, elapsedMs: Math.round((performance.now() - started) * 1000) / 1000 };
    }
    case "echo":
      return { echo: job.input };
  }
}
