import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const REPORTER = join(__dirname, "..", "..", "scripts", "max-rss-reporter.js");

/** The peak memory, in MB, the reporter prints for a Node process that holds `mb` of its own. */
function reportedMb(mb: number): number {
  const run = spawnSync(process.execPath, ["-r", REPORTER, "-e", `globalThis.held = Buffer.alloc(${mb} * 1024 * 1024, 1)`], {
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  return Number(/max-rss-kb (\d+)/.exec(run.stderr)![1]) / 1024;
}

describe("the benchmarks' peak-memory reporter (scripts/max-rss-reporter.js)", () => {
  it("reports the process's own peak, not its parent's resident memory at fork (which getrusage's maxRSS carries over)", function () {
    if (process.platform !== "linux") this.skip();
    const parent = Buffer.alloc(300 * 1024 * 1024, 1); // this process now holds 300 MB more than the child will
    try {
      const small = reportedMb(10);
      const large = reportedMb(150);
      assert.ok(small < 150, `a child holding 10 MB reported ${Math.round(small)} MB`);
      assert.ok(large >= 150 && large < small + 250, `a child holding 150 MB reported ${Math.round(large)} MB`);
    } finally {
      parent.fill(0);
    }
  });
});
