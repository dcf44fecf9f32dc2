import { ONE_VCPU_MB, SLOWEST_JOB_MS_AT_ONE_VCPU } from "../app/core/job-types";
import type { PolicyResource } from "@pulumi/policy";
import { functionFinder, GravitonPolicy, propsOf, TYPES } from "./definition";

const isSqs = (arn: unknown) => typeof arn === "string" && arn.startsWith("arn:aws:sqs:");

/** Each SQS event source mapping of the stack, with the queue and the function it connects (when the stack has them). */
export function queueSubscriptions(resources: PolicyResource[]) {
  const queues = resources.filter((resource) => resource.type === TYPES.sqsQueue);
  const functionNamed = functionFinder(resources);
  return resources
    .filter((resource) => resource.type === TYPES.eventSourceMapping && isSqs(resource.props.eventSourceArn))
    .map((mapping) => ({
      mapping,
      queue: queues.find((queue) => queue.props.arn === mapping.props.eventSourceArn),
      // The function itself, whether the mapping invokes it or its alias.
      fn: typeof mapping.props.functionName === "string" ? functionNamed(mapping.props.functionName) : undefined,
    }));
}

const redriveOf = (queue: PolicyResource): { deadLetterTargetArn?: string; maxReceiveCount?: number } => {
  const policy = queue.props.redrivePolicy;
  if (!policy) return {};
  return typeof policy === "string" ? JSON.parse(policy) : policy;
};

export const sqsPolicies: GravitonPolicy[] = [
  {
    name: "sqs-queue-encrypted",
    description: "SQS queues are encrypted at rest (AWS Security Hub SQS.1; Checkov CKV_AWS_27).",
    enforcementLevel: "mandatory",
    howToFix: "Set sqsManagedSseEnabled: true, or kmsMasterKeyId (JobQueue does the first).",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.sqsQueue);
      if (props && props.sqsManagedSseEnabled !== true && !props.kmsMasterKeyId)
        report(`Queue ${props.name ?? args.name} is not encrypted.`);
    },
  },
  {
    name: "sqs-consumed-queue-has-dlq",
    description:
      "Every queue a Lambda function consumes moves messages that keep failing to a dead-letter queue, so they are neither retried forever nor lost.",
    enforcementLevel: "mandatory",
    howToFix: "Give the queue a redrivePolicy with deadLetterTargetArn and maxReceiveCount (JobQueue does).",
    validateStack: (args, report) => {
      for (const { queue } of queueSubscriptions(args.resources)) {
        const redrive = queue && redriveOf(queue);
        if (queue && !(redrive?.deadLetterTargetArn && redrive.maxReceiveCount)) {
          report(`Queue ${queue.name} is consumed by a function but has no dead-letter queue.`, queue.urn);
        }
      }
    },
  },
  {
    name: "sqs-visibility-timeout",
    description:
      "A consumed queue's visibility timeout is at least 6 times the function's timeout plus the batching window (AWS Lambda SQS guidance), so a message is not delivered again while it is still being processed.",
    enforcementLevel: "mandatory",
    howToFix: "Raise the queue's visibilityTimeoutSeconds, or lower the function's timeout (JobQueue derives one from the other).",
    validateStack: (args, report) => {
      for (const { mapping, queue, fn } of queueSubscriptions(args.resources)) {
        if (!queue || !fn) continue;
        const needed = 6 * (fn.props.timeout ?? 3) + (mapping.props.maximumBatchingWindowInSeconds ?? 0);
        const visibility = queue.props.visibilityTimeoutSeconds ?? 30;
        if (visibility < needed)
          report(`Queue ${queue.name}'s visibility timeout is ${visibility} s; ${fn.name} needs at least ${needed} s.`, queue.urn);
      }
    },
  },
  {
    name: "lambda-sqs-partial-batch",
    description: "SQS event sources report batch item failures, so one bad message does not send its whole batch back to the queue.",
    enforcementLevel: "mandatory",
    howToFix: 'Set functionResponseTypes: ["ReportBatchItemFailures"] and return batchItemFailures (Powertools batch processor).',
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.eventSourceMapping);
      if (props && isSqs(props.eventSourceArn) && !(props.functionResponseTypes ?? []).includes("ReportBatchItemFailures")) {
        report(`Event source mapping ${args.name} retries whole batches.`);
      }
    },
  },
  {
    name: "lambda-sqs-maximum-concurrency",
    description:
      "SQS event sources cap their concurrency (scalingConfig.maximumConcurrency), at or below the function's reserved concurrency, so a burst waits in the queue instead of overloading what the function calls (seed 002).",
    enforcementLevel: "mandatory",
    howToFix: "Set graviton-platform:jobs.maximumConcurrency, and functions.worker.reservedConcurrency at least as high.",
    validateStack: (args, report) => {
      for (const { mapping, fn } of queueSubscriptions(args.resources)) {
        const maximum = mapping.props.scalingConfig?.maximumConcurrency;
        const reserved = fn?.props.reservedConcurrentExecutions;
        if (maximum === undefined) report(`Event source mapping ${mapping.name} has no maximum concurrency.`, mapping.urn);
        else if (reserved !== undefined && reserved >= 0 && maximum > reserved) {
          report(`Event source mapping ${mapping.name} may run ${maximum} at once; ${fn!.name} reserves only ${reserved}.`, mapping.urn);
        }
      }
    },
  },
  {
    name: "jobs-batch-fits-timeout",
    description: `A batch of the slowest jobs (${SLOWEST_JOB_MS_AT_ONE_VCPU} ms of one vCPU each; Lambda gives one vCPU at ${ONE_VCPU_MB} MB, less memory proportionally less) finishes within the worker's timeout; otherwise the whole batch times out and returns to the queue, again and again, to the DLQ.`,
    enforcementLevel: "advisory",
    howToFix: "Lower graviton-platform:jobs.batchSize, or raise functions.worker.timeout or functions.worker.memory.",
    validateStack: (args, report) => {
      for (const { mapping, fn } of queueSubscriptions(args.resources)) {
        if (!fn) continue;
        const batchSize = mapping.props.batchSize ?? 10; // SQS event sources default to 10
        const memoryMb = fn.props.memorySize ?? 128;
        const timeoutSeconds = fn.props.timeout ?? 3;
        const perJobMs = Math.round(SLOWEST_JOB_MS_AT_ONE_VCPU * Math.max(1, ONE_VCPU_MB / memoryMb));
        const neededSeconds = (batchSize * perJobMs) / 1000;
        if (neededSeconds > timeoutSeconds) {
          report(
            `A batch of ${batchSize} of the slowest jobs needs about ${neededSeconds} s at ${memoryMb} MB (${perJobMs} ms each); ${fn.name}'s timeout is ${timeoutSeconds} s.`,
            mapping.urn,
          );
        }
      }
    },
  },
];
