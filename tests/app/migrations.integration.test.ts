import { strict as assert } from "node:assert";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { applyMigrations, MigrationError, readMigrations } from "../../app/data/migrations";
import { createPool, DatabasePool } from "../../app/data/pool";
import { startPostgres, TestPostgres } from "../embedded-postgres";

describe("migrations (against a real PostgreSQL)", function () {
  this.timeout(60_000);
  let postgres: TestPostgres;
  const pools: DatabasePool[] = [];
  let databaseCount = 0;

  before(async () => (postgres = await startPostgres()));
  after(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await postgres?.stop();
  });

  function poolFor(database: string): DatabasePool {
    const { host, port, user, password } = postgres;
    const pool = createPool({ host, port, database, user, password: async () => password, tls: false, idleTimeoutMs: 10_000 });
    pools.push(pool);
    return pool;
  }

  /** A pool on a new, empty database. */
  const emptyDatabase = async () => poolFor(await postgres.createDatabase(`migrations_${++databaseCount}`));

  function migrationsDir(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), "migrations-"));
    copyFileSync("app/migrations/0001_jobs.sql", join(dir, "0001_jobs.sql"));
    for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
    return dir;
  }

  const tables = async (db: DatabasePool) =>
    (await db.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map(
      (row) => row.name,
    );

  it("applies the app's migrations to an empty database and records them", async () => {
    const db = await emptyDatabase();
    const report = await applyMigrations(db, readMigrations("app/migrations"));
    assert.deepEqual(report, { applied: ["0001_jobs.sql"], alreadyApplied: [] });
    assert.deepEqual(await tables(db), ["jobs", "schema_migrations"]);
    const columns = (
      await db.query<{ name: string }>("SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'jobs'")
    ).rows.map((row) => row.name);
    for (const column of [
      "id",
      "owner",
      "type",
      "input",
      "status",
      "result",
      "error",
      "attempts",
      "created_at",
      "updated_at",
      "started_at",
      "finished_at",
    ]) {
      assert.ok(columns.includes(column), `jobs.${column}`);
    }
  });

  it("is a no-op when run again, and applies only what is new", async () => {
    const db = await emptyDatabase();
    await applyMigrations(db, readMigrations("app/migrations"));
    assert.deepEqual(await applyMigrations(db, readMigrations("app/migrations")), { applied: [], alreadyApplied: ["0001_jobs.sql"] });
    const dir = migrationsDir({ "0002_job_notes.sql": "ALTER TABLE jobs ADD COLUMN note text;" });
    try {
      assert.deepEqual(await applyMigrations(db, readMigrations(dir)), {
        applied: ["0002_job_notes.sql"],
        alreadyApplied: ["0001_jobs.sql"],
      });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("applies each migration once when two runs race (two deploys at once)", async () => {
    const database = await postgres.createDatabase("migrations_race");
    const [first, other] = [poolFor(database), poolFor(database)];
    const reports = await Promise.all([
      applyMigrations(first, readMigrations("app/migrations")),
      applyMigrations(other, readMigrations("app/migrations")),
    ]);
    assert.deepEqual(reports.map((report) => report.applied.length).sort(), [0, 1]);
    assert.equal((await first.query("SELECT * FROM schema_migrations")).rowCount, 1);
  });

  it("leaves the database unchanged when a migration fails, and names the file", async () => {
    const db = await emptyDatabase();
    await applyMigrations(db, readMigrations("app/migrations"));
    const dir = migrationsDir({ "0002_broken.sql": "CREATE TABLE audit (id int);\nSELEC oops;" });
    try {
      await assert.rejects(applyMigrations(db, readMigrations(dir)), (error: Error) => {
        assert.ok(error instanceof MigrationError);
        assert.match(error.message, /^Migration 0002_broken\.sql failed at character \d+: syntax error at or near "SELEC"/);
        assert.match(error.message, /Nothing of it was applied/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true });
    }
    assert.deepEqual(await tables(db), ["jobs", "schema_migrations"], "the table created before the error was rolled back");
    assert.deepEqual((await db.query("SELECT name FROM schema_migrations")).rows, [{ name: "0001_jobs.sql" }]);
  });

  it("refuses a migration that was edited after it was applied", async () => {
    const db = await emptyDatabase();
    await applyMigrations(db, readMigrations("app/migrations"));
    const [jobs] = readMigrations("app/migrations");
    await assert.rejects(
      applyMigrations(db, [{ ...jobs, sql: `${jobs.sql}\n-- edited`, checksum: "edited" }]),
      /Migration 0001_jobs\.sql was changed after it was applied/,
    );
  });

  it("refuses a .sql file that is not named NNNN_name.sql instead of skipping it", () => {
    const dir = migrationsDir({ "2_fix.sql": "SELECT 1;" });
    try {
      assert.throws(() => readMigrations(dir), /2_fix\.sql in .*: migration files are named NNNN_what_it_does\.sql/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("works on a plain pg Client connection too (the runner needs only query)", async () => {
    const database = await postgres.createDatabase("migrations_client");
    const client = new Client(postgres.clientConfig(database));
    await client.connect();
    try {
      const report = await applyMigrations({ withConnection: (work) => work(client) }, readMigrations("app/migrations"));
      assert.deepEqual(report.applied, ["0001_jobs.sql"]);
    } finally {
      await client.end();
    }
  });
});
