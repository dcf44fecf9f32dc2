import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { processJobBatch, type JobMessage, type WorkerDependencies } from "./process-job-message";

/** Time kept back from the function's timeout for reporting the batch: notifications stop this early. */
export const REPORTING_MARGIN_MS = 1000;

/** The job message an SQS record carries: the body and the attributes the API integration set (if any). */
export function jobMessageOf(record: SQSRecord): JobMessage {
  const attribute = (name: string) => {
    const value = (record.messageAttributes as SQSRecord["messageAttributes"] | undefined)?.[name]?.stringValue;
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const sentAt = Number(record.attributes?.SentTimestamp);
  return {
    body: record.body,
    jobId: attribute("jobId"),
    owner: attribute("owner"),
    connectionId: attribute("connectionId"),
    sentAt: Number.isSafeInteger(sentAt) && sentAt > 0 ? sentAt : undefined,
  };
}

/**
 * The worker's Lambda handler for an SQS event source with ReportBatchItemFailures. The batch is
 * processed as a whole (processJobBatch: two statements for up to batchSize jobs); Powertools' batch
 * processor then reports the records that must go back to the queue, so SQS retries exactly those and,
 * after maxReceiveCount, moves them to the DLQ. If the batch cannot even be claimed, the invocation
 * fails and SQS retries the batch. Notifications end before the function's own timeout.
 */
export function sqsWorker(deps: WorkerDependencies): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  return async (event, context) => {
    const deadline = Date.now() + (context.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY) - REPORTING_MARGIN_MS;
    const messages = event.Records.map(jobMessageOf);
    const results = await processJobBatch(messages, deps, deadline);
    const byMessage = new Map(event.Records.map((record, index) => [record.messageId, results[index]]));
    results.forEach((result, index) => {
      if (!(result instanceof Error)) return;
      deps.log?.({
        message: "job message left for retry",
        messageId: event.Records[index].messageId,
        jobId: messages[index].jobId,
        error: result.message,
      });
      deps.metric?.("JobsRetried");
    });
    return processPartialResponse(
      event,
      async (record: SQSRecord) => {
        const result = byMessage.get(record.messageId);
        if (result instanceof Error) throw result;
        return result;
      },
      processor,
      { context, processInParallel: false },
    );
  };
}
