import type { SQSEvent, SQSRecord } from "aws-lambda";
import { createHash } from "node:crypto";
import { INVOKE_LIMITS } from "../lambda/local-lambda";
import type { LocalQueue, ReceivedMessage } from "./local-queue";

/** The event source mapping's settings, as JobQueue.subscribe deploys them (`jobs` of the stack config). */
export interface EventSourceMappingSettings {
  batchSize: number;
  batchingWindowSeconds: number;
  maximumConcurrency: number;
}

/** The longest a visible message waits for the mapping to look, whatever announced it or did not. */
const POLL_INTERVAL_MS = 1000;

/** An invocation's outcome: the handler's result, or its error (a thrown error, a timeout, a crash). */
export type InvokeOutcome = { ok: true; result: unknown } | { ok: false; error: string };

/**
 * What Lambda does with a batch after the function returns, with ReportBatchItemFailures on
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html): a failed invocation or
 * a response it cannot read fails the whole batch; an empty or absent `batchItemFailures` deletes every
 * message; otherwise every message but the listed ones is deleted. An itemIdentifier that is null, empty
 * or not a message of this batch fails the whole batch.
 */
export function messagesToDelete(batch: { messageId: string }[], outcome: InvokeOutcome): { delete: string[]; problem?: string } {
  if (!outcome.ok) return { delete: [], problem: `the invocation failed: ${outcome.error}` };
  const failures = (outcome.result as { batchItemFailures?: unknown } | null)?.batchItemFailures;
  if (failures === undefined || failures === null) return { delete: batch.map((message) => message.messageId) };
  if (!Array.isArray(failures)) return { delete: [], problem: "batchItemFailures is not a list" };
  const ids = new Set(batch.map((message) => message.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || !ids.has(id))
      return { delete: [], problem: `batchItemFailures names ${JSON.stringify(id)}, not a message of this batch` };
    failed.add(id);
  }
  return { delete: [...ids].filter((id) => !failed.has(id)) };
}

/** A record as the event source mapping delivers it. */
function recordOf(queue: LocalQueue, message: ReceivedMessage): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentTimestamp),
      SenderId: "AROALOCAL:apigateway",
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.attributes).map(([name, value]) => [
        name,
        { stringValue: value, stringListValues: [], binaryListValues: [], dataType: "String" },
      ]),
    ),
    md5OfBody: createHash("md5").update(message.body).digest("hex"),
    eventSource: "aws:sqs",
    eventSourceARN: queue.arn,
    awsRegion: "us-east-1",
  };
}

/**
 * Lambda's SQS poller for one queue and one function: it waits up to the batching window for a full
 * batch (or 6 MB), invokes with at most `maximumConcurrency` batches in flight, and deletes what the
 * response says succeeded; everything else comes back after the visibility timeout. Returns a stop
 * function that waits for the batches in flight.
 */
export function startEventSourceMapping(
  queue: LocalQueue,
  settings: EventSourceMappingSettings,
  invoke: (event: SQSEvent) => Promise<InvokeOutcome>,
  log: (line: string) => void,
): { stop(): Promise<void> } {
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let windowTimer: NodeJS.Timeout | undefined;
  let windowOpen = false;

  const runBatch = (messages: ReceivedMessage[]) => {
    const event: SQSEvent = { Records: messages.map((message) => recordOf(queue, message)) };
    const run = invoke(event)
      .catch((error: unknown): InvokeOutcome => ({ ok: false, error: String(error) }))
      .then((outcome) => {
        const { delete: ids, problem } = messagesToDelete(event.Records, outcome);
        for (const message of messages) if (ids.includes(message.messageId)) queue.delete(message.receiptHandle);
        if (problem)
          log(`batch of ${messages.length}: ${problem}; ${messages.length - ids.length} message(s) return after the visibility timeout`);
      })
      .finally(() => {
        inFlight.delete(run);
        poll();
      });
    inFlight.add(run);
  };

  const poll = () => {
    while (!stopped && inFlight.size < settings.maximumConcurrency) {
      const { visible } = queue.counts();
      if (visible === 0) return;
      if (visible < settings.batchSize && settings.batchingWindowSeconds > 0 && !windowOpen) {
        if (!windowTimer) {
          windowTimer = setTimeout(() => {
            windowTimer = undefined;
            windowOpen = true;
            poll();
            windowOpen = false;
          }, settings.batchingWindowSeconds * 1000);
        }
        return;
      }
      clearTimeout(windowTimer);
      windowTimer = undefined;
      const messages = queue.receive(settings.batchSize, INVOKE_LIMITS.requestResponseBytes);
      if (messages.length === 0) return;
      runBatch(messages);
    }
  };

  // Woken when a message becomes visible, and polling every second besides, as Lambda's pollers poll
  // all the time: a missed wake-up can delay a message by a second, never strand it.
  queue.on("visible", poll);
  const polling = setInterval(poll, POLL_INTERVAL_MS).unref();
  poll();
  return {
    async stop() {
      stopped = true;
      clearTimeout(windowTimer);
      clearInterval(polling);
      queue.off("visible", poll);
      await Promise.all(inFlight);
    },
  };
}
