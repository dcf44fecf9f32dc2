import { strict as assert } from "node:assert";
import { createServer, IncomingMessage, Server } from "node:http";
import { WebSocketServer } from "ws";
import { main } from "../../scripts/job";

/** A stand-in for the stack's WebSocket API on 127.0.0.1: token check on connect, ack, then the result. */
class FakeJobsApi {
  readonly received: any[] = [];
  result: (job: any, jobId: string) => object | undefined = (job, jobId) => ({
    jobId,
    status: "succeeded",
    result: { max: job.input.max, count: 78498 },
  });
  /** How the API answers: the acknowledgement first (usual), the worker's result first (a race), or API Gateway's own error frame. */
  order: "ack-first" | "result-first" | "gateway-error" = "ack-first";
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
          if (this.order === "gateway-error")
            return ws.send(JSON.stringify({ message: "Invalid request body", connectionId: "abc=", requestId: "req=" }));
          const result = this.result(job, jobId);
          if (this.order === "result-first" && result) ws.send(JSON.stringify(result));
          ws.send(JSON.stringify({ jobId: "someone-elses-job", status: "succeeded", result: {} }));
          setTimeout(() => ws.send(JSON.stringify({ jobId, status: "queued" })), this.order === "result-first" ? 20 : 0);
          if (this.order === "ack-first" && result) setTimeout(() => ws.send(JSON.stringify(result)), 20);
        });
      });
    });
  }
  listen(): Promise<void> {
    return new Promise((done) =>
      this.server.listen(
        0,
        "127.0.0.1",
        () => ((this.url = `ws://127.0.0.1:${(this.server.address() as { port: number }).port}/live`), done()),
      ),
    );
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
  const run = (...argv: string[]) =>
    main(
      argv,
      (text) => void (printed += text),
      () => ({ websocketUrl: api.url }),
    );

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
    assert.equal(await run("--stack", "dev", "--token", "good-token", "--max", "1000"), 1);
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
    assert.match(printed, /--token is required with --stack\nusage: npm run job/);
    printed = "";
    assert.equal(await run("--local", "--stack", "dev"), 2);
    assert.match(printed, /give --stack NAME \(with --token\) or --local\nusage: npm run job/);
  });

  it("refuses, before sending anything, a job the worker would refuse: --max out of range, an unknown type, a bad timeout", async () => {
    for (const [argv, expected] of [
      [["--max", "60000000"], /^job: --max must be at most 50000000, got 60000000\n/],
      [["--max", "0"], /^job: --max must be at least 1, got 0\n/],
      [["--max", "1e9"], /^job: --max must be a whole number, got "1e9"\n/],
      [["--type", "mine-bitcoin"], /^job: --type must be one of primes, echo, got "mine-bitcoin"\n/],
      [["--timeout", "0"], /^job: --timeout must be 1 to 900 seconds, got "0"\n/],
    ] as const) {
      printed = "";
      assert.equal(await run("--stack", "dev", "--token", "good-token", ...argv), 2, argv.join(" "));
      assert.match(printed, expected);
    }
    assert.deepEqual(api.received, []);
  });

  it("recognises API Gateway's own error frame (the model refused the message) instead of waiting for the timeout", async () => {
    api.order = "gateway-error";
    const started = Date.now();
    assert.equal(await run("--stack", "dev", "--token", "good-token", "--timeout", "30"), 1);
    assert.match(printed, /API Gateway refused the message: Invalid request body/);
    assert.ok(Date.now() - started < 5000);
  });

  it("keeps a result that arrives before the acknowledgement", async () => {
    api.order = "result-first";
    assert.equal(await run("--stack", "dev", "--token", "good-token", "--max", "1000", "--timeout", "5"), 0);
    assert.match(printed, /Job job-1 succeeded/);
  });
});
