import { strict as assert } from "node:assert";
import { hookTargetOf, verdictOf } from "../../app/core/pre-traffic";
import { appSpec } from "../../components/rollout-deployment";

describe("the before-traffic check's logic (app/core/pre-traffic.ts)", () => {
  it("reads the function and the new version from the AppSpec the rollout writes", () => {
    const content = appSpec({ functionName: "primes-a1b2c3d", alias: "live", targetVersion: "7", beforeAllowTraffic: "primes-hook" }, "6");
    assert.deepEqual(hookTargetOf(content), { functionName: "primes-a1b2c3d", alias: "live", targetVersion: "7" });
  });

  it("refuses an AppSpec it cannot read, so the check fails rather than tries the wrong version", () => {
    assert.throws(() => hookTargetOf(undefined), /AppSpec is not JSON/);
    assert.throws(() => hookTargetOf("version: 0.0\nResources: []"), /AppSpec is not JSON/);
    assert.throws(() => hookTargetOf(JSON.stringify({ Resources: [] })), /names no single Lambda function/);
    const latest = appSpec({ functionName: "f", alias: "live", targetVersion: "$LATEST" }, "1");
    assert.throws(() => hookTargetOf(latest), /published TargetVersion/);
  });

  it("lets traffic through for an answer, a 2xx or a 4xx; not for a thrown error or a 5xx", () => {
    assert.deepEqual(verdictOf({ payload: JSON.stringify({ statusCode: 200, body: "{}" }) }), {
      passed: true,
      reason: "it answered HTTP 200",
    });
    assert.equal(verdictOf({ payload: JSON.stringify({ statusCode: 404 }) }).passed, true, "refusing a sample is the handler's job");
    assert.equal(verdictOf({ payload: JSON.stringify({ isAuthorized: false }) }).passed, true);
    assert.equal(verdictOf({ payload: "null" }).passed, true);
    assert.match(verdictOf({ payload: JSON.stringify({ statusCode: 502 }) }).reason, /answered HTTP 502/);
    assert.equal(verdictOf({ payload: JSON.stringify({ statusCode: 500 }) }).passed, false);
    const thrown = verdictOf({ functionError: "Unhandled", payload: '{"errorType":"TypeError","errorMessage":"boom"}' });
    assert.deepEqual([thrown.passed, /failed \(Unhandled\): .*boom/.test(thrown.reason)], [false, true]);
  });
});
