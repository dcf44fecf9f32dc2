import { strict as assert } from "node:assert";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_POSTGRES_MAJOR, RDS_PROXY_POSTGRES_MAJORS } from "../../components/rds-names";
import { freePort, installedPostgresMajor } from "../../dev/embedded-postgres";
import { localEndpoints } from "../../dev/local-endpoints";
import { startLocalDatabase } from "../../dev/local-database";
import { startDevPlatform } from "../../dev/platform";
import { parseDevArguments } from "../../scripts/dev";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";

describe("npm run dev: what a newcomer gets when something is in the way", function () {
  this.timeout(120_000);
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), "dev-start-"));
    chmodSync(stateDir, 0o755);
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it("refuses bad flags by name", () => {
    assert.deepEqual(parseDevArguments([]), { port: 3000, stack: "dev" });
    assert.deepEqual(parseDevArguments(["--port", "8080", "--stack", "prod"]), { port: 8080, stack: "prod" });
    for (const port of ["0", "65536", "80.5", "abc", "", "1e3", "3000\u0000"]) {
      assert.throws(() => parseDevArguments(["--port", port]), /--port must be a port number from 1 to 65535/, JSON.stringify(port));
    }
    for (const stack of ["../etc", "a b", "x".repeat(200)]) assert.throws(() => parseDevArguments(["--stack", stack]), /stack/i, stack);
    assert.throws(() => parseDevArguments(["--prot", "1"]), /Unknown option '--prot'/);
  });

  it("answers every request while it starts: 503 with Retry-After until ready (HTTP and WebSocket), never a hang", async () => {
    const port = await freePort();
    let ready = false;
    const starting = startDevPlatform({ port, stateDir, log: () => undefined }).finally(() => (ready = true));
    const answers: (number | string)[] = [];
    let upgradeRefused = "";
    // Bounded: at most 600 requests, each given 10 s (a hang fails it), until the platform says it is ready.
    for (let attempt = 0; attempt < 600 && !ready; attempt++) {
      const answer = await fetch(`http://127.0.0.1:${port}/jobs/x`, { signal: AbortSignal.timeout(10_000) }).then(
        (response) => (response.status === 503 ? `503 retry-after ${response.headers.get("retry-after")}` : response.status),
        (error: Error) => (error.name === "TimeoutError" ? "no answer in 10 s" : "refused"),
      );
      answers.push(answer);
      if (answer !== "refused" && !upgradeRefused && !ready)
        upgradeRefused = await new Promise<string>((done) => {
          const socket = new WebSocket(`ws://127.0.0.1:${port}/live`);
          socket.on("unexpected-response", (_request, response) => done(`${response.statusCode} ${response.headers["retry-after"]}`));
          socket.on("open", () => (socket.close(), done(ready ? "opened once ready" : "opened before ready")));
          socket.on("error", (error) => done(`error: ${error.message}`));
        });
      await sleep(50);
    }
    const platform = await starting;
    try {
      assert.ok(!answers.includes("no answer in 10 s"), answers.join(", "));
      assert.ok(answers.includes("503 retry-after 1"), `some request came while it started: ${answers.join(", ")}`);
      assert.ok(
        answers.every((answer) => ["503 retry-after 1", 401, "refused"].includes(answer)),
        answers.join(", "),
      );
      assert.ok(["503 1", "opened once ready"].includes(upgradeRefused), upgradeRefused);
      assert.equal((await fetch(`http://127.0.0.1:${port}/jobs/x`)).status, 401, "ready: the real answer");
    } finally {
      await platform.stop();
    }
  });

  it("runs the PostgreSQL major the stack deploys (the tests run the deployed default), and refuses another by name", async () => {
    assert.equal(installedPostgresMajor(), DEFAULT_POSTGRES_MAJOR);
    const other = RDS_PROXY_POSTGRES_MAJORS.find((major) => major !== installedPostgresMajor())!;
    await assert.rejects(
      startLocalDatabase(join(stateDir, "postgres"), await freePort(), { name: "app", adminUser: "postgres", engineVersion: `${other}.4` }),
      new RegExp(
        `The stack deploys PostgreSQL ${other} \\(database.engineVersion "${other}.4"\\), but the local database is PostgreSQL ${DEFAULT_POSTGRES_MAJOR}`,
      ),
    );
    const database = await startLocalDatabase(join(stateDir, "postgres"), await freePort(), {
      name: "app",
      adminUser: "postgres",
      engineVersion: DEFAULT_POSTGRES_MAJOR,
    });
    try {
      const client = await database.adminClient();
      const { rows } = await client.query("SHOW server_version_num");
      await client.end();
      assert.equal(String(Math.floor(Number(rows[0].server_version_num) / 10_000)), DEFAULT_POSTGRES_MAJOR);
    } finally {
      await database.stop();
    }
  });

  it("keeps queued jobs across a restart: every job posted while the database was down completes after the next start", async function () {
    // Long enough that a failed job is received once before the stop, and so comes back after it, not in the DLQ.
    const visibilityTimeoutSeconds = 5;
    const first = await startDevPlatform({ port: 0, stateDir, visibilityTimeoutSeconds, log: () => undefined });
    const ids: string[] = [];
    try {
      await first.database.stop();
      for (let index = 0; index < 20; index++) {
        const response = await fetch(`${first.endpoints.apiUrl}/jobs`, {
          method: "POST",
          headers: { authorization: `Bearer ${first.endpoints.token}` },
          body: JSON.stringify({ type: "echo", input: { index } }),
        });
        assert.equal(response.status, 202);
        ids.push(response.headers.get("x-job-id")!);
      }
    } finally {
      await first.stop();
    }
    const second = await startDevPlatform({ port: 0, stateDir, visibilityTimeoutSeconds, log: () => undefined });
    try {
      const config = second.config;
      // The longest the jobs may take: every receive running the worker to its timeout, a visibility timeout apart.
      const budgetMs = config.jobs.maxReceiveCount * (visibilityTimeoutSeconds + config.functionNamed.worker.timeout) * 1000 + 10_000;
      this.timeout(budgetMs + 60_000);
      const statusOf = async (id: string) =>
        (
          (await (
            await fetch(`${second.endpoints.apiUrl}/jobs/${id}`, { headers: { authorization: `Bearer ${second.endpoints.token}` } })
          ).json()) as any
        ).status;
      let statuses: string[] = [];
      for (const end = Date.now() + budgetMs; Date.now() < end; await sleep(200)) {
        statuses = [];
        for (const id of ids) statuses.push(await statusOf(id)); // one at a time: get-job runs 10 at most locally
        if (statuses.every((status) => status === "succeeded")) break;
      }
      assert.deepEqual(
        statuses,
        ids.map(() => "succeeded"),
      );
    } finally {
      await second.stop();
    }
  });

  it("says which port is taken and which to try, before starting anything", async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((done) => blocker.listen(port, "127.0.0.1", () => done()));
    try {
      await assert.rejects(
        startDevPlatform({ port, stateDir, log: () => undefined }),
        new RegExp(`Port ${port} on 127.0.0.1 is in use.*--port ${port + 1}`),
      );
    } finally {
      blocker.close();
    }
  });

  it("refuses to start twice on one state folder, and names a stale folder's lock and a changed migration", async () => {
    localEndpoints.write(stateDir, { pid: process.pid, pageUrl: "http://127.0.0.1:1/" } as never);
    await assert.rejects(startDevPlatform({ port: 0, stateDir, log: () => undefined }), /npm run dev is already running \(pid \d+/);
    localEndpoints.remove(stateDir);

    const platform = await startDevPlatform({ port: 0, stateDir, log: () => undefined });
    try {
      await assert.rejects(
        startLocalDatabase(join(stateDir, "postgres"), await freePort(), platform.config.database),
        /Another PostgreSQL \(pid \d+\) is using/,
      );
      const client = await platform.database.adminClient(platform.database.name);
      await client.query("UPDATE schema_migrations SET checksum = 'edited' WHERE name = '0001_jobs.sql'");
      await client.end();
    } finally {
      await platform.stop();
    }
    await assert.rejects(
      startDevPlatform({ port: 0, stateDir, log: () => undefined }),
      /The migrations failed, so nothing else was started: Migration 0001_jobs.sql was changed/,
    );
    assert.equal(localEndpoints.runningIn(stateDir), undefined, "nothing is left recorded as running");
  });
});
