import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from "aws-lambda";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { strict as assert } from "node:assert";

type SigningKey = Parameters<SignJWT["sign"]>[0];
import { createServer, Server } from "node:http";
import { IssuerUnavailable, TOKEN_LIMITS, tokenVerifier } from "../../app/auth/token-verifier";
import { appFunctions } from "../../app/functions";
import { capturedLogs } from "./captured-logs";
import { lambdaContext } from "./lambda-context";

/** A $connect request as API Gateway hands it to a REQUEST authorizer. */
function connectEvent(token?: string): APIGatewayRequestAuthorizerEvent {
  return {
    type: "REQUEST",
    methodArn: "arn:aws:execute-api:us-east-1:123456789012:abc123/live/$connect",
    headers: { Host: "abc123.execute-api.us-east-1.amazonaws.com", "Sec-WebSocket-Version": "13" },
    multiValueHeaders: {},
    queryStringParameters: token === undefined ? {} : { token },
    multiValueQueryStringParameters: {},
    requestContext: { routeKey: "$connect", eventType: "CONNECT", connectionId: "K5wZ1cfFIAMCJmA=", apiId: "abc123", stage: "live" } as any,
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

describe("WebSocket $connect authorizer (real JWTs, JWKS served on 127.0.0.1)", function () {
  this.timeout(30_000);
  const saved = { ...process.env };
  const audience = "graviton-client";
  let issuer: string;
  let server: Server;
  const scope = "aws.cognito.signin.user.admin";
  let sign: (
    claims: Record<string, unknown>,
    options?: { expiresIn?: string | null; issuer?: string; audience?: string; key?: SigningKey },
  ) => Promise<string>;
  let handler: (event: APIGatewayRequestAuthorizerEvent, context: Context) => Promise<APIGatewayAuthorizerResult>;
  let strangerKey: SigningKey;
  let jwksRequests = 0;

  before(async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const stranger = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "key-1", alg: "RS256", use: "sig" };
    server = createServer((request, response) => {
      if (request.url !== "/.well-known/jwks.json") return void response.writeHead(404).end();
      jwksRequests++;
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", () => done()));
    issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    // A Cognito access token: client_id (no aud), token_use "access", the sign-in scope.
    sign = (claims, options = {}) => {
      const jwt = new SignJWT({ client_id: options.audience ?? audience, token_use: "access", scope, ...claims })
        .setProtectedHeader({ alg: "RS256", kid: "key-1" })
        .setIssuer(options.issuer ?? issuer);
      if (!("iat" in claims)) jwt.setIssuedAt();
      if (options.expiresIn !== null) jwt.setExpirationTime(options.expiresIn ?? "5m");
      return jwt.sign(options.key ?? privateKey);
    };
    strangerKey = stranger.privateKey;
    Object.assign(process.env, { JWT_ISSUER: issuer, JWT_AUDIENCE: `other-client,${audience}`, JWT_SCOPE: scope });
    ({ handler } = require("../../app/handlers/ws-authorizer"));
  });
  after(() => {
    process.env = saved;
    server.closeAllConnections();
    server.close();
  });

  /** The connection is refused with 401 ("Unauthorized"); the log line says why, with the request, and the reason is counted. */
  async function refused(token: string | undefined, detail: RegExp, reason: string): Promise<void> {
    const context = lambdaContext("ws-authorizer");
    const { error, lines } = await capturedLogs(() => handler(connectEvent(token), context));
    assert.match(String(error), /^Error: Unauthorized$/);
    const refusal = lines.find((line) => line.message === "connection refused");
    assert.match(refusal.detail, detail);
    assert.equal(refusal.reason, reason);
    assert.equal(refusal.function_request_id, context.awsRequestId, "every line carries the request id");
    assert.equal(typeof refusal.cold_start, "boolean");
    const metric = lines.find((line) => line._aws && "TokenRejections" in line);
    assert.deepEqual(
      { value: metric.TokenRejections, reason: metric.reason, dimensions: metric._aws.CloudWatchMetrics[0].Dimensions },
      { value: 1, reason, dimensions: [["service", "reason"]] },
    );
  }

  it("allows a valid token, with its sub as the principal (the jobs' owner)", async () => {
    const result = await handler(connectEvent(await sign({ sub: "alice", email: "alice@example.com" })), lambdaContext());
    assert.equal(result.principalId, "alice");
    assert.deepEqual(result.policyDocument.Statement, [
      { Action: "execute-api:Invoke", Effect: "Allow", Resource: "arn:aws:execute-api:us-east-1:123456789012:abc123/live/$connect" },
    ]);
  });

  it("fetches the issuer's keys once and reuses them", async () => {
    const before = jwksRequests;
    for (let i = 0; i < 5; i++) await handler(connectEvent(await sign({ sub: `user-${i}` })), lambdaContext());
    assert.equal(jwksRequests - before, 0);
    assert.ok(jwksRequests >= 1);
  });

  it("refuses an expired token", async () => refused(await sign({ sub: "alice" }, { expiresIn: "-1m" }), /ERR_JWT_EXPIRED/, "expired"));
  it("refuses a token for another client", async () => {
    await refused(await sign({ sub: "alice" }, { audience: "someone-else" }), /unexpected "client_id"/, "claims");
    await refused(await sign({ sub: "alice", aud: "someone-else" }), /unexpected "aud"/, "claims");
  });
  it("accepts an access token whose aud names the client (API Gateway's rule: aud first, then client_id)", async () => {
    assert.equal(
      (await handler(connectEvent(await sign({ sub: "alice", aud: audience }, { audience: "unused" })), lambdaContext())).principalId,
      "alice",
    );
  });
  it("refuses an ID token: access tokens only, on both APIs", async () => {
    await refused(
      await sign({ sub: "alice", aud: audience, token_use: "id", scope: undefined }),
      /an id token; use an access token/,
      "claims",
    );
    await refused(await sign({ sub: "alice", aud: audience, token_use: undefined, scope: undefined }), /lacks the scope/, "claims");
  });
  it("refuses a token without exp, and one issued in the future beyond the clock skew", async () => {
    await refused(await sign({ sub: "alice" }, { expiresIn: null }), /"exp" claim/, "claims");
    await refused(await sign({ sub: "alice", iat: Math.floor(Date.now() / 1000) + 600 }), /"iat" claim/, "claims");
    assert.equal(
      (await handler(connectEvent(await sign({ sub: "alice", iat: Math.floor(Date.now() / 1000) + 30 })), lambdaContext())).principalId,
      "alice",
      "30 s of skew is tolerated",
    );
  });
  it("refuses a subject that cannot own jobs, without echoing it", async () => {
    for (const sub of ["", "   ", "al\u0000ice", "x".repeat(100_000), 42])
      await refused(
        await sign({ sub }),
        /sub|token is \d+ characters/,
        typeof sub === "string" && sub.length > 1000 ? "malformed" : "claims",
      );
  });
  it("refuses a huge or hostile token string before parsing it", async () => {
    await refused("a".repeat(20_000), /at most 16384/, "malformed");
    await refused("\u0000.\ud800.x", /ERR_JWS_INVALID/, "malformed");
  });
  it("refuses a token from another issuer", async () =>
    refused(await sign({ sub: "alice" }, { issuer: "https://evil.example.com" }), /unexpected "iss"/, "claims"));
  it("refuses a token signed with a key the issuer did not publish", async () =>
    refused(await sign({ sub: "alice" }, { key: strangerKey }), /signature verification failed/, "signature"));
  it("refuses a tampered token (bad signature)", async () => {
    const [header, , signature] = (await sign({ sub: "alice" })).split(".");
    const forged = Buffer.from(
      JSON.stringify({ sub: "mallory", iss: issuer, aud: audience, exp: Math.floor(Date.now() / 1000) + 300 }),
    ).toString("base64url");
    await refused(`${header}.${forged}.${signature}`, /signature verification failed/, "signature");
  });
  it("refuses a missing token, and one that is not a JWT", async () => {
    await refused(undefined, /no token/, "missing");
    await refused("not-a-jwt", /ERR_JWS_INVALID/, "malformed");
  });
  it("refuses a token without a subject", async () => refused(await sign({}), /sub must be a string/, "claims"));

  describe("when the issuer's keys cannot be fetched: an outage (500, so clients retry), not a bad token (401)", () => {
    /** A key server answering with `respond` (or never), at its jwks URI, closed after `body`. */
    const withFailingIssuer = async (
      respond: (response: import("node:http").ServerResponse) => void,
      body: (jwksUri: string) => Promise<void>,
    ) => {
      const failing = createServer((_request, response) => respond(response));
      await new Promise<void>((done) => failing.listen(0, "127.0.0.1", () => done()));
      try {
        await body(`http://127.0.0.1:${(failing.address() as { port: number }).port}/.well-known/jwks.json`);
      } finally {
        failing.closeAllConnections();
        failing.close();
      }
    };
    const outage = (respond: (response: import("node:http").ServerResponse) => void) => () =>
      withFailingIssuer(respond, async (jwksUri) => {
        const verify = tokenVerifier({ issuer, audience: [audience], scope, jwksUri });
        const token = await sign({ sub: "alice" });
        // The handler lets it through as a failure (API Gateway answers 500), never as "Unauthorized" (401).
        process.env.JWKS_URI = jwksUri;
        delete require.cache[require.resolve("../../app/handlers/ws-authorizer")];
        const { handler: fresh } = require("../../app/handlers/ws-authorizer");
        delete process.env.JWKS_URI;
        const [, { error }] = await Promise.all([
          assert.rejects(verify(token), IssuerUnavailable),
          capturedLogs(() => fresh(connectEvent(token), lambdaContext("ws-authorizer"))),
        ]);
        assert.ok(error instanceof IssuerUnavailable && error.message !== "Unauthorized", String(error));
      });
    it("a key fetch that times out, bounded well inside the authorizer's own timeout", async () => {
      // The deployed bound leaves the function time to answer: at least a second of its timeout after the fetch gives up.
      const authorizerTimeoutMs = appFunctions["ws-authorizer"].timeout * 1000;
      assert.ok(
        TOKEN_LIMITS.jwksTimeoutMs + 1000 <= authorizerTimeoutMs,
        `the key fetch's ${TOKEN_LIMITS.jwksTimeoutMs} ms must end a second before the authorizer's ${authorizerTimeoutMs} ms`,
      );
      // The bound itself, at a tenth of its size (the same code path; the test need not wait 3 s).
      const timeoutMs = TOKEN_LIMITS.jwksTimeoutMs / 10;
      await withFailingIssuer(
        () => undefined,
        async (jwksUri) => {
          const verify = tokenVerifier({ issuer, audience: [audience], scope, jwksUri }, timeoutMs);
          const started = Date.now();
          await assert.rejects(verify(await sign({ sub: "alice" })), IssuerUnavailable);
          const waited = Date.now() - started;
          assert.ok(waited >= timeoutMs - 5, `gave up after ${waited} ms, before its ${timeoutMs} ms timeout`);
          assert.ok(
            waited < TOKEN_LIMITS.jwksTimeoutMs,
            `still waiting after ${waited} ms: the ${timeoutMs} ms timeout did not end the fetch`,
          );
        },
      );
    });
    it(
      "a key fetch answered with 500",
      outage((response) => response.writeHead(500).end("oops")),
    );
    it(
      "a key fetch answered with an HTML page",
      outage((response) => response.writeHead(200, { "content-type": "text/html" }).end("<html>maintenance</html>")),
    );
    it("a refused connection", async () => {
      const verify = tokenVerifier({ issuer, audience: [audience], scope, jwksUri: "http://127.0.0.1:1/.well-known/jwks.json" });
      await assert.rejects(verify(await sign({ sub: "alice" })), IssuerUnavailable);
    });
  });
});
