import * as z from "zod/mini";
import { countPrimes, MAX_PRIME_LIMIT } from "./prime-count";

/** The jobs the worker runs: `{"type": "primes", "input": {"max": 1000000}}` or `{"type": "echo", "input": ...}`. */
const jobRequest = z.discriminatedUnion(
  "type",
  [
    z.object({
      type: z.literal("primes"),
      input: z.object({
        max: z.int({ error: (issue) => `must be a whole number from 1 to ${MAX_PRIME_LIMIT}, got ${JSON.stringify(issue.input)}` }).check(
          z.gte(1, { error: (issue) => `must be at least 1, got ${issue.input}` }),
          z.lte(MAX_PRIME_LIMIT, { error: (issue) => `must be at most ${MAX_PRIME_LIMIT}, got ${issue.input}` }),
        ),
      }),
    }),
    // Returns its input: for tests and for measuring the path without the work.
    z.object({ type: z.literal("echo"), input: z._default(z.json(), {}) }),
  ],
  { error: (issue) => `must be "primes" or "echo", got ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type)}` },
);

export type JobRequest = z.output<typeof jobRequest>;

/** A valid job, or the reason it is not one (a field path and what is wrong, ready for the client). */
export type ParsedJob = { ok: true; job: JobRequest } | { ok: false; reason: string; type: string; input: unknown };

/** Parses a message body as a job; never throws: a bad job is a result, to be recorded as failed. */
export function parseJob(body: string): ParsedJob {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return { ok: false, reason: `body is not valid JSON: ${(error as Error).message}`, type: "unknown", input: { raw: body.slice(0, 1000) } };
  }
  const result = jobRequest.safeParse(value);
  if (result.success) return { ok: true, job: result.data };
  const issue = result.error.issues[0];
  const field = issue.path.length > 0 ? issue.path.join(".") : "type";
  const record = value !== null && typeof value === "object" ? (value as { type?: unknown; input?: unknown }) : {};
  return {
    ok: false,
    reason: `${field} ${issue.message}`,
    type: typeof record.type === "string" ? record.type.slice(0, 64) : "unknown",
    input: record.input ?? value ?? null,
  };
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
