import { parseJob, runJob, type ParsedJob } from "../core/job-types";
import { claimJobs, finishJobs, type Job, type JobOutcome } from "../data/jobs";
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

/** What became of a message that does not go back to the queue. */
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
type ClaimedJobs = Map<string, { job: Job; parsed: ParsedJob }>;

/**
 * Claims every job of a batch in one statement (records new ones as running; finished ones are not
 * claimed). If the database is unavailable this throws, and the whole batch is retried.
 */
async function claimJobMessages(db: Queryable, messages: JobMessage[]): Promise<ClaimedJobs> {
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
 * Processes a batch: claims its jobs (one statement), runs them, records every outcome (one more
 * statement), then tells each client whose job this call finished. Returns, per message, what became of
 * it, or the error that should send it back to SQS:
 * - an invalid job is stored as failed with the reason (and the client told); it is not retried;
 * - a redelivered message of a finished job (or the same job twice in one batch) is "already-finished":
 *   no second result, no second notification;
 * - if the outcomes cannot be stored (database unavailable), every message whose job is still unfinished
 *   gets that error, so SQS retries exactly those;
 * - a message without our attributes gets UnattributedMessageError (it did not come through our APIs).
 * If the claim itself fails, this throws: the whole batch is retried.
 */
export async function processJobBatch(messages: JobMessage[], deps: WorkerDependencies): Promise<(Outcome | Error)[]> {
  const claims = await claimJobMessages(deps.db, messages);
  const outcomes: JobOutcome[] = [...claims].map(([id, { parsed }]) => {
    if (!parsed.ok) return { id, status: "failed", error: parsed.reason };
    try {
      return { id, status: "succeeded", result: runJob(parsed.job) };
    } catch (error) {
      return { id, status: "failed", error: `the job failed: ${(error as Error).message}` };
    }
  });
  let finished: Map<string, Job> | Error;
  try {
    finished = await finishJobs(deps.db, outcomes);
  } catch (error) {
    finished = error as Error;
  }
  const announced = new Set<string>();
  const results: (Outcome | Error)[] = [];
  for (const { jobId, owner, connectionId } of messages) {
    if (!jobId || !owner) {
      results.push(
        new UnattributedMessageError("The message has no jobId/owner attributes, which the API integrations always set; it is left to go to the DLQ for inspection."),
      );
      continue;
    }
    const claim = claims.get(jobId);
    if (!claim) {
      results.push("already-finished");
      continue;
    }
    if (finished instanceof Error) {
      results.push(finished);
      continue;
    }
    const job = finished.get(jobId);
    if (!job || announced.has(jobId)) {
      results.push("already-finished");
      continue;
    }
    announced.add(jobId);
    await notify(deps, connectionId, job);
    results.push(claim.parsed.ok ? "completed" : "invalid");
  }
  return results;
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
