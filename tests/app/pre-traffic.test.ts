import { strict as assert } from "node:assert";
import { CHECK_CALL_WORST_MS, hookTargetOf, verdictOf } from "../../app/core/pre-traffic";
import { appSpec } from "../../components/rollout-deployment";
import { HOOK_OVERHEAD_SECONDS } from "../../components/rollouts";

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
    // Whatever GetDeployment hands back: an error saying so (reported Failed), never a TypeError.
    for (const content of ["null", "[]", '"x"', JSON.stringify({ Resources: [null, 5, "x", []] }), JSON.stringify({ Resources: {} })])
      assert.throws(() => hookTargetOf(content), /names no single Lambda function/, content);
    const noAlias = JSON.parse(appSpec({ functionName: "f", alias: "live", targetVersion: "7" }, "6"));
    delete noAlias.Resources[0].f.Properties.Alias;
    assert.throws(() => hookTargetOf(JSON.stringify(noAlias)), /with an alias/);
  });

  it("reads the deployment and reports within the time the stack gives the check beyond the new version's timeout", () => {
    assert.ok(
      2 * CHECK_CALL_WORST_MS <= HOOK_OVERHEAD_SECONDS * 1000,
      `two calls of ${CHECK_CALL_WORST_MS} ms in ${HOOK_OVERHEAD_SECONDS} s`,
    );
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
