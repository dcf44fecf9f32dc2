import { writeFileSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevPlatform } from "./dev/platform";
import { scaledStackText } from "./scripts/bench-plan";
(async () => {
  writeFileSync("Pulumi.devscale-200.yaml", scaledStackText(200, "us-east-1"));
  try {
    for (const stack of ["dev", "devscale-200", "dev"]) {
      const stateDir = mkdtempSync(join(tmpdir(), "devscale-"));
      const t = Date.now();
      const platform = await startDevPlatform({ stack, port: 0, stateDir, log: () => undefined });
      const ms = Date.now() - t;
      global.gc?.();
      console.log(
        stack,
        "start ms",
        ms,
        "functions",
        Object.keys(platform.functions).length,
        "rss MB",
        Math.round(process.memoryUsage().rss / 1e6),
      );
      await platform.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  } finally {
    rmSync("Pulumi.devscale-200.yaml", { force: true });
  }
})();
