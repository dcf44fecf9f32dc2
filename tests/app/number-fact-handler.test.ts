import { strict as assert } from "node:assert";
import { createServer, IncomingMessage, Server } from "node:http";
import { AddressInfo } from "node:net";
import type * as NumberFactHandler from "../../app/handlers/number-fact";
import { bodyOf, httpEvent } from "./api-gateway-event";
import { lambdaContext } from "./lambda-context";

/** A numbersapi.com stand-in on 127.0.0.1: answers by path, records what it was asked and on which socket. */
class FakeNumbersApi {
  readonly requests: { path: string; accept?: string; socket: unknown }[] = [];
  private server!: Server;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((request: IncomingMessage, response) => {
      this.requests.push({ path: request.url ?? "", accept: request.headers.accept, socket: request.socket });
      if (request.url === "/345/date") return response.end("December 11th is the day in 1946 that UNICEF is established.\n");
      if (request.url === "/42/trivia") return response.end("42 is the answer to the Ultimate Question of Life.");
      if (request.url === "/500/math") return void response.writeHead(500).end("boom");
      if (request.url === "/7/year") return response.end("   ");
      if (request.url === "/9/trivia") return; // never answers: the handler must time out
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Loads the handler module afresh, so its INIT-phase configuration reads `environment`. */
function loadHandler(environment: Record<string, string>): typeof NumberFactHandler.handler {
  Object.assign(process.env, environment);
  const path = require.resolve("../../app/handlers/number-fact");
  delete require.cache[path];
  return require(path).handler;
}

describe("number-fact handler (POST /number)", () => {
  const upstream = new FakeNumbersApi();
  let handler: typeof NumberFactHandler.handler;
  const post = async (body: string | undefined, extra: { base64?: boolean; method?: string } = {}) =>
    (await handler(
      httpEvent({ method: extra.method ?? "POST", path: "/number", routeKey: "POST /number", body, base64: extra.base64 }),
      lambdaContext(),
    )) as {
      statusCode: number;
      body: string;
      headers: Record<string, string>;
    };

  before(async () => {
    await upstream.start();
    handler = loadHandler({ NUMBERS_API_URL: upstream.url, NUMBERS_API_TIMEOUT_MS: "300" });
  });
  after(async () => {
    await upstream.stop();
    delete process.env.NUMBERS_API_URL;
    delete process.env.NUMBERS_API_TIMEOUT_MS;
  });

  it("answers the seed's example request with the architecture, the number, the type and the fact", async () => {
    const response = await post(JSON.stringify({ number: "345", type: "date" }));
    assert.equal(response.statusCode, 200);
    assert.deepEqual(bodyOf(response), {
      architecture: process.arch === "arm64" ? "arm64" : "x86_64",
      number: 345,
      type: "date",
      fact: "December 11th is the day in 1946 that UNICEF is established.",
    });
    assert.equal(upstream.requests.at(-1)!.accept, "text/plain");
  });

  it("accepts a JSON number, defaults the type to trivia, and reads a base64-encoded body", async () => {
    const response = await post(JSON.stringify({ number: 42 }), { base64: true });
    assert.equal(response.statusCode, 200);
    assert.equal(bodyOf(response).type, "trivia");
    assert.match(bodyOf(response).fact, /Ultimate Question/);
  });

  it("keeps the upstream connection alive between invocations", async () => {
    const before = upstream.requests.length;
    await post(JSON.stringify({ number: "345", type: "date" }));
    // Invocations are apart in time; the pool takes the socket back once the turn after the body ends.
    await new Promise((resolve) => setImmediate(resolve));
    await post(JSON.stringify({ number: "345", type: "date" }));
    const [first, second] = upstream.requests.slice(before);
    assert.equal(first.socket, second.socket, "the second request reused the first one's socket");
  });

  const badRequests: [string, string | undefined, RegExp][] = [
    ["a missing body", undefined, /Request body is missing/],
    ["malformed JSON", '{"number": 345', /Request body is not valid JSON/],
    ["a missing number", JSON.stringify({ type: "math" }), /Invalid body\.number: is required/],
    ["a non-numeric number", JSON.stringify({ number: "abc" }), /Invalid body\.number: must be a whole number \(digits only\), got "abc"/],
    ["a fractional number", JSON.stringify({ number: 3.5 }), /Invalid body\.number: must be a whole number/],
    [
      "an unknown type",
      JSON.stringify({ number: "1", type: "color" }),
      /Invalid body\.type: must be one of trivia, math, date, year, got "color"/,
    ],
    ["a body that is not an object", JSON.stringify([345]), /^Request body must be a JSON object, got \[345\]$/],
    ["a null body", "null", /^Request body must be a JSON object, got null$/],
    ["a number too large for JSON", '{"number": 1e309}', /^Invalid body\.number is a number too large for JSON \(it parses as Infinity\)$/],
    ["a 100 KB number", JSON.stringify({ number: "9".repeat(100_000) }), /got "9{79}\.\.\. \(100002 characters\)$/],
    ["a NUL byte", '{"number": "1\\u0000"}', /^Invalid body\.number holds a NUL character/],
    ["a lone surrogate", '{"number": "1", "type": "\\ud800"}', /^Invalid body\.type holds an unpaired UTF-16 surrogate/],
    ["deep nesting", `{"number": ${"[".repeat(5000)}${"]".repeat(5000)}}`, /^Invalid body\.number(\[0\])+.* nests deeper than 32 levels/],
  ];
  for (const [what, body, message] of badRequests) {
    it(`answers 400 for ${what}, saying what is wrong`, async () => {
      const response = await post(body);
      assert.equal(response.statusCode, 400);
      assert.match(bodyOf(response).error, message);
    });
  }

  it("answers 400, not 500, to an event that is not an HTTP API request", async () => {
    for (const event of [{}, { requestContext: {} }, { requestContext: { http: null } }, null]) {
      const response = (await handler(event as never, lambdaContext())) as { statusCode: number; body: string };
      assert.equal(response.statusCode, 400, JSON.stringify(event));
      assert.match(bodyOf(response).error, /not an API Gateway HTTP API request/);
    }
  });

  it("answers 405 with an Allow header to a method other than POST", async () => {
    const response = await post(undefined, { method: "GET" });
    assert.equal(response.statusCode, 405);
    assert.equal(response.headers.allow, "POST");
  });

  it("answers 502 when the upstream fails", async () => {
    const response = await post(JSON.stringify({ number: 500, type: "math" }));
    assert.equal(response.statusCode, 502);
    assert.match(bodyOf(response).error, /answered HTTP 500/);
  });

  it("answers 502 when the upstream answers with no fact", async () => {
    const response = await post(JSON.stringify({ number: 7, type: "year" }));
    assert.equal(response.statusCode, 502);
    assert.match(bodyOf(response).error, /empty fact/);
  });

  it("answers 502 within the timeout when the upstream does not answer", async () => {
    const started = Date.now();
    const response = await post(JSON.stringify({ number: 9 }));
    assert.equal(response.statusCode, 502);
    assert.match(bodyOf(response).error, /no answer within 300 ms/);
    assert.ok(Date.now() - started < 2000);
  });

  it("fails at INIT with a clear message when the timeout setting is not a number", () => {
    assert.throws(
      () => loadHandler({ NUMBERS_API_TIMEOUT_MS: "3s" }),
      /NUMBERS_API_TIMEOUT_MS must be a whole number of milliseconds above 0, got "3s"/,
    );
    process.env.NUMBERS_API_TIMEOUT_MS = "300";
  });

  it("answers 502 when the upstream cannot be reached", async () => {
    const unreachable = loadHandler({ NUMBERS_API_URL: "http://127.0.0.1:9" }); // discard port: nothing listens
    const response = (await unreachable(
      httpEvent({ method: "POST", path: "/number", body: JSON.stringify({ number: 1 }) }),
      lambdaContext(),
    )) as any;
    assert.equal(response.statusCode, 502);
    assert.match(bodyOf(response).error, /request failed/);
  });
});
