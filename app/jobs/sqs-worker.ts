import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { processJobMessage, type JobMessage, type WorkerDependencies } from "./process-job-message";

/** The job message an SQS record carries: the body and the attributes the API integration set. */
export function jobMessageOf(record: SQSRecord): JobMessage {
  const attribute = (name: string) => record.messageAttributes[name]?.stringValue || undefined;
  return { body: record.body, jobId: attribute("jobId"), owner: attribute("owner"), connectionId: attribute("connectionId") };
}

/**
 * The worker's Lambda handler for an SQS event source with ReportBatchItemFailures: each record is
 * processed on its own; the ones that threw (database unavailable, a message that is not ours) are
 * reported back, so SQS retries exactly those and, after maxReceiveCount, moves them to the DLQ.
 */
export function sqsWorker(deps: WorkerDependencies): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  return (event, context) =>
    processPartialResponse(event, (record: SQSRecord) => processJobMessage(jobMessageOf(record), deps), processor, {
      context,
      // One database connection per environment: records take turns on it anyway.
      processInParallel: false,
    });
}
