import { strict as assert } from "node:assert";
import { createServer, Socket } from "node:net";
import pg from "pg";
import { databaseSettingsFromEnvironment } from "../../app/data/database-settings";
import { createPool, DatabaseConnectionError, PoolSettings } from "../../app/data/pool";
import { startPostgres, TestPostgres } from "../embedded-postgres";
import { TcpRelay } from "../tcp-relay";

describe("database pool (against a real PostgreSQL)", function () {
  this.timeout(60_000);
  let postgres: TestPostgres;
  let admin: pg.Client;

  before(async () => {
    postgres = await startPostgres();
    admin = new pg.Client(postgres.clientConfig());
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await postgres?.stop();
  });

  const settings = (overrides: Partial<PoolSettings> = {}): PoolSettings => ({
    host: postgres.host,
    port: postgres.port,
    database: "postgres",
    user: postgres.user,
    password: async () => postgres.password,
    tls: false,
    idleTimeoutMs: 60_000,
    ...overrides,
  });
  const backendPid = async (db: { query: pg.Pool["query"] | ReturnType<typeof createPool>["query"] }) =>
    (await (db.query as any)("SELECT pg_backend_pid() AS pid")).rows[0].pid as number;

  /** Kills a session the way RDS Proxy or a restart would, and waits (bounded) until it is gone. */
  async function terminate(pid: number): Promise<void> {
    await admin.query("SELECT pg_terminate_backend($1)", [pid]);
    for (let attempt = 0; attempt < 100; attempt++) {
      if ((await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid])).rowCount === 0) return;
      await new Promise((done) => setTimeout(done, 20));
    }
    throw new Error(`session ${pid} did not end`);
  }

  /** Runs `query` as a frozen environment would: the session dies while frozen, the query comes on thaw. */
  async function afterFrozenTermination<T>(relay: TcpRelay, pid: number, query: () => Promise<T>): Promise<T> {
    relay.freeze();
    await terminate(pid);
    const pending = query();
    setTimeout(() => relay.thaw(), 50);
    return pending;
  }

  it("asks the password function for each new physical connection, not for each query", async () => {
    let calls = 0;
    const pool = createPool(settings({ password: async () => (calls++, postgres.password) }));
    try {
      const pid = await backendPid(pool);
      await pool.query("SELECT 1");
      assert.equal(calls, 1, "one connection, reused");
      await terminate(pid);
      assert.notEqual(await backendPid(pool), pid);
      assert.equal(calls, 2, "a new connection, a new token");
    } finally {
      await pool.end();
    }
  });

  it("retries once, on a new connection, when the session was terminated while the environment was frozen", async () => {
    const relay = await new TcpRelay(postgres).listen();
    let calls = 0;
    const pool = createPool(settings({ port: relay.port, password: async () => (calls++, postgres.password) }));
    try {
      const pid = await backendPid(pool);
      const next = await afterFrozenTermination(relay, pid, () => backendPid(pool));
      assert.notEqual(next, pid);
      assert.equal(calls, 2);
    } finally {
      await pool.end();
      await relay.close();
    }
  });

  it("(control) without the retry, the same frozen termination fails the query", async () => {
    const relay = await new TcpRelay(postgres).listen();
    const plain = new pg.Pool({ ...settings({ port: relay.port }), max: 1 });
    plain.on("error", () => undefined);
    try {
      const pid = await backendPid(plain);
      await assert.rejects(
        afterFrozenTermination(relay, pid, () => backendPid(plain)),
        /terminat/i,
      );
    } finally {
      await plain.end();
      await relay.close();
    }
  });

  it("fails fast with a clear error for a wrong password, instead of retrying or hanging", async () => {
    const pool = createPool(settings({ password: async () => "wrong" }));
    const started = Date.now();
    await assert.rejects(pool.query("SELECT 1"), (error: Error) => {
      assert.ok(error instanceof DatabaseConnectionError);
      assert.match(
        error.message,
        /^PostgreSQL at 127\.0\.0\.1:\d+ \(database "postgres", user "postgres"\) refused the login: password authentication failed/,
      );
      assert.match(error.message, /rds-db:connect/);
      return true;
    });
    assert.ok(Date.now() - started < 5000);
    await pool.end();
  });

  it("gives up on a server that accepts but never answers, after the connect timeout", async () => {
    const accepted: Socket[] = [];
    const silent = createServer((socket) => void accepted.push(socket));
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", () => done()));
    const pool = createPool(settings({ port: (silent.address() as { port: number }).port, connectTimeoutMs: 300 }));
    const started = Date.now();
    await assert.rejects(pool.query("SELECT 1"), /could not be reached: .*timeout.*Check that the function runs in the database's subnets/);
    assert.ok(Date.now() - started < 3000);
    assert.equal(accepted.length, 1, "a connect timeout is not retried as if a frozen session had ended");
    await pool.end();
    for (const socket of accepted) socket.destroy();
    silent.close();
  });

  it("gives up on a statement that never answers after the query timeout, and the next statement gets a fresh connection", async () => {
    const pool = createPool(settings({ queryTimeoutMs: 300 }));
    try {
      const started = Date.now();
      await assert.rejects(
        pool.query("SELECT pg_sleep(5)"),
        (error: Error) => error instanceof DatabaseConnectionError && /did not answer within 300 ms/.test(error.message),
      );
      assert.ok(Date.now() - started < 2000);
      assert.equal((await pool.query("SELECT 1 AS one")).rows[0].one, 1);
    } finally {
      await pool.end();
    }
  });

  it("requires TLS when TLS is configured: no silent fallback to an unencrypted connection", async () => {
    const pool = createPool(settings({ tls: {} }));
    await assert.rejects(pool.query("SELECT 1"), /The server does not support SSL connections/);
    await pool.end();
  });
});

describe("database settings from a function's environment", () => {
  const environment = {
    DB_HOST: "graviton-db-proxy.proxy-abc123.us-east-1.rds.amazonaws.com",
    DB_PORT: "5432",
    DB_NAME: "app",
    DB_USER: "app_user",
    DB_IDLE_TIMEOUT_MS: "1620000",
    AWS_REGION: "us-east-1",
  };

  it("connects to the proxy with TLS and an IAM auth token signed locally for the user", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "session" });
    try {
      const settings = databaseSettingsFromEnvironment(environment);
      assert.deepEqual(
        {
          host: settings.host,
          port: settings.port,
          database: settings.database,
          user: settings.user,
          tls: settings.tls,
          idle: settings.idleTimeoutMs,
        },
        {
          host: environment.DB_HOST,
          port: 5432,
          database: "app",
          user: "app_user",
          tls: {},
          idle: 1_620_000,
        },
      );
      const token = await settings.password();
      assert.ok(token.startsWith(`${environment.DB_HOST}:5432/?Action=connect&DBUser=app_user&`), token);
      const query = new URLSearchParams(token.split("?")[1]);
      assert.equal(query.get("X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
      assert.match(query.get("X-Amz-Credential")!, /^AKIDEXAMPLE\/\d{8}\/us-east-1\/rds-db\/aws4_request$/);
      assert.equal(query.get("X-Amz-Expires"), "900");
      assert.equal(query.get("X-Amz-Security-Token"), "session");
      assert.match(query.get("X-Amz-Signature")!, /^[0-9a-f]{64}$/);
    } finally {
      process.env = saved;
    }
  });

  it("names every missing or malformed variable and where they come from", () => {
    assert.throws(
      () => databaseSettingsFromEnvironment({ ...environment, DB_HOST: undefined, DB_PORT: "five" }),
      /^Error: DB_HOST, DB_PORT are missing or malformed: .* from Database\.grantConnect in index\.ts\.$/,
    );
  });
});
