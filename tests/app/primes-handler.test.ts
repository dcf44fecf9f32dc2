import { strict as assert } from "node:assert";
import { handler } from "../../app/handlers/primes";
import { bodyOf, httpEvent } from "./api-gateway-event";
import { lambdaContext } from "./lambda-context";

const getPrimes = (query?: Record<string, string>) =>
  handler(httpEvent({ method: "GET", path: "/primes", query }), lambdaContext()) as Promise<{
    statusCode: number;
    body: string;
    headers: any;
  }>;

describe("primes handler (GET /primes)", () => {
  it("counts the primes up to max and says which architecture it ran on", async () => {
    const response = await getPrimes({ max: "1000000" });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers["content-type"], "application/json");
    const body = bodyOf(response);
    assert.equal(body.max, 1_000_000);
    assert.equal(body.count, 78498);
    assert.equal(body.architecture, process.arch === "arm64" ? "arm64" : "x86_64");
    assert.ok(body.elapsedMs >= 0 && body.elapsedMs < 10_000);
  });

  it("defaults max to 1,000,000", async () => {
    assert.equal(bodyOf(await getPrimes()).count, 78498);
  });

  it("accepts the bounds 1 and 50,000,000", async () => {
    assert.equal(bodyOf(await getPrimes({ max: "1" })).count, 0);
    assert.equal(bodyOf(await getPrimes({ max: "50000000" })).count, 3001134);
  });

  const badRequests: [string, Record<string, string>, RegExp][] = [
    ["zero", { max: "0" }, /query\.max: must be at least 1, got 0/],
    ["above the bound", { max: "50000001" }, /query\.max: must be at most 50000000, got 50000001/],
    ["not a number", { max: "lots" }, /query\.max: must be a whole number from 1 to 50000000, got "lots"/],
    ["negative", { max: "-5" }, /query\.max: must be a whole number from 1 to 50000000, got "-5"/],
    ["fractional", { max: "10.5" }, /query\.max: must be a whole number/],
    ["far too large to parse", { max: "99999999999999999999" }, /query\.max: must be a whole number/],
    [
      "100 KB long",
      { max: "9".repeat(100_000) },
      /query\.max: must be a whole number from 1 to 50000000, got "9{79}\.\.\. \(100002 characters\)"?$/,
    ],
  ];
  for (const [what, query, message] of badRequests) {
    it(`answers 400 for a max that is ${what}`, async () => {
      const response = await getPrimes(query);
      assert.equal(response.statusCode, 400);
      assert.match(bodyOf(response).error, message);
    });
  }

  it("answers 405 with an Allow header to a method other than GET", async () => {
    const response = (await handler(
      httpEvent({ method: "POST", path: "/primes", routeKey: "GET /primes", body: "{}" }),
      lambdaContext(),
    )) as any;
    assert.equal(response.statusCode, 405);
    assert.equal(response.headers.allow, "GET");
    assert.match(bodyOf(response).error, /Method POST is not allowed on \/primes; use GET/);
  });
});
