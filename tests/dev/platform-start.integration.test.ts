import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { Agent, get as httpGet } from "node:http";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { DEFAULT_POSTGRES_MAJOR, RDS_PROXY_POSTGRES_MAJORS } from "../../components/rds-names";
import { freePort, installedPostgresMajor } from "../../dev/postgres/embedded-postgres";
import { localEndpoints } from "../../dev/local-endpoints";
import { prepareStateFolder } from "../../dev/local-endpoints";
import { startLocalDatabase } from "../../dev/postgres/local-database";
import { startDevPlatform } from "../../dev/platform";
import { parseDevArguments } from "../../scripts/dev";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";

const FD_FIXTURE = join(__dirname, "fixtures", "platform-with-fds-exhausted.ts");

describe("npm run dev: what a newcomer gets when something is in the way", function () {
  this.timeout(120_000);
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), "dev-start-"));
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
    // A stack file kept elsewhere, as pulumi up --config-file takes one: read from where the shell is.
    const file = join(stateDir, "Pulumi.candidate.yaml");
    writeFileSync(file, "config: {}\n");
    assert.deepEqual(parseDevArguments(["--stack", "candidate", "--config-file", relative(process.cwd(), file)]), {
      port: 3000,
      stack: "candidate",
      configFile: file,
    });
    assert.throws(
      () => parseDevArguments(["--config-file", join(stateDir, "none.yaml")]),
      /--config-file .*none\.yaml: there is no such file/,
    );
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
    prepareStateFolder(stateDir); // as the platform does before it starts the database
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
  it("with no file descriptor left, a valid token is the gateway's 503, not the caller's 401; new connections end at once; it recovers", async function () {
    // The platform in a process of its own, under a low descriptor limit that the fixture then uses up.
    const child = spawn("bash", ["-c", 'ulimit -n 1024 && exec "$0" -r ts-node/register "$1"', process.execPath, FD_FIXTURE], {
      cwd: join(__dirname, "..", ".."),
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const replies: any[] = [];
    child.on("message", (message) => replies.push(message));
    const reply = async (key: string) => {
      for (let end = Date.now() + 60_000; Date.now() < end; await sleep(50)) {
        const found = replies.find((message) => key in message);
        if (found) return replies.splice(replies.indexOf(found), 1)[0];
        if (child.exitCode !== null) end = Math.min(end, Date.now() + 500); // a last message may follow the exit
      }
      throw new Error(`the platform's process did not answer ${key} (exit code ${child.exitCode})`);
    };
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const { apiUrl, token } = await reply("apiUrl");
      // One connection, opened while descriptors are free, kept alive for every request below.
      const status = (authorization?: string) =>
        new Promise<number>((done, fail) =>
          httpGet(`${apiUrl}/jobs/none`, { agent, headers: authorization ? { authorization } : {}, timeout: 40_000 }, (response) => {
            response.resume();
            response.on("end", () => done(response.statusCode!));
          })
            .on("timeout", () => fail(new Error("no answer within API Gateway's 30 s and a margin")))
            .on("error", fail),
        );
      assert.equal(await status(), 401, "no token: refused without fetching the issuer's keys");
      child.send("exhaust");
      assert.ok((await reply("exhausted")).exhausted > 0);
      assert.equal(await status(`Bearer ${token}`), 503, "the keys cannot be fetched: an outage, so the client retries");
      // A new connection is closed at once (Node accepts and closes it), not left without an answer.
      const fresh = await new Promise<string>((done) => {
        const socket = createConnection({ host: "127.0.0.1", port: Number(new URL(apiUrl).port) });
        socket.setTimeout(10_000, () => (socket.destroy(), done("no answer in 10 s")));
        socket.on("connect", () => socket.write("GET /jobs/none HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"));
        socket.on("data", (data) => (socket.destroy(), done(String(data).split("\r\n")[0])));
        socket.on("close", () => done("closed"));
        socket.on("error", (error) => done(`error ${(error as NodeJS.ErrnoException).code}`));
      });
      assert.notEqual(fresh, "no answer in 10 s");
      assert.doesNotMatch(fresh, / 401 /);
      child.send("release");
      await reply("released");
      assert.equal(await status(`Bearer ${token}`), 404, "descriptors free again: the token is accepted, the job is not there");
      agent.destroy();
      assert.equal(
        (await fetch(`${apiUrl}/jobs/none`, { headers: { authorization: `Bearer ${token}` } })).status,
        404,
        "and new connections are served",
      );
      child.send("stop");
      assert.match((await reply("logs")).logs, /issuer unavailable: .*EMFILE/, "the terminal says why");
    } finally {
      agent.destroy();
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
