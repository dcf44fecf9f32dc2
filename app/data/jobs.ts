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

const COLUMNS = `id, owner, type, input, status, result, error, attempts,
  created_at AS "createdAt", updated_at AS "updatedAt", started_at AS "startedAt", finished_at AS "finishedAt"`;

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
  const { rows } = await db.query<Job>(
    `INSERT INTO jobs AS existing (id, owner, type, input, status, attempts, started_at)
     SELECT id, owner, type, input, 'running', 1, now() FROM jsonb_to_recordset($1) AS claim(id text, owner text, type text, input jsonb)
     ON CONFLICT (id) DO UPDATE SET status = 'running', attempts = existing.attempts + 1, started_at = now(), updated_at = now()
       WHERE existing.owner = excluded.owner AND existing.status IN ('queued', 'running')
     RETURNING ${COLUMNS}`,
    [JSON.stringify(jobs)],
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

/**
 * Stores the result. Returns the job only to the call that finished it: a second call (a redelivered
 * message) gets undefined, so its caller knows not to notify anyone again.
 */
export async function completeJob(db: Queryable, id: string, result: unknown): Promise<Job | undefined> {
  return finish(db, id, "succeeded", JSON.stringify(result), null);
}

/** Records why the job failed; like completeJob, returns the job only to the call that finished it. */
export async function failJob(db: Queryable, id: string, reason: string): Promise<Job | undefined> {
  return finish(db, id, "failed", null, reason);
}

async function finish(db: Queryable, id: string, status: JobStatus, result: string | null, error: string | null) {
  const { rows } = await db.query<Job>(
    `UPDATE jobs SET status = $2, result = $3, error = $4, finished_at = now(), updated_at = now()
     WHERE id = $1 AND status IN ('queued', 'running') RETURNING ${COLUMNS}`,
    [id, status, result, error],
  );
  return rows[0];
}

/** The job, if it exists and belongs to `owner`; another owner's job is indistinguishable from none. */
export async function getJob(db: Queryable, id: string, owner: string): Promise<Job | undefined> {
  const { rows } = await db.query<Job>(`SELECT ${COLUMNS} FROM jobs WHERE id = $1 AND owner = $2`, [id, owner]);
  return rows[0];
}
