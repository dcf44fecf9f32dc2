import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevPlatform, type DevPlatform } from "../../dev/platform";
import { scaledStackText } from "../../scripts/bench-plan";

const FUNCTIONS = 200;
const STACK = `devscale-${FUNCTIONS}`;
const ROOT = join(__dirname, "..", "..");

/** Starts the platform on `stack` in a fresh state folder; how long it took to be ready. */
async function started(stack: string): Promise<{ platform: DevPlatform; seconds: number; stateDir: string }> {
  const stateDir = mkdtempSync(join(tmpdir(), "dev-scale-"));
  const began = process.hrtime.bigint();
  const platform = await startDevPlatform({ stack, port: 0, stateDir, log: () => undefined });
  return { platform, seconds: Number(process.hrtime.bigint() - began) / 1e9, stateDir };
}

/**
 * npm run dev with a product of 200 Node.js functions with their own image (a stack file generated here,
 * removed afterwards): each function's execution environment starts on its first invocation, so the
 * platform starts about as fast as dev's and idles small.
 */
describe(`npm run dev at scale: ${FUNCTIONS} functions with their own image`, function () {
  this.timeout(300_000);
  const file = join(ROOT, `Pulumi.${STACK}.yaml`);
  before(() => writeFileSync(file, scaledStackText(FUNCTIONS, "us-east-1")));
  after(() => rmSync(file, { force: true }));

  it("starts in at most twice dev's time (measured in the same run), holds no environment until used, idles under 1 GB", async () => {
    const dev = await started("dev");
    await dev.platform.stop();
    rmSync(dev.stateDir, { recursive: true, force: true });
    const scaled = await started(STACK);
    try {
      const { platform } = scaled;
      console.log(
        `      dev ready in ${dev.seconds.toFixed(1)} s; ${Object.keys(platform.functions).length} functions ready in ${scaled.seconds.toFixed(1)} s; ` +
          `this process at ${Math.round(process.memoryUsage().rss / 1024 / 1024)} MB`,
      );
      assert.ok(Object.keys(platform.functions).length >= FUNCTIONS, `${Object.keys(platform.functions).length} functions run locally`);
      assert.ok(scaled.seconds <= 2 * dev.seconds, `${scaled.seconds.toFixed(1)} s against dev's ${dev.seconds.toFixed(1)} s`);
      // The migrations run at start, as on deploy; nothing else has an environment before it is invoked.
      const warm = () => Object.entries(platform.functions).flatMap(([name, fn]) => (fn.environments > 0 ? [name] : []));
      assert.deepEqual(warm(), ["migrate"]);
      // One of them, called through its route: one environment more, its own.
      const response = await fetch(`${platform.endpoints.apiUrl}/fn-10/42`);
      assert.equal(response.status, 200, await response.text());
      assert.deepEqual(warm().sort(), ["fn-0010", "migrate"]);
      assert.ok(process.memoryUsage().rss < 1024 * 1024 * 1024, `${Math.round(process.memoryUsage().rss / 1024 / 1024)} MB`);
    } finally {
      await scaled.platform.stop();
      rmSync(scaled.stateDir, { recursive: true, force: true });
    }
  });
});
