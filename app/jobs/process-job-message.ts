import { parseJob, runJob } from "../core/job-types";
import { completeJob, createJob, failJob, markJobRunning, type Job } from "../data/jobs";
import type { Queryable } from "../data/queryable";

/** One queued job as the API integrations send it: the client's body plus attributes they set themselves. */
export interface JobMessage {
  /** The client's request body, e.g. {"action": "submit", "type": "primes", "input": {"max": 1000}}. */
  body: string;
  /** The API request id. */
  jobId?: string;
  /** The authenticated principal (the token's `sub`). */
  owner?: string;
  /** The WebSocket connection to answer on; none for a job submitted over HTTP. */
  connectionId?: string;
}

/** Delivers a message to a WebSocket connection; "gone" when the client has disconnected. */
export interface Notifier {
  notify(connectionId: string, message: unknown): Promise<"delivered" | "gone">;
}

/** What became of a message. */
export type Outcome = "completed" | "invalid" | "already-finished";

/** A message without the attributes our API integrations always set: it did not come through them. */
export class UnattributedMessageError extends Error {
  override readonly name = "UnattributedMessageError";
}

export interface WorkerDependencies {
  db: Queryable;
  notifier: Notifier;
  log?: (entry: Record<string, unknown>) => void;
}

/**
 * Processes one job message, idempotently on its job id: the first delivery records and runs the job,
 * stores the result and notifies the client; a redelivery of a finished job does nothing (no second
 * result, no second notification). An invalid job is recorded as failed with the reason and is not
 * retried. A database failure throws, so the caller reports the message for retry.
 */
export async function processJobMessage(message: JobMessage, deps: WorkerDependencies): Promise<Outcome> {
  const { jobId, owner, connectionId } = message;
  if (!jobId || !owner) {
    throw new UnattributedMessageError(
      "The message has no jobId/owner attributes, which the API integrations always set; it is left to go to the DLQ for inspection.",
    );
  }
  const parsed = parseJob(message.body);
  const { job } = await createJob(deps.db, {
    id: jobId,
    owner,
    type: parsed.ok ? parsed.job.type : parsed.type,
    input: parsed.ok ? parsed.job.input : parsed.input,
  });
  if (job.status === "succeeded" || job.status === "failed") return "already-finished";

  if (!parsed.ok) {
    const failed = await failJob(deps.db, jobId, parsed.reason);
    if (failed) await notify(deps, connectionId, failed);
    return "invalid";
  }
  await markJobRunning(deps.db, jobId);
  const completed = await completeJob(deps.db, jobId, runJob(parsed.job));
  if (completed) await notify(deps, connectionId, completed);
  return completed ? "completed" : "already-finished";
}

/**
 * Tells the client, if it is still connected. The result is already stored, so neither a gone client
 * nor a failed post is a reason to retry the message: the client can always GET /jobs/{id}.
 */
async function notify(deps: WorkerDependencies, connectionId: string | undefined, job: Job): Promise<void> {
  if (!connectionId) return;
  const message = { jobId: job.id, status: job.status, result: job.result ?? undefined, error: job.error ?? undefined };
  try {
    const delivery = await deps.notifier.notify(connectionId, message);
    deps.log?.({ message: "job notification", jobId: job.id, delivery });
  } catch (error) {
    deps.log?.({ message: "job notification failed; the result stays retrievable", jobId: job.id, error: String(error) });
  }
}
