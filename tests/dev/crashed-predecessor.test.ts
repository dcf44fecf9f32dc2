import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanUpCrashedPredecessor } from "../../dev/crashed-predecessor";
import { processRunning } from "../../dev/local-endpoints";

describe("after a crash: what the next npm run dev stops, and what it leaves alone", () => {
  it("never signals a process that is not PostgreSQL, even if a stale lock file names its pid", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "crashed-"));
    const dataDir = join(stateDir, "postgres", "data");
    mkdirSync(dataDir, { recursive: true });
    // Another program holds the pid the dead server's lock file names.
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30_000)"], { stdio: "ignore" });
    try {
      writeFileSync(join(stateDir, "endpoints.json"), JSON.stringify({ pid: 2 ** 22 + 1 })); // no such process
      writeFileSync(join(dataDir, "postmaster.pid"), `${other.pid}\n${dataDir}\n`);
      const done = await cleanUpCrashedPredecessor(stateDir, dataDir);
      assert.deepEqual(done, [`npm run dev (pid ${2 ** 22 + 1}) stopped without cleaning up`]);
      assert.equal(processRunning(other.pid!), true, "the other program is left running");
    } finally {
      other.kill("SIGKILL");
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it("does nothing while the recorded npm run dev is alive, or when nothing was recorded", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "crashed-"));
    try {
      assert.deepEqual(await cleanUpCrashedPredecessor(stateDir, join(stateDir, "data")), []);
      writeFileSync(join(stateDir, "endpoints.json"), JSON.stringify({ pid: process.pid }));
      assert.deepEqual(await cleanUpCrashedPredecessor(stateDir, join(stateDir, "data")), []);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
