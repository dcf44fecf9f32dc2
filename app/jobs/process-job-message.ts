import { parseJob, runJob, type ParsedJob } from "../core/job-types";
import { claimJobs, completeJob, failJob, type Job } from "../data/jobs";
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

/** The jobs of a batch this invocation may process, by job id, each with its parsed request. */
export type ClaimedJobs = Map<string, { job: Job; parsed: ParsedJob }>;

/**
 * Claims every job of a batch in one statement (records new ones as running; finished ones are not
 * claimed). If the database is unavailable this throws, and the whole batch is retried.
 */
export async function claimJobMessages(db: Queryable, messages: JobMessage[]): Promise<ClaimedJobs> {
  const requests = new Map<string, { owner: string; parsed: ParsedJob }>();
  for (const { jobId, owner, body } of messages) {
    if (jobId && owner && !requests.has(jobId)) requests.set(jobId, { owner, parsed: parseJob(body) });
  }
  const claimed = await claimJobs(
    db,
    [...requests].map(([id, { owner, parsed }]) => ({
      id,
      owner,
      type: parsed.ok ? parsed.job.type : parsed.type,
      input: parsed.ok ? parsed.job.input : parsed.input,
    })),
  );
  return new Map([...claimed].map(([id, job]) => [id, { job, parsed: requests.get(id)!.parsed }]));
}

/**
 * Finishes one claimed job: runs it, stores the result and notifies the client; an invalid job is
 * stored as failed with the reason (and the client told), not retried. Only the call that finishes a
 * job notifies, so a redelivered message never produces a second result or notification. A database
 * failure throws, so the caller reports this message for retry.
 */
export async function finishJobMessage(message: JobMessage, claims: ClaimedJobs, deps: WorkerDependencies): Promise<Outcome> {
  const { jobId, owner, connectionId } = message;
  if (!jobId || !owner) {
    throw new UnattributedMessageError(
      "The message has no jobId/owner attributes, which the API integrations always set; it is left to go to the DLQ for inspection.",
    );
  }
  const claim = claims.get(jobId);
  if (!claim) return "already-finished";
  const finished = claim.parsed.ok
    ? await completeJob(deps.db, jobId, runJob(claim.parsed.job))
    : await failJob(deps.db, jobId, claim.parsed.reason);
  if (!finished) return "already-finished"; // the same job twice in one batch: the first finished it
  await notify(deps, connectionId, finished);
  return claim.parsed.ok ? "completed" : "invalid";
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
