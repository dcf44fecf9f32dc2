import { strict as assert } from "node:assert";
import { createServer, IncomingMessage, Server } from "node:http";
import { WebSocketServer } from "ws";
import { main } from "../../scripts/job";

/** A stand-in for the stack's WebSocket API on 127.0.0.1: token check on connect, ack, then the result. */
class FakeJobsApi {
  readonly received: any[] = [];
  result: (job: any, jobId: string) => object | undefined = (job, jobId) => ({ jobId, status: "succeeded", result: { max: job.input.max, count: 78498 } });
  private readonly server: Server = createServer();
  private readonly sockets = new WebSocketServer({ noServer: true });
  url = "";

  constructor() {
    this.server.on("upgrade", (request: IncomingMessage, socket, head) => {
      if (new URL(request.url!, "http://x").searchParams.get("token") !== "good-token") {
        socket.end("HTTP/1.1 401 Unauthorized\r\n\r\n");
        return;
      }
      this.sockets.handleUpgrade(request, socket, head, (ws) => {
        ws.on("message", (data) => {
          const job = JSON.parse(String(data));
          this.received.push(job);
          const jobId = `job-${this.received.length}`;
          ws.send(JSON.stringify({ jobId, status: "queued" }));
          ws.send(JSON.stringify({ jobId: "someone-elses-job", status: "succeeded", result: {} }));
          const result = this.result(job, jobId);
          if (result) setTimeout(() => ws.send(JSON.stringify(result)), 20);
        });
      });
    });
  }
  listen(): Promise<void> {
    return new Promise((done) => this.server.listen(0, "127.0.0.1", () => ((this.url = `ws://127.0.0.1:${(this.server.address() as { port: number }).port}/live`), done())));
  }
  close(): Promise<void> {
    for (const client of this.sockets.clients) client.terminate();
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}

describe("npm run job", function () {
  this.timeout(20_000);
  let api: FakeJobsApi;
  let printed: string;
  const run = (...argv: string[]) => main(argv, (text) => void (printed += text), () => ({ websocketUrl: api.url }));

  beforeEach(async () => {
    printed = "";
    api = new FakeJobsApi();
    await api.listen();
  });
  afterEach(() => api.close());

  it("submits a job over the WebSocket, prints the job id, then its own result", async () => {
    assert.equal(await run("--stack", "dev", "--token", "good-token", "--max", "1000000"), 0);
    assert.deepEqual(api.received, [{ action: "submit", type: "primes", input: { max: 1000000 } }]);
    assert.match(printed, /Queued as job job-1; waiting for the result\.\.\.\nJob job-1 succeeded: \{"max":1000000,"count":78498\}\n$/);
  });

  it("reports a failed job and exits 1", async () => {
    api.result = (_job, jobId) => ({ jobId, status: "failed", error: "input.max must be at most 50000000, got 60000000" });
    assert.equal(await run("--stack", "dev", "--token", "good-token", "--max", "60000000"), 1);
    assert.match(printed, /Job job-1 failed: "input\.max must be at most 50000000, got 60000000"/);
  });

  it("says the token was refused on a 401 at the handshake", async () => {
    assert.equal(await run("--stack", "dev", "--token", "expired"), 1);
    assert.match(printed, /The token was refused \(401\): sign in again/);
  });

  it("gives up after the timeout, pointing at GET /jobs/{id}", async () => {
    api.result = () => undefined;
    assert.equal(await run("--stack", "dev", "--token", "good-token", "--timeout", "1"), 1);
    assert.match(printed, /No result within 1 s\. The job keeps running; read it later with GET \/jobs\/job-1\./);
  });

  it("explains missing arguments", async () => {
    assert.equal(await run("--stack", "dev"), 2);
    assert.match(printed, /--stack and --token are required\nusage: npm run job/);
  });
});
