import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { AWS_LIMITS } from "./aws-limits";
import { rolePolicy } from "./iam";
import { settingsFrom } from "./settings-schema";
import { DLQ_RETENTION_SECONDS, JOB_MESSAGE_MAX_BYTES, jobQueueSettings, queueVisibilityTimeout } from "./job-queue-settings";

/** The Lambda function that consumes the queue. */
export interface QueueWorker {
  /** What the mapping invokes: the worker's live alias (or the function). */
  arn: pulumi.Input<string>;
  role: aws.iam.Role;
}

/** The settings (`jobs` of the stack config) and the worker's timeout. Its alarms are Observability's. */
export type JobQueueArgs = z.input<typeof jobQueueSettings> & {
  /** The worker's timeout, which the queue's visibility timeout must outlast. */
  workerTimeoutSeconds: number;
};

/** The longest visibility timeout SQS allows: 12 hours. */
const MAX_VISIBILITY_TIMEOUT = AWS_LIMITS.sqsVisibilityTimeoutSeconds.max;

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
