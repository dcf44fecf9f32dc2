import { strict as assert } from "node:assert";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LocalFunction } from "../../../dev/lambda/local-function";

const fixtures = join(__dirname, "..", "fixtures", "handlers.mjs");

describe("a local function's execution environments: started on first use, reused warm, stopped when idle", function () {
  this.timeout(30_000);
  /** Short, so the test waits little (the platform's is IDLE_ENVIRONMENT_MS), and ten times what a warm reuse needs here, loaded or not. */
  const IDLE_MS = 1500;
  const fn = new LocalFunction(
    { name: "echo", bundle: fixtures, exportName: "echo", memoryMb: 256, timeoutSeconds: 5 },
    2,
    () => undefined,
    IDLE_MS,
  );
  after(() => fn.stop());

  /** Waits until `done` holds, looking every tenth of the idle time, for at most ten idle times. */
  async function until(done: () => boolean) {
    for (let look = 0; look < 100 && !done(); look++) await sleep(IDLE_MS / 10);
    return done();
  }

  it("holds no environment until it is invoked, one while warm, none once idle past the idle time; then starts cold again", async () => {
    assert.equal(fn.environments, 0, "nothing starts before the first invocation");
    const first = await fn.invoke({ hello: 1 });
    assert.ok(first.ok && first.initDurationMs !== undefined, "cold");
    assert.equal(fn.environments, 1);
    const warm = await fn.invoke({ hello: 2 });
    assert.equal(warm.initDurationMs, undefined, "warm: the same environment");
    assert.ok(await until(() => fn.environments === 0), "stopped after the idle time");
    const again = await fn.invoke({ hello: 3 });
    assert.ok(again.ok && again.initDurationMs !== undefined, "a new, cold environment");
  });

  it("a use restarts the idle clock: an environment used again before the idle time is kept", async () => {
    await fn.invoke({});
    for (let use = 0; use < 4; use++) {
      await sleep(IDLE_MS / 10);
      const invocation = await fn.invoke({});
      assert.equal(invocation.initDurationMs, undefined, `use ${use}: still warm`);
    }
    assert.ok(await until(() => fn.environments === 0));
  });
});
