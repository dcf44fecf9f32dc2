import type { APIGatewayProxyEventV2WithJWTAuthorizer } from "aws-lambda";
import { strict as assert } from "node:assert";
import { completeJob, createJob } from "../../app/data/jobs";
import { applyMigrations, readMigrations } from "../../app/data/migrations";
import { createPool, DatabasePool } from "../../app/data/pool";
import { jobStatusResponse } from "../../app/jobs/job-status-response";
import { startPostgres, superuserPool, TestPostgres } from "../embedded-postgres";
import { bodyOf, httpEvent } from "./api-gateway-event";
import { createServer, type Socket } from "node:net";
import { appFunctions } from "../../app/functions";

/** GET /jobs/{id} as the HTTP API delivers it behind its JWT authorizer. */
function getJobEvent(id: string, sub?: string, method = "GET"): APIGatewayProxyEventV2WithJWTAuthorizer {
  const event = httpEvent({ method, path: `/jobs/${id}`, routeKey: "GET /jobs/{id}" });
  return {
    ...event,
    pathParameters: { id },
    requestContext: {
      ...event.requestContext,
      authorizer: {
        principalId: "",
        integrationLatency: 0,
        jwt: { claims: sub === undefined ? {} : { sub, iss: "https://issuer.example" }, scopes: [] },
      },
    },
  };
}

describe("GET /jobs/{id} (real PostgreSQL)", function () {
  this.timeout(60_000);
  let postgres: TestPostgres;
  let db: DatabasePool;

  before(async () => {
    postgres = await startPostgres();
    await postgres.createDatabase("app");
    db = superuserPool(postgres, "app");
    await applyMigrations(db, readMigrations("app/migrations"));
    await createJob(db, { id: "JzQ9AhW2oAMEVhA=", owner: "alice", type: "primes", input: { max: 1000 } });
    await completeJob(db, "JzQ9AhW2oAMEVhA=", { max: 1000, count: 168 });
  });
  after(async () => {
    await db?.end();
    await postgres?.stop();
  });

  it("gives the owner the job with its result", async () => {
    const response = await jobStatusResponse(db, getJobEvent("JzQ9AhW2oAMEVhA=", "alice"));
    assert.equal(response.statusCode, 200);
    const job = bodyOf(response);
    assert.deepEqual([job.id, job.status, job.result, job.error], ["JzQ9AhW2oAMEVhA=", "succeeded", { max: 1000, count: 168 }, null]);
    assert.match(job.finishedAt, /^\d{4}-\d\d-\d\dT/);
  });

  it("answers anyone else 404, exactly as for a job that does not exist", async () => {
    const other = await jobStatusResponse(db, getJobEvent("JzQ9AhW2oAMEVhA=", "mallory"));
    const missing = await jobStatusResponse(db, getJobEvent("Nope0000000000=", "mallory"));
    assert.equal(other.statusCode, 404);
    assert.equal(missing.statusCode, 404);
    assert.match(bodyOf(other).error, /^No job JzQ9AhW2oAMEVhA= of yours/);
  });

  it("answers 400 for a malformed id, naming it", async () => {
    const response = await jobStatusResponse(db, getJobEvent("../../etc", "alice"));
    assert.equal(response.statusCode, 400);
    assert.match(bodyOf(response).error, /^Invalid path\.id: must be a job id .* got "\.\.\/\.\.\/etc"/);
  });

  it("answers 401 without a usable subject, and 405 to another method", async () => {
    assert.equal((await jobStatusResponse(db, getJobEvent("JzQ9AhW2oAMEVhA="))).statusCode, 401);
    for (const sub of ["", "  ", "a\u0000b", "x".repeat(100_000), "\ud800"]) {
      const response = await jobStatusResponse(db, getJobEvent("JzQ9AhW2oAMEVhA=", sub));
      assert.equal(response.statusCode, 401, JSON.stringify(sub.slice(0, 10)));
      assert.ok(String(response.body).length < 300, "the subject is not echoed back");
    }
    assert.equal((await jobStatusResponse(db, getJobEvent("JzQ9AhW2oAMEVhA=", "alice", "DELETE"))).statusCode, 405);
  });

  describe("while the database is unavailable", () => {
    const unavailable = async (port: number) => {
      const pool = createPool({
        host: "127.0.0.1",
        port,
        database: "app",
        user: "app_user",
        password: async () => "x",
        tls: false,
        idleTimeoutMs: 10_000,
      });
      const started = Date.now();
      try {
        const response = await jobStatusResponse(pool, getJobEvent("JzQ9AhW2oAMEVhA=", "alice"));
        return { response, elapsedMs: Date.now() - started };
      } finally {
        await pool.end();
      }
    };

    it("answers 503 with Retry-After when the connection is refused", async () => {
      const closed = createServer();
      await new Promise<void>((done) => closed.listen(0, "127.0.0.1", () => done()));
      const port = (closed.address() as { port: number }).port;
      await new Promise((done) => closed.close(done));
      const { response } = await unavailable(port);
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers?.["retry-after"], "5");
      assert.match(bodyOf(response).error, /^The job store is unavailable; try again in 5 seconds\.$/);
    });

    it("answers 503 inside the function's 10 s timeout when the database accepts but never answers", async () => {
      const accepted: Socket[] = [];
      const silent = createServer((socket) => void accepted.push(socket));
      await new Promise<void>((done) => silent.listen(0, "127.0.0.1", () => done()));
      try {
        const { response, elapsedMs } = await unavailable((silent.address() as { port: number }).port);
        assert.equal(response.statusCode, 503);
        const functionTimeoutMs = appFunctions["get-job"].timeout * 1000;
        assert.ok(elapsedMs < functionTimeoutMs - 1000, `answered in ${elapsedMs} ms, inside the ${functionTimeoutMs} ms timeout`);
        assert.equal(accepted.length, 1, "one connect attempt, not a retry");
      } finally {
        for (const socket of accepted) socket.destroy();
        silent.close();
      }
    });
  });
});
