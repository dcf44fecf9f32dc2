import type { Context } from "aws-lambda";
import { strict as assert } from "node:assert";
import { createServer, IncomingMessage, Server } from "node:http";
import { getJob } from "../../app/data/jobs";
import { ensureLoginRole } from "../../app/data/login-role";
import { applyMigrations, readMigrations } from "../../app/data/migrations";
import { createPool, DatabasePool } from "../../app/data/pool";
import { connectionNotifier, managementClient } from "../../app/jobs/connection-notifier";
import { sqsWorker } from "../../app/jobs/sqs-worker";
import { scramSha256Verifier } from "../../components/postgres-password";
import { startPostgres, superuserPool, TestPostgres } from "../embedded-postgres";
import { TcpRelay } from "../tcp-relay";
import { sqsEvent, sqsRecord } from "./sqs-event";

/** API Gateway's @connections management endpoint, on 127.0.0.1: records posts; some connections are gone. */
class ConnectionsEndpoint {
  readonly posts: { connectionId: string; message: any; signed: boolean }[] = [];
  readonly gone = new Set<string>();
  onPost?: () => void;
  private readonly server: Server = createServer(async (request: IncomingMessage, response) => {
    const match = /^\/test\/@connections\/([^/]+)$/.exec(request.url ?? "");
    let body = "";
    for await (const chunk of request) body += chunk;
    if (request.method !== "POST" || !match) return void response.writeHead(404).end();
    const connectionId = decodeURIComponent(match[1]);
    if (this.gone.has(connectionId)) {
      return void response.writeHead(410, { "content-type": "application/json", "x-amzn-errortype": "GoneException" }).end("{}");
    }
    this.posts.push({
      connectionId,
      message: JSON.parse(body),
      signed: String(request.headers.authorization).startsWith("AWS4-HMAC-SHA256"),
    });
    response.writeHead(200).end();
    this.onPost?.();
  });
  url = "";
  listen(): Promise<void> {
    return new Promise((done) =>
      this.server.listen(
        0,
        "127.0.0.1",
        () => ((this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/test`), done()),
      ),
    );
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}

describe("worker: SQS -> PostgreSQL -> WebSocket connection (real PostgreSQL, local @connections endpoint)", function () {
  this.timeout(60_000);
  const context = { functionName: "worker", awsRequestId: "test" } as Context;
  const saved = { ...process.env };
  let postgres: TestPostgres;
  let relay: TcpRelay;
  let db: DatabasePool;
  let connections: ConnectionsEndpoint;
  let worker: ReturnType<typeof sqsWorker>;
  let sequence = 0;
  const logs: Record<string, unknown>[] = [];
  const metrics: { name: string; value: number; reason?: string }[] = [];

  before(async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_REGION: "us-east-1" });
    postgres = await startPostgres();
    await postgres.createDatabase("app");
    const admin = superuserPool(postgres, "app");
    await applyMigrations(admin, readMigrations("app/migrations"));
    await ensureLoginRole(admin, { name: "app_user", passwordVerifier: scramSha256Verifier("worker-test-password"), memberOf: "app_rw" });
    await admin.end();
    // The worker connects as the app's least-privileged user, through a relay the tests can cut.
    relay = await new TcpRelay(postgres).listen();
    db = createPool({
      host: "127.0.0.1",
      port: relay.port,
      database: "app",
      user: "app_user",
      password: async () => "worker-test-password",
      tls: false,
      idleTimeoutMs: 10_000,
      connectTimeoutMs: 1000,
    });
    connections = new ConnectionsEndpoint();
    await connections.listen();
    const client = managementClient(connections.url, "us-east-1", 1);
    worker = sqsWorker({
      db,
      notifier: connectionNotifier(client),
      log: (entry) => void logs.push(entry),
      metric: (name, value = 1, reason) => void metrics.push({ name, value, reason }),
    });
  });
  after(async () => {
    await db?.end();
    await relay?.close();
    await connections?.close();
    await postgres?.stop();
    process.env = saved;
  });
  beforeEach(() => {
    connections.posts.length = 0;
    connections.onPost = undefined;
  });

  const job = (body: unknown, attributes: { connectionId?: string; owner?: string; jobId?: string } = {}) =>
    sqsRecord(typeof body === "string" ? body : JSON.stringify(body), {
      jobId: `job-${++sequence}`,
      owner: "alice",
      connectionId: `conn-${sequence}`,
      ...attributes,
    });
  const idOf = (record: ReturnType<typeof job>) => record.messageAttributes.jobId.stringValue!;

  it("runs each job, stores its result, and posts it to the submitter's connection (signed)", async () => {
    const primes = job({ action: "submit", type: "primes", input: { max: 1000 } });
    const echo = job({ type: "echo", input: { hello: "world" } });
    assert.deepEqual(await worker(sqsEvent([primes, echo]), context), { batchItemFailures: [] });

    const stored = await getJob(db, idOf(primes), "alice");
    assert.equal(stored?.status, "succeeded");
    assert.deepEqual({ ...(stored?.result as object), elapsedMs: 0 }, { max: 1000, count: 168, elapsedMs: 0 });
    assert.equal(stored?.attempts, 1);
    assert.deepEqual((await getJob(db, idOf(echo), "alice"))?.result, { echo: { hello: "world" } });

    // Notifications go out in parallel: compare them in submission order.
    const posts = [...connections.posts].sort((a, b) => Number(a.connectionId.slice(5)) - Number(b.connectionId.slice(5)));
    assert.deepEqual(
      posts.map((post) => [post.connectionId, post.message.jobId, post.message.status, post.signed]),
      [
        [primes.messageAttributes.connectionId.stringValue, idOf(primes), "succeeded", true],
        [echo.messageAttributes.connectionId.stringValue, idOf(echo), "succeeded", true],
      ],
    );
    assert.equal(posts[0].message.result.count, 168);
  });

  it("records an invalid job as failed with the reason, tells the client, and does not retry it", async () => {
    const tooBig = job({ type: "primes", input: { max: 60_000_000 } });
    const unknownType = job({ type: "mine-bitcoin", input: {} });
    const notJson = job("{not json");
    assert.deepEqual(await worker(sqsEvent([tooBig, unknownType, notJson]), context), { batchItemFailures: [] });

    const failures = await Promise.all([tooBig, unknownType, notJson].map(async (record) => (await getJob(db, idOf(record), "alice"))!));
    assert.deepEqual(
      failures.map((failed) => [failed.status, failed.error]),
      [
        ["failed", "input.max must be at most 50000000, got 60000000"],
        ["failed", 'type must be "primes" or "echo", got "mine-bitcoin"'],
        ["failed", failures[2].error],
      ],
    );
    assert.match(failures[2].error!, /^body is not valid JSON: /);
    assert.deepEqual(failures[2].input, { raw: "{not json" });
    const told = new Map(connections.posts.map((post) => [post.message.jobId, [post.message.status, post.message.error]]));
    assert.deepEqual(
      failures.map((failed) => told.get(failed.id)),
      failures.map((failed) => ["failed", failed.error]),
    );
  });

  it("gives every hostile record its own outcome: one bad job never costs another job of its batch", async () => {
    const good = job({ type: "primes", input: { max: 100 } });
    const deep = `{"type":"echo","input":${"[".repeat(3000)}${"]".repeat(3000)}}`;
    const invalid = {
      nullBody: job("null"),
      array: job("[1,2]"),
      hugeNumber: job('{"type":"echo","input":1e400}'),
      nul: job('{"type":"echo","input":"a\\u0000b"}'),
      loneSurrogate: job('{"type":"echo","input":"\\ud800"}'),
      loneSurrogateKey: job('{"type":"echo","input":{"\\udc00":1}}'),
      deep: job(deep),
      oversized: job(JSON.stringify({ type: "echo", input: "x".repeat(70_000) })),
      wrongTypes: job({ type: ["primes"], input: "max" }),
      hugeMax: job(`{"type":"primes","input":{"max":${"9".repeat(5000)}}}`),
      emptyBody: job(""),
    };
    const echoNull = job({ type: "echo", input: null });
    const unattributed = {
      noAttributes: { ...job({ type: "echo" }), messageAttributes: undefined as never },
      longOwner: job({ type: "echo" }, { owner: "o".repeat(300) }),
      nulOwner: job({ type: "echo" }, { owner: "al\u0000ice" }),
      blankOwner: job({ type: "echo" }, { owner: "   " }),
      longJobId: job({ type: "echo" }, { jobId: "j".repeat(200) }),
    };
    const records = [good, ...Object.values(invalid), echoNull, ...Object.values(unattributed), job({ type: "echo", input: "last" })];
    const response = await worker(sqsEvent(records), { ...context, getRemainingTimeInMillis: () => 60_000 });

    assert.deepEqual(
      response.batchItemFailures.map((failure) => failure.itemIdentifier).sort(),
      Object.values(unattributed)
        .map((record) => record.messageId)
        .sort(),
      "only the records that name no usable job and owner go back to the queue (and on to the DLQ)",
    );
    assert.equal((await getJob(db, idOf(good), "alice"))?.status, "succeeded");
    assert.deepEqual((await getJob(db, idOf(echoNull), "alice"))?.result, { echo: null });
    const reasons: Record<string, RegExp> = {
      nullBody: /^body must be a JSON object/,
      array: /^body must be a JSON object/,
      hugeNumber: /^body\.input is a number too large for JSON/,
      nul: /^body\.input holds a NUL character/,
      loneSurrogate: /^body\.input holds an unpaired UTF-16 surrogate/,
      loneSurrogateKey: /^a key in body\.input holds an unpaired UTF-16 surrogate/,
      deep: /nests deeper than 32 levels/,
      oversized: /^body is \d+ bytes; a job may be at most 65536$/,
      wrongTypes: /^type must be "primes" or "echo", got \["primes"\]$/,
      hugeMax: /^body\.input\.max is a number too large for JSON/,
      emptyBody: /^body is not valid JSON/,
    };
    for (const [name, record] of Object.entries(invalid)) {
      const stored = await getJob(db, idOf(record), "alice");
      assert.equal(stored?.status, "failed", name);
      assert.match(stored!.error!, reasons[name], name);
      assert.ok(stored!.error!.length < 400, `${name}: the reason is short enough to read`);
    }
    const notified = new Map(connections.posts.map((post) => [post.message.jobId, post.message.status]));
    for (const record of [good, echoNull, ...Object.values(invalid)])
      assert.ok(notified.has(idOf(record)), "every stored job's client is told");
  });

  it("keeps the largest allowed job's notification inside a WebSocket frame (128 KB: https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html)", async () => {
    const largest = job(JSON.stringify({ type: "echo", input: "é".repeat(32_000) })); // 64,027 bytes, just under the 64 KiB bound
    assert.deepEqual(await worker(sqsEvent([largest]), context), { batchItemFailures: [] });
    const [post] = connections.posts.filter((candidate) => candidate.message.jobId === idOf(largest));
    assert.equal(post.message.status, "succeeded");
    assert.ok(Buffer.byteLength(JSON.stringify(post.message)) < 128 * 1024);
  });

  /**
   * A worker whose database refuses, as PostgreSQL would (with its SQLSTATE), every statement starting
   * with `statement` that carries a row `refuses` picks; everything else goes to the real database.
   */
  const refusingWorker = (statement: string, refuses: (row: Record<string, string>) => boolean, message: string, code: string) =>
    sqsWorker({
      db: {
        query: async (text, values) => {
          const rows = text.trimStart().startsWith(statement) ? (JSON.parse(String(values?.[0])) as Record<string, string>[]) : [];
          if (rows.some(refuses)) throw Object.assign(new Error(message), { code });
          return db.query(text, values);
        },
      },
      notifier: connectionNotifier(managementClient(connections.url, "us-east-1", 1)),
    });

  it("sets apart a job whose row PostgreSQL refuses, and completes the rest of the batch", async () => {
    const poisoned = job({ type: "echo", input: "refused by the database" });
    const others = [job({ type: "echo", input: 1 }), job({ type: "echo", input: 2 })];
    // Whatever slips past validation: the statement that carries the poisoned job fails as PostgreSQL fails it.
    const refusing = refusingWorker(
      "INSERT INTO jobs",
      (row) => row.id === idOf(poisoned) && row.type !== "unknown",
      "unsupported Unicode escape sequence",
      "22P05",
    );
    assert.deepEqual(await refusing(sqsEvent([others[0], poisoned, others[1]]), context), { batchItemFailures: [] });
    for (const record of others) assert.equal((await getJob(db, idOf(record), "alice"))?.status, "succeeded");
    const stored = await getJob(db, idOf(poisoned), "alice");
    assert.deepEqual([stored?.status, stored?.error], ["failed", "the job could not be stored: unsupported Unicode escape sequence"]);
  });

  it("records a result PostgreSQL refuses as that job's failure, and stores the rest of the batch", async () => {
    const poisoned = job({ type: "echo", input: "result refused" });
    const others = [job({ type: "echo", input: 3 }), job({ type: "echo", input: 4 })];
    const refusing = refusingWorker(
      "UPDATE jobs AS job",
      (row) => row.id === idOf(poisoned) && row.status === "succeeded",
      "total size of jsonb object elements exceeds the maximum",
      "54000",
    );
    assert.deepEqual(await refusing(sqsEvent([poisoned, ...others]), context), { batchItemFailures: [] });
    for (const record of others) assert.equal((await getJob(db, idOf(record), "alice"))?.status, "succeeded");
    const stored = await getJob(db, idOf(poisoned), "alice");
    assert.deepEqual(
      [stored?.status, stored?.error],
      ["failed", "the result could not be stored: total size of jsonb object elements exceeds the maximum"],
    );
  });

  it("keeps notifications inside the function's time: a management endpoint that never answers costs no job", async () => {
    const silent = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", () => done()));
    try {
      const endpoint = `http://127.0.0.1:${(silent.address() as { port: number }).port}/test`;
      const hanging = sqsWorker({
        db,
        notifier: connectionNotifier(managementClient(endpoint, "us-east-1")),
        log: (entry) => void logs.push(entry),
      });
      const records = [job({ type: "echo", input: "a" }), job({ type: "echo", input: "b" })];
      const started = Date.now();
      const response = await hanging(sqsEvent(records), { ...context, getRemainingTimeInMillis: () => 2500 });
      const elapsed = Date.now() - started;
      assert.deepEqual(response, { batchItemFailures: [] });
      assert.ok(elapsed < 2500, `returned within the function's remaining time (${elapsed} ms)`);
      for (const record of records) assert.equal((await getJob(db, idOf(record), "alice"))?.status, "succeeded");
      assert.ok(logs.some((entry) => entry.jobId === idOf(records[0]) && String(entry.message).startsWith("job notification failed")));
    } finally {
      silent.closeAllConnections();
      await new Promise((done) => silent.close(done));
    }
  });

  it("processes a redelivered message once: one result, one notification", async () => {
    const record = job({ type: "echo", input: 1 });
    await worker(sqsEvent([record]), context);
    const first = await getJob(db, idOf(record), "alice");
    assert.deepEqual(await worker(sqsEvent([record, { ...record, messageId: "redelivered" }]), context), { batchItemFailures: [] });
    assert.equal(connections.posts.length, 1, "notified once");
    assert.deepEqual(await getJob(db, idOf(record), "alice"), first, "the stored job is unchanged");
  });

  it("counts what became of each job and notification: completed, failed by reason, retried, delivered, gone; and each job's duration", async () => {
    metrics.length = 0;
    const good = job({ type: "echo", input: 1 });
    const invalid = job({ type: "mine-bitcoin" });
    const gone = job({ type: "echo", input: 2 }, { connectionId: "conn-gone-2" });
    connections.gone.add("conn-gone-2");
    const stranger = job({ type: "echo" }, { jobId: "" }); // not from our APIs: left for retry, then the DLQ
    const response = await worker(sqsEvent([good, invalid, gone, stranger]), context);
    assert.deepEqual(response.batchItemFailures, [{ itemIdentifier: stranger.messageId }]);
    const count = (name: string, reason?: string) =>
      metrics.filter((metric) => metric.name === name && metric.reason === reason).reduce((sum, metric) => sum + metric.value, 0);
    assert.deepEqual(
      {
        completed: count("JobsCompleted"),
        invalid: count("JobsFailed", "invalid"),
        error: count("JobsFailed", "error"),
        retried: count("JobsRetried"),
        delivered: count("NotificationsDelivered"),
        gone: count("NotificationsGone"),
        failed: count("NotificationsFailed"),
      },
      { completed: 2, invalid: 1, error: 0, retried: 1, delivered: 2, gone: 1, failed: 0 },
    );
    const durations = metrics.filter((metric) => metric.name === "JobDuration").map((metric) => metric.value);
    assert.equal(durations.length, 3, "one per finished job");
    assert.ok(
      durations.every((ms) => ms >= 0 && ms < 60_000),
      JSON.stringify(durations),
    );
  });

  it("treats a gone connection (410) as normal: the result is stored for GET /jobs/{id}", async () => {
    const record = job({ type: "echo", input: "late" }, { connectionId: "conn-gone" });
    connections.gone.add("conn-gone");
    assert.deepEqual(await worker(sqsEvent([record]), context), { batchItemFailures: [] });
    assert.equal((await getJob(db, idOf(record), "alice"))?.status, "succeeded");
    assert.ok(logs.some((entry) => entry.jobId === idOf(record) && entry.delivery === "gone"));
  });

  it("answers nobody for a job submitted over HTTP (no connection), and still stores it", async () => {
    const record = job({ type: "echo", input: "http" }, { connectionId: undefined });
    delete record.messageAttributes.connectionId;
    assert.deepEqual(await worker(sqsEvent([record]), context), { batchItemFailures: [] });
    assert.equal((await getJob(db, idOf(record), "alice"))?.status, "succeeded");
    assert.equal(connections.posts.length, 0);
  });

  it("reports exactly the records whose results could not be stored, and completes them on redelivery", async () => {
    const done = job({ type: "echo", input: "finished earlier" });
    await worker(sqsEvent([done]), context);
    connections.posts.length = 0;
    // The database goes away after the batch is claimed, before its results are stored.
    const flaky = sqsWorker({
      db: { query: (text, values) => (text.startsWith("UPDATE jobs AS job") && relay.cut(), db.query(text, values)) },
      notifier: connectionNotifier(managementClient(connections.url, "us-east-1", 1)),
    });
    const records = [1, 2, 3].map((n) => job({ type: "echo", input: n }));
    const response = await flaky(sqsEvent([...records, { ...done, messageId: "redelivered-finished-job" }]), context);
    relay.restore();
    assert.deepEqual(
      response.batchItemFailures,
      records.map((record) => ({ itemIdentifier: record.messageId })),
      "not the finished job's redelivery",
    );
    assert.equal(connections.posts.length, 0, "nobody is told about a result that was not stored");
    for (const record of records) assert.equal((await getJob(db, idOf(record), "alice"))?.status, "running");

    assert.deepEqual(await worker(sqsEvent(records), context), { batchItemFailures: [] });
    for (const record of records) {
      const stored = await getJob(db, idOf(record), "alice");
      assert.deepEqual([stored?.status, stored?.attempts], ["succeeded", 2]);
    }
    assert.deepEqual(connections.posts.map((post) => post.message.result.echo).sort(), [1, 2, 3], "each notified exactly once");
  });

  it("runs a job delivered twice in one batch once", async () => {
    const record = job({ type: "echo", input: "twice" });
    assert.deepEqual(await worker(sqsEvent([record, { ...record, messageId: "same-job-again" }]), context), { batchItemFailures: [] });
    assert.equal(connections.posts.length, 1);
    assert.equal((await getJob(db, idOf(record), "alice"))?.attempts, 1);
  });

  it("fails the whole invocation when the database is down before the batch is claimed, so SQS retries it all", async () => {
    const records = [job({ type: "echo", input: "a" }), job({ type: "echo", input: "b" })];
    relay.cut();
    try {
      await assert.rejects(worker(sqsEvent(records), context), /terminated|ECONNRESET|could not be reached/i);
    } finally {
      relay.restore();
    }
    assert.deepEqual(await worker(sqsEvent(records), context), { batchItemFailures: [] });
    assert.equal(connections.posts.length, 2);
  });

  it("leaves a message without our attributes to SQS (and the DLQ), instead of guessing its owner", async () => {
    const stray = sqsRecord(JSON.stringify({ type: "echo" }), {});
    const response = await worker(sqsEvent([stray, job({ type: "echo" })]), context);
    assert.deepEqual(response.batchItemFailures, [{ itemIdentifier: stray.messageId }]);
  });
});
