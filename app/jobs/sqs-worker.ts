import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { claimJobMessages, finishJobMessage, type JobMessage, type WorkerDependencies } from "./process-job-message";

/** The job message an SQS record carries: the body and the attributes the API integration set. */
export function jobMessageOf(record: SQSRecord): JobMessage {
  const attribute = (name: string) => record.messageAttributes[name]?.stringValue || undefined;
  return { body: record.body, jobId: attribute("jobId"), owner: attribute("owner"), connectionId: attribute("connectionId") };
}

/**
 * The worker's Lambda handler for an SQS event source with ReportBatchItemFailures. The batch's jobs
 * are claimed in one statement (if that fails, the invocation fails and SQS retries the batch); then
 * each record is finished on its own, and the ones that threw (database unavailable, a message that is
 * not ours) are reported back, so SQS retries exactly those and, after maxReceiveCount, moves them to
 * the DLQ.
 */
export function sqsWorker(deps: WorkerDependencies): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  return async (event, context) => {
    const claims = await claimJobMessages(deps.db, event.Records.map(jobMessageOf));
    return processPartialResponse(event, (record: SQSRecord) => finishJobMessage(jobMessageOf(record), claims, deps), processor, {
      context,
      // One database connection per environment: records take turns on it anyway.
      processInParallel: false,
    });
  };
}
