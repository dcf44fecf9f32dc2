import { strict as assert } from "node:assert";
import { claimJobs, completeJob, createJob, failJob, finishJobs, getJob, JobOwnershipError, markJobRunning } from "../../app/data/jobs";
import { ensureLoginRole } from "../../app/data/login-role";
import { applyMigrations, readMigrations } from "../../app/data/migrations";
import { createPool, DatabasePool } from "../../app/data/pool";
import { scramSha256Verifier } from "../../components/postgres-password";
import { startPostgres, TestPostgres } from "../embedded-postgres";

describe("jobs repository and the app's login role (against a real PostgreSQL)", function () {
  this.timeout(60_000);
  let postgres: TestPostgres;
  let admin: DatabasePool;
  const database = "jobs";
  const appUser = { name: "app_user", password: "Nq3vH8xw2LpT6zYc4RbK9mJe5sAd7fGu" };
  const connect = (user: string, password: string, db = database) =>
    createPool({
      host: postgres.host,
      port: postgres.port,
      database: db,
      user,
      password: async () => password,
      tls: false,
      idleTimeoutMs: 10_000,
    });

  before(async () => {
    postgres = await startPostgres();
    await postgres.createDatabase(database);
    admin = connect(postgres.user, postgres.password);
    await applyMigrations(admin, readMigrations("app/migrations"));
  });
  after(async () => {
    await admin?.end();
    await postgres?.stop();
  });

  const job = (id: string, owner = "alice") => ({ id, owner, type: "primes", input: { max: 1000 } });

  describe("repository", () => {
    it("creates a queued job and reads it back, for its owner", async () => {
      const { job: created, created: isNew } = await createJob(admin, job("job-1"));
      assert.equal(isNew, true);
      assert.equal(created.status, "queued");
      assert.deepEqual(created.input, { max: 1000 });
      assert.equal(created.attempts, 0);
      assert.ok(created.createdAt instanceof Date);
      assert.deepEqual(await getJob(admin, "job-1", "alice"), created);
    });

    it("is idempotent on the job id: a second create returns the same job, unchanged", async () => {
      const first = await createJob(admin, job("job-2"));
      const second = await createJob(admin, { ...job("job-2"), input: { max: 5 } });
      assert.equal(second.created, false);
      assert.deepEqual(second.job, first.job);
    });

    it("creates exactly once when two callers race on two connections", async () => {
      const [one, two] = [connect(postgres.user, postgres.password), connect(postgres.user, postgres.password)];
      try {
        for (let round = 0; round < 20; round++) {
          const results = await Promise.all([createJob(one, job(`race-${round}`)), createJob(two, job(`race-${round}`))]);
          assert.deepEqual(results.map((result) => result.created).sort(), [false, true], `round ${round}`);
          assert.deepEqual(results[0].job, results[1].job);
        }
      } finally {
        await Promise.all([one.end(), two.end()]);
      }
    });

    it("keeps owners apart: another owner gets nothing, and cannot take the id", async () => {
      await createJob(admin, job("job-3", "alice"));
      assert.equal(await getJob(admin, "job-3", "mallory"), undefined);
      await assert.rejects(createJob(admin, job("job-3", "mallory")), JobOwnershipError);
      assert.equal((await getJob(admin, "job-3", "alice"))?.owner, "alice");
    });

    it("runs, completes once, and ignores what comes after completion (redelivery)", async () => {
      await createJob(admin, job("job-4"));
      const running = await markJobRunning(admin, "job-4");
      assert.equal(running?.status, "running");
      assert.equal(running?.attempts, 1);
      assert.ok(running?.startedAt instanceof Date);
      assert.equal((await markJobRunning(admin, "job-4"))?.attempts, 2, "a retry counts another attempt");

      const done = await completeJob(admin, "job-4", { count: 168 });
      assert.equal(done?.status, "succeeded");
      assert.deepEqual(done?.result, { count: 168 });
      assert.ok(done?.finishedAt instanceof Date);

      assert.equal(await completeJob(admin, "job-4", { count: 0 }), undefined, "a second completion changes nothing");
      assert.equal(await failJob(admin, "job-4", "late failure"), undefined);
      assert.equal(await markJobRunning(admin, "job-4"), undefined);
      assert.deepEqual((await getJob(admin, "job-4", "alice"))?.result, { count: 168 });
    });

    it("fails with a reason, once", async () => {
      await createJob(admin, job("job-5"));
      const failed = await failJob(admin, "job-5", "input.max must be at most 50000000");
      assert.equal(failed?.status, "failed");
      assert.equal(failed?.error, "input.max must be at most 50000000");
      assert.equal(failed?.result, null);
      assert.equal(await failJob(admin, "job-5", "again"), undefined);
      assert.equal(await completeJob(admin, "job-5", {}), undefined);
    });

    it("claims a batch in one statement: new jobs start running, unfinished ones run again, finished and foreign ones are left alone", async () => {
      await createJob(admin, job("claim-queued"));
      await createJob(admin, job("claim-done"));
      await completeJob(admin, "claim-done", { ok: true });
      await createJob(admin, job("claim-foreign", "mallory"));
      const claimed = await claimJobs(admin, [job("claim-new"), job("claim-queued"), job("claim-done"), job("claim-foreign")]);
      assert.deepEqual([...claimed.keys()].sort(), ["claim-new", "claim-queued"]);
      assert.deepEqual([claimed.get("claim-new")!.status, claimed.get("claim-new")!.attempts], ["running", 1]);
      assert.deepEqual((await claimJobs(admin, [job("claim-new")])).get("claim-new")!.attempts, 2, "a redelivery counts another attempt");
      assert.equal((await getJob(admin, "claim-done", "alice"))?.status, "succeeded");
      assert.equal((await getJob(admin, "claim-foreign", "mallory"))?.status, "queued");
      assert.equal((await claimJobs(admin, [])).size, 0);
    });

    it("finishes a batch in one statement, returning only the jobs this call finished", async () => {
      await claimJobs(admin, [job("batch-ok"), job("batch-bad"), job("batch-done")]);
      await completeJob(admin, "batch-done", { first: true });
      const finished = await finishJobs(admin, [
        { id: "batch-ok", status: "succeeded", result: { n: 1 } },
        { id: "batch-bad", status: "failed", error: "input.max must be at least 1, got 0" },
        { id: "batch-done", status: "succeeded", result: { second: true } },
        { id: "batch-missing", status: "succeeded", result: {} },
      ]);
      assert.deepEqual([...finished.keys()].sort(), ["batch-bad", "batch-ok"]);
      assert.deepEqual(
        [finished.get("batch-ok")!.result, finished.get("batch-bad")!.error],
        [{ n: 1 }, "input.max must be at least 1, got 0"],
      );
      assert.deepEqual((await getJob(admin, "batch-done", "alice"))?.result, { first: true }, "a finished job keeps its first result");
    });

    it("answers undefined for a job that does not exist", async () => {
      assert.equal(await markJobRunning(admin, "nope"), undefined);
      assert.equal(await completeJob(admin, "nope", {}), undefined);
      assert.equal(await getJob(admin, "nope", "alice"), undefined);
    });
  });

  describe("login role", () => {
    it("logs in with the password whose verifier the stack computed, and not with another", async () => {
      assert.match(
        scramSha256Verifier(appUser.password),
        /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/,
      );
      assert.equal(scramSha256Verifier(appUser.password), scramSha256Verifier(appUser.password), "deterministic");
      assert.equal(
        await ensureLoginRole(admin, { name: appUser.name, passwordVerifier: scramSha256Verifier(appUser.password), memberOf: "app_rw" }),
        "created",
      );
      const app = connect(appUser.name, appUser.password);
      try {
        assert.deepEqual((await app.query("SELECT current_user AS user")).rows, [{ user: "app_user" }]);
      } finally {
        await app.end();
      }
      const wrong = connect(appUser.name, "not-the-password");
      await assert.rejects(wrong.query("SELECT 1"), /refused the login: password authentication failed for user "app_user"/);
      await wrong.end();
    });

    it("is idempotent, and updates the password when the verifier changes", async () => {
      const next = "Zt5rW2qLm8Xv3Nc6Hb9Kp4Jd7Fs1Ga0Q";
      assert.equal(
        await ensureLoginRole(admin, { name: appUser.name, passwordVerifier: scramSha256Verifier(next), memberOf: "app_rw" }),
        "updated",
      );
      const app = connect(appUser.name, next);
      await app.query("SELECT 1");
      await app.end();
      await ensureLoginRole(admin, { name: appUser.name, passwordVerifier: scramSha256Verifier(appUser.password), memberOf: "app_rw" });
    });

    it("has the app's privileges on jobs and nothing more", async () => {
      const app = connect(appUser.name, appUser.password);
      try {
        const { job: created } = await createJob(app, job("by-app"));
        assert.equal((await completeJob(app, created.id, { ok: true }))?.status, "succeeded");
        await assert.rejects(app.query("DELETE FROM jobs"), /permission denied for table jobs/);
        await assert.rejects(app.query("DROP TABLE jobs"), /must be owner of table jobs/);
        await assert.rejects(app.query("SELECT * FROM schema_migrations"), /permission denied for table schema_migrations/);
        await assert.rejects(app.query("CREATE TABLE mine (id int)"), /permission denied for schema public/);
      } finally {
        await app.end();
      }
    });

    it("refuses a plain password and names that are not simple identifiers", async () => {
      await assert.rejects(
        ensureLoginRole(admin, { name: "app_user", passwordVerifier: "hunter2", memberOf: "app_rw" }),
        /never a plain password/,
      );
      await assert.rejects(
        ensureLoginRole(admin, { name: 'x"; DROP TABLE jobs; --', passwordVerifier: scramSha256Verifier("p"), memberOf: "app_rw" }),
        /is not a role name this platform creates/,
      );
    });
  });
});
