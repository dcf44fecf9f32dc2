import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { strict as assert } from "node:assert";

type SigningKey = Parameters<SignJWT["sign"]>[0];
import { createServer, Server } from "node:http";

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
  let sign: (claims: Record<string, unknown>, options?: { expiresIn?: string; issuer?: string; audience?: string; key?: SigningKey }) => Promise<string>;
  let handler: (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;
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
    sign = (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: "key-1" })
        .setIssuer(options.issuer ?? issuer)
        .setAudience(options.audience ?? audience)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? "5m")
        .sign(options.key ?? privateKey);
    strangerKey = stranger.privateKey;
    Object.assign(process.env, { JWT_ISSUER: issuer, JWT_AUDIENCE: `other-client,${audience}` });
    ({ handler } = require("../../app/handlers/ws-authorizer"));
  });
  after(() => {
    process.env = saved;
    server.closeAllConnections();
    server.close();
  });

  /** The connection is refused with 401 ("Unauthorized"), and the log says why. */
  async function refused(token: string | undefined, reason: RegExp): Promise<void> {
    const logged: string[] = [];
    const log = console.log;
    console.log = (line: string) => void logged.push(line);
    try {
      await assert.rejects(handler(connectEvent(token)), /^Error: Unauthorized$/);
    } finally {
      console.log = log;
    }
    assert.match(JSON.parse(logged[0]).reason, reason);
  }

  it("allows a valid token, with its sub as the principal (the jobs' owner)", async () => {
    const result = await handler(connectEvent(await sign({ sub: "alice", email: "alice@example.com" })));
    assert.equal(result.principalId, "alice");
    assert.deepEqual(result.policyDocument.Statement, [
      { Action: "execute-api:Invoke", Effect: "Allow", Resource: "arn:aws:execute-api:us-east-1:123456789012:abc123/live/$connect" },
    ]);
  });

  it("fetches the issuer's keys once and reuses them", async () => {
    const before = jwksRequests;
    for (let i = 0; i < 5; i++) await handler(connectEvent(await sign({ sub: `user-${i}` })));
    assert.equal(jwksRequests - before, 0);
    assert.ok(jwksRequests >= 1);
  });

  it("refuses an expired token", async () => refused(await sign({ sub: "alice" }, { expiresIn: "-1m" }), /ERR_JWT_EXPIRED/));
  it("refuses a token for another audience", async () => refused(await sign({ sub: "alice" }, { audience: "someone-else" }), /unexpected "aud"/));
  it("refuses a token from another issuer", async () => refused(await sign({ sub: "alice" }, { issuer: "https://evil.example.com" }), /unexpected "iss"/));
  it("refuses a token signed with a key the issuer did not publish", async () =>
    refused(await sign({ sub: "alice" }, { key: strangerKey }), /signature verification failed/));
  it("refuses a tampered token (bad signature)", async () => {
    const [header, , signature] = (await sign({ sub: "alice" })).split(".");
    const forged = Buffer.from(JSON.stringify({ sub: "mallory", iss: issuer, aud: audience, exp: Math.floor(Date.now() / 1000) + 300 })).toString("base64url");
    await refused(`${header}.${forged}.${signature}`, /signature verification failed/);
  });
  it("refuses a missing token, and one that is not a JWT", async () => {
    await refused(undefined, /no token/);
    await refused("not-a-jwt", /ERR_JWS_INVALID/);
  });
  it("refuses a token without a subject", async () => refused(await sign({}), /no sub/));
});
