import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { inTransaction, type Queryable, type TransactionRunner } from "./queryable";

/** One versioned SQL file: `0001_jobs.sql` and so on, applied in name order. */
export interface Migration {
  name: string;
  sql: string;
  /** sha256 of the file, recorded when applied; a changed file is refused. */
  checksum: string;
}

const MIGRATION_FILE = /^\d{4}_[a-z0-9_]+\.sql$/;

/** A migration failed or cannot be applied; the message names the file. */
export class MigrationError extends Error {
  override readonly name = "MigrationError";
}

/** Reads the migrations in `dir`, in order. Any other .sql file name is an error, not silently skipped. */
export function readMigrations(dir: string): Migration[] {
  const files = readdirSync(dir)
    .filter((file) => file.endsWith(".sql"))
    .sort();
  const misnamed = files.filter((file) => !MIGRATION_FILE.test(file));
  if (misnamed.length > 0) {
    throw new MigrationError(
      `${misnamed.join(", ")} in ${dir}: migration files are named NNNN_what_it_does.sql (four digits, lower case), for example 0002_add_job_index.sql`,
    );
  }
  return files.map((name) => {
    const sql = readFileSync(join(dir, name), "utf8");
    return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
  });
}

/**
 * Serialises concurrent runs (two deploys at once). A transaction-level lock: it ends with the
 * transaction, so it never pins an RDS Proxy connection the way a session-level lock would.
 */
const LOCK = "SELECT pg_advisory_xact_lock(4707201893)";

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  name text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
}

/**
 * Applies each migration not yet recorded in `schema_migrations`, in order, each in its own
 * transaction together with its record: a migration is either wholly applied and recorded or not at
 * all. Safe to run any number of times. (So a migration cannot use statements that refuse to run in
 * a transaction, such as CREATE INDEX CONCURRENTLY.)
 */
export async function applyMigrations(database: TransactionRunner, migrations: Migration[]): Promise<MigrationReport> {
  await inTransaction(database, async (connection) => {
    await connection.query(LOCK);
    await connection.query(MIGRATIONS_TABLE);
  });
  const report: MigrationReport = { applied: [], alreadyApplied: [] };
  for (const migration of migrations) {
    const applied = await inTransaction(database, (connection) => applyOne(connection, migration));
    (applied ? report.applied : report.alreadyApplied).push(migration.name);
  }
  return report;
}

async function applyOne(connection: Queryable, migration: Migration): Promise<boolean> {
  await connection.query(LOCK);
  const { rows } = await connection.query<{ checksum: string }>("SELECT checksum FROM schema_migrations WHERE name = $1", [migration.name]);
  if (rows.length > 0) {
    if (rows[0].checksum !== migration.checksum) {
      throw new MigrationError(
        `Migration ${migration.name} was changed after it was applied. Applied migrations are history: ` +
          "restore the file and put the change in a new migration.",
      );
    }
    return false;
  }
  try {
    await connection.query(migration.sql);
  } catch (error) {
    const { message, position } = error as { message: string; position?: string };
    throw new MigrationError(
      `Migration ${migration.name} failed${position ? ` at character ${position}` : ""}: ${message}. ` +
        "Nothing of it was applied (it runs in one transaction); fix the file and deploy again.",
    );
  }
  await connection.query("INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", [migration.name, migration.checksum]);
  return true;
}
