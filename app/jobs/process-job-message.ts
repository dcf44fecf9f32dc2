import { setMaxListeners } from "node:events";
import { JOB_ID, parseJob, runJob, type ParsedJob } from "../core/job-types";
import { principalProblem } from "../core/principal";
import { isDataError } from "../data/data-error";
import { claimJobs, finishJobs, type Job, type JobOutcome, type NewJob } from "../data/jobs";
import type { Queryable } from "../data/queryable";
import { NOTIFICATION_METRIC, type RecordMetric } from "../observability/metric-catalogue";

/** One queued job as the API integrations send it: the client's body plus attributes they set themselves. */
export interface JobMessage {
  /** The client's request body, e.g. {"action": "submit", "type": "primes", "input": {"max": 1000}}. */
  body: unknown;
  /** The API request id. */
  jobId?: string;
  /** The authenticated principal (the token's `sub`). */
  owner?: string;
  /** The WebSocket connection to answer on; none for a job submitted over HTTP. */
  connectionId?: string;
  /** When the job was queued (ms since the epoch; SQS's SentTimestamp). */
  sentAt?: number;
}

/** Delivers a message to a WebSocket connection; "gone" when the client has disconnected. */
export interface Notifier {
  notify(connectionId: string, message: unknown, signal: AbortSignal): Promise<"delivered" | "gone">;
}

/** What became of a message that does not go back to the queue. */
export type Outcome = "completed" | "invalid" | "already-finished";

/** A message without usable attributes of our API integrations: it did not come through them. */
export class UnattributedMessageError extends Error {
  override readonly name = "UnattributedMessageError";
}

export interface WorkerDependencies {
  db: Queryable;
  notifier: Notifier;
  log?: (entry: Record<string, unknown>) => void;
  metric?: RecordMetric;
}

/** A job of the batch, as its message asks for it. */
type JobRequest = { id: string; owner: string; parsed: ParsedJob };
/** A job of the batch this invocation may process, with its parsed request. */
type Claim = { job: Job; parsed: ParsedJob };

/** Why a message's attributes cannot name a job and its owner, or undefined when they can. */
function attributionProblem({ jobId, owner }: JobMessage): string | undefined {
  if (typeof jobId !== "string" || !JOB_ID.test(jobId)) return "its jobId attribute is missing or not an API Gateway request id";
  const problem = principalProblem(owner);
  return problem && `its owner attribute ${problem}`;
}

/**
 * Claims every job of a batch in one statement (records new ones as running; finished ones are not
 * claimed). If PostgreSQL refuses the statement because of one row's data, each job is claimed on its
 * own, so that row costs only its own job: it is recorded as failed with the reason, or, if even that is
 * refused, left for retry (and the DLQ). A connection fault throws: the whole batch is retried.
 */
async function claimBatch(db: Queryable, requests: Map<string, JobRequest>): Promise<Map<string, Claim | Error>> {
  const newJob = ({ id, owner, parsed }: JobRequest): NewJob => ({
    id,
    owner,
    type: parsed.ok ? parsed.job.type : parsed.type,
    input: parsed.ok ? parsed.job.input : parsed.input,
  });
  const claims = new Map<string, Claim | Error>();
  try {
    const claimed = await claimJobs(db, [...requests.values()].map(newJob));
    for (const [id, job] of claimed) claims.set(id, { job, parsed: requests.get(id)!.parsed });
    return claims;
  } catch (error) {
    if (!isDataError(error)) throw error;
  }
  for (const request of requests.values()) {
    try {
      const job = (await claimJobs(db, [newJob(request)])).get(request.id);
      if (job) claims.set(request.id, { job, parsed: request.parsed });
    } catch (error) {
      if (!isDataError(error)) {
        claims.set(request.id, error as Error);
        continue;
      }
      const parsed: ParsedJob = {
        ok: false,
        reason: `the job could not be stored: ${(error as Error).message}`,
        type: "unknown",
        input: null,
      };
      try {
        const job = (await claimJobs(db, [newJob({ ...request, parsed })])).get(request.id);
        if (job) claims.set(request.id, { job, parsed });
      } catch (fallbackError) {
        claims.set(request.id, fallbackError as Error);
      }
    }
  }
  return claims;
}

/**
 * Records every outcome in one statement; if PostgreSQL refuses it because of one outcome's data, each
 * is recorded on its own, and an outcome that is refused is recorded as a failure that says why. Returns,
 * per job id, the job this call finished, or the error that keeps it unfinished (for retry).
 */
async function finishBatch(db: Queryable, outcomes: JobOutcome[]): Promise<Map<string, Job | Error>> {
  try {
    return await finishJobs(db, outcomes);
  } catch (error) {
    if (!isDataError(error)) return new Map(outcomes.map((outcome) => [outcome.id, error as Error]));
  }
  const finished = new Map<string, Job | Error>();
  for (const outcome of outcomes) {
    try {
      let job: Job | undefined;
      try {
        job = (await finishJobs(db, [outcome])).get(outcome.id);
      } catch (error) {
        if (!isDataError(error)) throw error;
        job = (
          await finishJobs(db, [{ id: outcome.id, status: "failed", error: `the result could not be stored: ${(error as Error).message}` }])
        ).get(outcome.id);
      }
      if (job) finished.set(outcome.id, job);
    } catch (error) {
      finished.set(outcome.id, error as Error);
    }
  }
  return finished;
}

function outcomeOf(id: string, parsed: ParsedJob): JobOutcome {
  if (!parsed.ok) return { id, status: "failed", error: parsed.reason };
  try {
    return { id, status: "succeeded", result: runJob(parsed.job) };
  } catch (error) {
    return { id, status: "failed", error: `the job failed: ${(error as Error).message}` };
  }
}

/**
 * Processes a batch: claims its jobs (one statement), runs them, records every outcome (one more
 * statement), then tells each client whose job this call finished, before `deadline` (ms since the epoch).
 * Returns, per message, what became of it, or the error that should send it back to SQS:
 * - an invalid job (whatever its body: not JSON, too large, too deep, characters PostgreSQL cannot store)
 *   is stored as failed with the reason (and the client told); it is not retried;
 * - a redelivered message of a finished job (or the same job twice in one batch) is "already-finished":
 *   no second result, no second notification;
 * - a job whose claim or outcome cannot be stored gets that error, so SQS retries exactly it, and the
 *   other jobs of the batch complete;
 * - a message without usable jobId/owner attributes gets UnattributedMessageError (it did not come
 *   through our APIs, and nobody could read its failure): SQS retries it, then parks it in the DLQ.
 * If the database cannot be reached for the claim, this throws: the whole batch is retried.
 */
export async function processJobBatch(
  messages: JobMessage[],
  deps: WorkerDependencies,
  deadline = Number.POSITIVE_INFINITY,
): Promise<(Outcome | Error)[]> {
  const requests = new Map<string, JobRequest>();
  for (const message of messages) {
    if (attributionProblem(message) === undefined && !requests.has(message.jobId!)) {
      requests.set(message.jobId!, { id: message.jobId!, owner: message.owner!, parsed: parseJob(message.body) });
    }
  }
  const claims = await claimBatch(deps.db, requests);
  const outcomes = [...claims].flatMap(([id, claim]) => (claim instanceof Error ? [] : [outcomeOf(id, claim.parsed)]));
  const finished = await finishBatch(deps.db, outcomes);

  const announced = new Set<string>();
  const notifications: Promise<void>[] = [];
  const signal = AbortSignal.timeout(Math.max(0, Math.min(deadline - Date.now(), 2 ** 31 - 1)));
  setMaxListeners(messages.length + 10, signal); // one abort listener per pending post
  const results = messages.map((message): Outcome | Error => {
    const problem = attributionProblem(message);
    if (problem)
      return new UnattributedMessageError(
        `The message cannot be a job: ${problem}. The API integrations always set them; it is left to go to the DLQ for inspection.`,
      );
    const claim = claims.get(message.jobId!);
    if (claim instanceof Error) return claim;
    if (!claim) return "already-finished";
    const job = finished.get(message.jobId!);
    if (job instanceof Error) return job;
    if (!job || announced.has(job.id)) return "already-finished";
    announced.add(job.id);
    const durationMs = message.sentAt === undefined ? undefined : Math.max(0, Date.now() - message.sentAt);
    const reason = job.status === "succeeded" ? undefined : claim.parsed.ok ? "error" : "invalid";
    deps.log?.({ message: "job finished", jobId: job.id, type: job.type, status: job.status, reason, durationMs });
    if (reason) deps.metric?.("JobsFailed", 1, reason);
    else deps.metric?.("JobsCompleted");
    if (durationMs !== undefined) deps.metric?.("JobDuration", durationMs);
    if (message.connectionId) notifications.push(notify(deps, message.connectionId, job, signal));
    return claim.parsed.ok ? "completed" : "invalid";
  });
  await Promise.all(notifications);
  return results;
}

/**
 * Tells the client, if it is still connected and there is time. The result is already stored, so neither
 * a gone client nor a failed or late post is a reason to retry the message: the client can always
 * GET /jobs/{id}.
 */
async function notify(deps: WorkerDependencies, connectionId: string, job: Job, signal: AbortSignal): Promise<void> {
  const message = { jobId: job.id, status: job.status, result: job.result ?? undefined, error: job.error ?? undefined };
  try {
    const delivery = await deps.notifier.notify(connectionId, message, signal);
    deps.log?.({ message: "job notification", jobId: job.id, delivery });
    deps.metric?.(NOTIFICATION_METRIC[delivery]);
  } catch (error) {
    deps.log?.({ message: "job notification failed; the result stays retrievable", jobId: job.id, error: String(error) });
    deps.metric?.(NOTIFICATION_METRIC.failed);
  }
}
