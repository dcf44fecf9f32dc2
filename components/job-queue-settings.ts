// The JobQueue component's settings (`graviton-platform:jobs`, with Lambda's and SQS's bounds) and the
// queue rules npm run dev's queues follow too: no Pulumi here, so the config reads them without the engine.
import { z } from "zod";
import { AWS_LIMITS } from "./aws-limits";
import { strictObject, wholeNumber } from "./settings-schema";

/** Top-level keys an SQS event filter pattern may match on (Lambda event filtering for SQS). */
const SQS_FILTER_KEYS = ["body", "attributes", "messageAttributes", "messageId", "md5OfBody", "eventSource", "awsRegion"];

/**
 * The largest job message, body and attributes together: set on both queues, since SQS's default is
 * now 1 MiB (CreateQueue's MaximumMessageSize) and a job has no need of more; the local queue holds the same.
 */
export const JOB_MESSAGE_MAX_BYTES = 262_144;

const FILTER_PATTERN = AWS_LIMITS.lambdaFilterPatternCharacters;

/** The path of the first value in a filter pattern that is neither a list nor a map of more (Lambda needs lists at the leaves). */
function notArrayLeaf(value: unknown, path: string[]): string[] | undefined {
  if (Array.isArray(value)) return value.length > 0 ? undefined : path;
  if (typeof value !== "object" || value === null || Object.keys(value).length === 0) return path;
  for (const [key, inner] of Object.entries(value)) {
    const found = notArrayLeaf(inner, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/** The queue and the worker's event source: `graviton-platform:jobs`. */
export const jobQueueSettings = strictObject({
  maxReceiveCount: wholeNumber(AWS_LIMITS.sqsMaxReceiveCount.min, AWS_LIMITS.sqsMaxReceiveCount.max)
    .default(3)
    .meta({ description: "receives before a message moves to the DLQ" }),
  batchSize: wholeNumber(1, 10000)
    .default(10)
    .meta({ description: "messages per worker invocation; above 10 needs `batchingWindowSeconds` >= 1" }),
  batchingWindowSeconds: wholeNumber(0, 300, " (seconds)")
    .default(0)
    .meta({ description: "how long the event source waits to fill a batch, seconds" }),
  maximumConcurrency: wholeNumber(2, 1000)
    .default(5)
    .meta({ description: "the most worker invocations at once; `functions.worker.reservedConcurrency`, when set, must be at least this" }),
  retentionDays: wholeNumber(1, 14, " (days)")
    .default(4)
    .meta({ description: "how long an unprocessed job waits in the queue (the DLQ keeps 14 days)" }),
  filterPatterns: z
    .array(
      z
        .record(z.string(), z.unknown(), { error: "must be a list of filter patterns (YAML maps)" })
        .refine((pattern) => Object.keys(pattern).length > 0 && Object.keys(pattern).every((key) => SQS_FILTER_KEYS.includes(key)), {
          error: `must be a filter pattern on ${SQS_FILTER_KEYS.join(", ")}`,
        })
        .superRefine((pattern, context) => {
          const leaf = notArrayLeaf(pattern, []);
          if (leaf)
            context.addIssue({
              code: "custom",
              path: leaf,
              message:
                'must be a list of values to match (Lambda\'s filter syntax: every value is a list, e.g. ["primes"] or [{"prefix": "a"}])',
            });
          const characters = JSON.stringify(pattern).length;
          if (characters > FILTER_PATTERN.max)
            context.addIssue({
              code: "custom",
              message: `is ${characters} characters as JSON; Lambda allows ${FILTER_PATTERN.max} per pattern`,
            });
        }),
      { error: "must be a list of filter patterns (YAML maps)" },
    )
    .max(AWS_LIMITS.lambdaFiltersPerEventSource.max, {
      error: `may hold at most ${AWS_LIMITS.lambdaFiltersPerEventSource.max} patterns (Lambda's limit per event source)`,
    })
    .optional()
    .meta({
      description:
        "at most 5 Lambda event filters on `body`, `attributes`, `messageAttributes`...; messages that match none are deleted unprocessed",
    }),
}).refine((jobs) => jobs.batchSize <= 10 || jobs.batchingWindowSeconds >= 1, {
  path: ["batchSize"],
  error: "above 10 needs batchingWindowSeconds of at least 1",
});
/**
 * AWS: at least six times the function timeout, plus the batching window, so a message is not
 * redelivered while a throttled or retried invocation still holds it.
 */
export const queueVisibilityTimeout = (workerTimeoutSeconds: number, batchingWindowSeconds: number) =>
  6 * workerTimeoutSeconds + batchingWindowSeconds;

/** The DLQ keeps messages for SQS's maximum, 14 days, to leave time for debugging and redrive. */
export const DLQ_RETENTION_SECONDS = 14 * 86_400;
