import { errors, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from "jose";
import { strict as assert } from "node:assert";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { KEY_SET_LIMITS, remoteKeySet } from "../../app/auth/remote-key-set";

type SigningKey = Parameters<SignJWT["sign"]>[0];

describe("the issuer's key set, fetched over node:http(s) with jose's caching rules", function () {
  this.timeout(20_000);
  let server: Server;
  let url: URL;
  let requests = 0;
  /** What the issuer answers; a test replaces it. */
  let answer: (request: IncomingMessage, response: ServerResponse) => void;
  const keys: { kid: string; privateKey: SigningKey; jwk: JWK }[] = [];
  const published = () => ({ keys: keys.map(({ jwk }) => jwk) });
  const tokenFor = (kid: string) =>
    new SignJWT({ sub: "user-1" })
      .setProtectedHeader({ alg: "ES256", kid })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(keys.find((key) => key.kid === kid)!.privateKey);
  const addKey = async (kid: string) => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const key = { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256" } };
    keys.push(key);
    return key;
  };
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => assert.fail("expected the key set to fail"),
      (error: Error) => error,
    );
  const realNow = Date.now;

  before(async () => {
    server = createServer((request, response) => {
      requests++;
      answer(request, response);
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", () => done()));
    url = new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/.well-known/jwks.json`);
    await addKey("key-1");
  });
  beforeEach(() => {
    requests = 0;
    answer = (_request, response) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(published()));
  });
  afterEach(() => (Date.now = realNow));
  after(() => server.close());

  it("fetches once for concurrent first calls, keeps the set 10 minutes, then fetches it again", async () => {
    const getKey = remoteKeySet(url, 1000);
    const token = await tokenFor("key-1");
    await Promise.all(Array.from({ length: 5 }, () => jwtVerify(token, getKey)));
    assert.equal(requests, 1, "one fetch for five concurrent verifications");
    const start = realNow();
    Date.now = () => start + KEY_SET_LIMITS.cacheMaxAgeMs - 1000;
    await jwtVerify(token, getKey);
    assert.equal(requests, 1, "still fresh");
    Date.now = () => start + KEY_SET_LIMITS.cacheMaxAgeMs + 1000;
    await jwtVerify(token, getKey);
    assert.equal(requests, 2, "stale after 10 minutes");
  });

  it("fetches again for a key it lacks (a rotation), but not more than once in 30 s whatever tokens name", async () => {
    const getKey = remoteKeySet(url, 1000);
    await jwtVerify(await tokenFor("key-1"), getKey);
    const start = realNow();
    const rotated = await addKey("key-2");
    try {
      const next = await tokenFor("key-2");
      assert.ok((await failure(jwtVerify(next, getKey))) instanceof errors.JWKSNoMatchingKey, "within 30 s of the last fetch");
      assert.equal(requests, 1);
      for (let i = 0; i < 20; i++) await failure(jwtVerify(next, getKey));
      assert.equal(requests, 1, "a stranger naming unknown keys cannot make it fetch in a loop");
      Date.now = () => start + KEY_SET_LIMITS.cooldownMs + 1000;
      await jwtVerify(next, getKey);
      assert.equal(requests, 2, "after the cooldown, the new key is fetched");
    } finally {
      keys.splice(keys.indexOf(rotated), 1);
    }
  });

  it("takes an outage for an outage: not 200, a redirect, not JSON, not a key set, too big, or too slow in all", async () => {
    const cases: [string, (request: IncomingMessage, response: ServerResponse) => void, RegExp][] = [
      ["503", (_q, r) => r.writeHead(503).end("busy"), /Expected 200 OK .* got 503/],
      ["a redirect", (_q, r) => r.writeHead(302, { location: "http://127.0.0.1:1/keys" }).end(), /got 302/],
      ["an HTML page", (_q, r) => r.writeHead(200, { "content-type": "text/html" }).end("<html>"), /Failed to parse/],
      ["JSON that is not a key set", (_q, r) => r.writeHead(200).end('{"keys": "none"}'), /JSON Web Key Set malformed/],
      ["null", (_q, r) => r.writeHead(200).end("null"), /JSON Web Key Set malformed/],
      ["over 1 MB", (_q, r) => r.writeHead(200).end(`{"keys": [], "pad": "${"x".repeat(KEY_SET_LIMITS.maxBytes)}"}`), /over 1048576 bytes/],
      // Headers at once, then the body a byte at a time: the timeout bounds the whole fetch, not each read.
      [
        "a trickle",
        (_q, r) => {
          r.writeHead(200);
          const timer = setInterval(() => (r.destroyed ? clearInterval(timer) : r.write(" ")), 20);
        },
        /JWKSTimeout|timed out/i,
      ],
    ];
    const timeoutMs = 300;
    for (const [what, respond, expected] of cases) {
      answer = respond;
      const started = realNow();
      const error = await failure(jwtVerify(await tokenFor("key-1"), remoteKeySet(url, timeoutMs)));
      assert.match(`${error.name}: ${error.message}`, expected, what);
      // Bounded: a hang, or a timeout per read, would take the trickle's whole 30 s test budget.
      assert.ok(realNow() - started < timeoutMs * 10, `${what}: within the timeout`);
    }
    const nowhere = await failure(jwtVerify(await tokenFor("key-1"), remoteKeySet(new URL("http://127.0.0.1:1/keys"), 1000)));
    assert.match(nowhere.message, /ECONNREFUSED/);
    const file = await failure(jwtVerify(await tokenFor("key-1"), remoteKeySet(new URL("file:///etc/passwd"), 1000)));
    assert.match(file.message, /must be http or https, got file:/);
  });
});
