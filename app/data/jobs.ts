import type { Queryable } from "./queryable";

export type JobStatus = "queued" | "running" | "succeeded" | "failed";

export interface Job {
  id: string;
  owner: string;
  type: string;
  input: unknown;
  status: JobStatus;
  result: unknown;
  error: string | null;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface NewJob {
  id: string;
  owner: string;
  type: string;
  input: unknown;
}

/** The job id exists and belongs to someone else. */
export class JobOwnershipError extends Error {
  override readonly name = "JobOwnershipError";
}

/** The columns of a Job, from `table` (an alias, when the statement joins another relation). */
const columns = (table = "jobs") =>
  ["id", "owner", "type", "input", "status", "result", "error", "attempts"].map((column) => `${table}.${column}`).join(", ") +
  `, ${table}.created_at AS "createdAt", ${table}.updated_at AS "updatedAt", ${table}.started_at AS "startedAt", ${table}.finished_at AS "finishedAt"`;
const COLUMNS = columns();

/**
 * Records a job unless its id is already recorded (a redelivered message, or a second submitter
 * racing the first): the first caller creates it, every caller gets the same row back.
 */
export async function createJob(db: Queryable, job: NewJob): Promise<{ job: Job; created: boolean }> {
  const inserted = await db.query<Job>(
    `INSERT INTO jobs (id, owner, type, input) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
    [job.id, job.owner, job.type, JSON.stringify(job.input)],
  );
  if (inserted.rows.length > 0) return { job: inserted.rows[0], created: true };
  const existing = await getJob(db, job.id, job.owner);
  if (!existing) throw new JobOwnershipError(`Job ${job.id} already exists and belongs to another owner`);
  return { job: existing, created: false };
}

/**
 * Claims a batch of jobs in one statement: records the new ones as running (first attempt) and marks
 * the unfinished ones running again (one more attempt). Returns the claimed jobs by id; a job that has
 * already finished, or whose id belongs to another owner, is not claimed. Ids must be distinct.
 */
export async function claimJobs(db: Queryable, jobs: NewJob[]): Promise<Map<string, Job>> {
  if (jobs.length === 0) return new Map();
  // jsonb_array_elements, not jsonb_to_recordset: the latter turns a JSON null input into SQL NULL.
  const { rows } = await db.query<Job>(
    `INSERT INTO jobs AS existing (id, owner, type, input, status, attempts, started_at)
     SELECT claim->>'id', claim->>'owner', claim->>'type', coalesce(claim->'input', 'null'::jsonb), 'running', 1, now()
       FROM jsonb_array_elements($1::jsonb) AS claim
     ON CONFLICT (id) DO UPDATE SET status = 'running', attempts = existing.attempts + 1, started_at = now(), updated_at = now()
       WHERE existing.owner = excluded.owner AND existing.status IN ('queued', 'running')
     RETURNING ${columns("existing")}`,
    [JSON.stringify(jobs.map((job) => ({ ...job, input: job.input ?? null })))],
  );
  return new Map(rows.map((job) => [job.id, job]));
}

/** Marks a job running and counts the attempt; undefined when it has already finished. */
export async function markJobRunning(db: Queryable, id: string): Promise<Job | undefined> {
  const { rows } = await db.query<Job>(
    `UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = now(), updated_at = now()
     WHERE id = $1 AND status IN ('queued', 'running') RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0];
}

/** How a job ended: its result, or why it failed. */
export type JobOutcome = { id: string; status: "succeeded"; result: unknown } | { id: string; status: "failed"; error: string };

/**
 * Records how jobs ended, in one statement. Returns, by id, only the jobs this call finished: a job that
 * had already finished (a redelivered message) is left as it was and not returned, so its caller knows
 * not to notify anyone again. Ids must be distinct.
 */
export async function finishJobs(db: Queryable, outcomes: JobOutcome[]): Promise<Map<string, Job>> {
  if (outcomes.length === 0) return new Map();
  const rows = outcomes.map((outcome) =>
    outcome.status === "succeeded"
      ? { id: outcome.id, status: outcome.status, result: outcome.result ?? null }
      : { id: outcome.id, status: outcome.status, error: outcome.error },
  );
  const { rows: finished } = await db.query<Job>(
    `UPDATE jobs AS job SET status = outcome->>'status', result = outcome->'result', error = outcome->>'error', finished_at = now(), updated_at = now()
     FROM jsonb_array_elements($1::jsonb) AS outcome
     WHERE job.id = outcome->>'id' AND job.status IN ('queued', 'running')
     RETURNING ${columns("job")}`,
    [JSON.stringify(rows)],
  );
  return new Map(finished.map((job) => [job.id, job]));
}

/** Stores the result; returns the job only to the call that finished it (see finishJobs). */
export async function completeJob(db: Queryable, id: string, result: unknown): Promise<Job | undefined> {
  return (await finishJobs(db, [{ id, status: "succeeded", result }])).get(id);
}

/** Records why the job failed; like completeJob, returns the job only to the call that finished it. */
export async function failJob(db: Queryable, id: string, reason: string): Promise<Job | undefined> {
  return (await finishJobs(db, [{ id, status: "failed", error: reason }])).get(id);
}

/** The job, if it exists and belongs to `owner`; another owner's job is indistinguishable from none. */
export async function getJob(db: Queryable, id: string, owner: string): Promise<Job | undefined> {
  const { rows } = await db.query<Job>(`SELECT ${COLUMNS} FROM jobs WHERE id = $1 AND owner = $2`, [id, owner]);
  return rows[0];
}
