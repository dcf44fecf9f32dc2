import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { AWS_LIMITS } from "./aws-limits";
import { rolePolicy } from "./iam";
import { settingsFrom, strictObject, wholeNumber } from "./settings-schema";

/** The Lambda function that consumes the queue. */
export interface QueueWorker {
  arn: pulumi.Output<string>;
  role: aws.iam.Role;
}

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

/** The settings (`jobs` of the stack config) and the worker's timeout. Its alarms are Observability's. */
export type JobQueueArgs = z.input<typeof jobQueueSettings> & {
  /** The worker's timeout, which the queue's visibility timeout must outlast. */
  workerTimeoutSeconds: number;
};

/** The longest visibility timeout SQS allows: 12 hours. */
const MAX_VISIBILITY_TIMEOUT = 43_200;
/**
 * AWS: at least six times the function timeout, plus the batching window, so a message is not
 * redelivered while a throttled or retried invocation still holds it.
 */
export const queueVisibilityTimeout = (workerTimeoutSeconds: number, batchingWindowSeconds: number) =>
  6 * workerTimeoutSeconds + batchingWindowSeconds;

/** The DLQ keeps messages for SQS's maximum, 14 days, to leave time for debugging and redrive. */
export const DLQ_RETENTION_SECONDS = 14 * 86_400;

/**
 * The queue between the API and the worker (seed 002): a DLQ for what keeps failing, and (subscribe) the
 * worker's event source with partial batch responses and capped concurrency, so bursts wait in the
 * queue instead of overloading the database. The worker subscribes after the queue exists because the
 * WebSocket API in between needs the queue, and the worker needs the WebSocket API.
 */
export class JobQueue extends pulumi.ComponentResource {
  readonly queueUrl: pulumi.Output<string>;
  readonly queueArn: pulumi.Output<string>;
  readonly queueName: pulumi.Output<string>;
  readonly deadLetterQueueUrl: pulumi.Output<string>;
  readonly deadLetterQueueArn: pulumi.Output<string>;
  readonly deadLetterQueueName: pulumi.Output<string>;
  private readonly subscription: z.output<typeof jobQueueSettings>;
  /** The underlying resources, for a fork to read or extend (see "Changing a component" in docs/extending.md). */
  readonly nodes: { queue: aws.sqs.Queue; deadLetterQueue: aws.sqs.Queue };

  constructor(
    private readonly name: string,
    args: JobQueueArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("graviton:jobs:JobQueue", name, {}, opts);
    const settings = settingsFrom(jobQueueSettings, args);
    const visibilityTimeoutSeconds = queueVisibilityTimeout(args.workerTimeoutSeconds, settings.batchingWindowSeconds);
    if (visibilityTimeoutSeconds > MAX_VISIBILITY_TIMEOUT) {
      throw new Error(
        `JobQueue ${name}: the worker's timeout (${args.workerTimeoutSeconds} s) needs a visibility timeout of ${visibilityTimeoutSeconds} s; SQS allows at most ${MAX_VISIBILITY_TIMEOUT}. Lower the worker's timeout.`,
      );
    }
    const parent = { parent: this };

    const deadLetters = new aws.sqs.Queue(
      `${name}-dlq`,
      { messageRetentionSeconds: DLQ_RETENTION_SECONDS, maxMessageSize: JOB_MESSAGE_MAX_BYTES, sqsManagedSseEnabled: true },
      parent,
    );
    const queue = new aws.sqs.Queue(
      name,
      {
        visibilityTimeoutSeconds,
        messageRetentionSeconds: settings.retentionDays * 86_400,
        maxMessageSize: JOB_MESSAGE_MAX_BYTES,
        sqsManagedSseEnabled: true,
        redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: deadLetters.arn, maxReceiveCount: settings.maxReceiveCount }),
      },
      parent,
    );
    // Only this queue may use the DLQ (and so redrive back into it).
    new aws.sqs.RedriveAllowPolicy(
      `${name}-dlq`,
      {
        queueUrl: deadLetters.url,
        redriveAllowPolicy: pulumi.jsonStringify({ redrivePermission: "byQueue", sourceQueueArns: [queue.arn] }),
      },
      parent,
    );

    this.subscription = settings;
    this.queueUrl = queue.url;
    this.queueArn = queue.arn;
    this.queueName = queue.name;
    this.deadLetterQueueUrl = deadLetters.url;
    this.deadLetterQueueArn = deadLetters.arn;
    this.deadLetterQueueName = deadLetters.name;
    this.nodes = { queue, deadLetterQueue: deadLetters };
    this.registerOutputs({
      queueUrl: this.queueUrl,
      queueArn: this.queueArn,
      deadLetterQueueUrl: this.deadLetterQueueUrl,
      deadLetterQueueArn: this.deadLetterQueueArn,
    });
  }

  /**
   * The worker's event source mapping: partial batch responses, batch size and window, maximum
   * concurrency, filters; created after the worker may receive and delete on this queue (and nothing else).
   */
  subscribe(worker: QueueWorker): aws.lambda.EventSourceMapping {
    const consume = rolePolicy(
      `${this.name}-consume`,
      worker.role,
      [
        {
          Sid: "ConsumeJobs",
          Effect: "Allow",
          Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
          Resource: this.queueArn,
        },
      ],
      { parent: this },
    );
    return new aws.lambda.EventSourceMapping(
      `${this.name}-worker`,
      {
        eventSourceArn: this.queueArn,
        functionName: worker.arn,
        batchSize: this.subscription.batchSize,
        maximumBatchingWindowInSeconds: this.subscription.batchingWindowSeconds,
        functionResponseTypes: ["ReportBatchItemFailures"],
        scalingConfig: { maximumConcurrency: this.subscription.maximumConcurrency },
        filterCriteria: this.subscription.filterPatterns && {
          filters: this.subscription.filterPatterns.map((pattern) => ({ pattern: JSON.stringify(pattern) })),
        },
      },
      { parent: this, dependsOn: [consume] },
    );
  }
}
