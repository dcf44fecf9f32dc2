import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../../dev/postgres/embedded-postgres";
import { scaledStackText } from "../../scripts/bench-plan";

const FUNCTIONS = 200;
const STACK = `devscale-${FUNCTIONS}`;
const ROOT = join(__dirname, "..", "..");
/** What npm run dev prints once it serves. */
const READY = "Ctrl-C stops everything.";

/** The resident memory of a process and every process below it (the functions' environments, PostgreSQL), in MB, from /proc. */
function treeRssMb(pid: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      const parent = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      rss.set(Number(entry), Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0));
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone since the listing
    }
  }
  const total = (id: number): number => (rss.get(id) ?? 0) + (children.get(id) ?? []).reduce((sum, child) => sum + total(child), 0);
  return total(pid) / 1024;
}

/** npm run dev with `argv`, as package.json starts it, until it prints that it serves: the process, and how long that took. */
async function started(...argv: string[]): Promise<{ dev: ChildProcess; seconds: number; stateDir: string; port: number }> {
  const stateDir = mkdtempSync(join(tmpdir(), "dev-scale-"));
  const port = await freePort();
  const began = process.hrtime.bigint();
  const dev = spawn(process.execPath, ["scripts/launch.js", "dev", ...argv, "--port", String(port)], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, GRAVITON_DEV_STATE_DIR: stateDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  dev.stdout!.on("data", (chunk) => (output += chunk));
  dev.stderr!.on("data", (chunk) => (output += chunk));
  // Bounded: a first start initializes PostgreSQL, a minute at the most here even loaded.
  for (let look = 0; look < 1200 && !output.includes(READY); look++) {
    if (dev.exitCode !== null) throw new Error(`npm run dev ${argv.join(" ")} exited ${dev.exitCode}:\n${output}`);
    await sleep(100);
  }
  if (!output.includes(READY)) throw new Error(`npm run dev ${argv.join(" ")} printed no "${READY}" in 120 s:\n${output}`);
  return { dev, seconds: Number(process.hrtime.bigint() - began) / 1e9, stateDir, port };
}

/** Ctrl-C, as a terminal sends it: to the whole process group, then waits for the command to exit. */
async function stopped(run: { dev: ChildProcess; stateDir: string }): Promise<void> {
  const exited = new Promise((resolve) => (run.dev.exitCode !== null ? resolve(undefined) : run.dev.once("exit", resolve)));
  process.kill(-run.dev.pid!, "SIGINT");
  await Promise.race([exited, sleep(60_000)]);
  rmSync(run.stateDir, { recursive: true, force: true });
}

/**
 * npm run dev with a product of 200 Node.js functions with their own image (a stack file generated in a
 * folder of its own, given with --config-file, so a stopped run leaves no stack in the project): each function's execution environment starts on its first invocation, so the
 * platform starts about as fast as dev's and idles small.
 */
describe(`npm run dev at scale: ${FUNCTIONS} functions with their own image`, function () {
  this.timeout(300_000);
  let folder: string;
  let file: string;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), "dev-scale-stack-"));
    file = join(folder, `Pulumi.${STACK}.yaml`);
    writeFileSync(file, scaledStackText(FUNCTIONS, "us-east-1"));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it("starts in at most twice dev's time (measured in the same run), holds one environment per function called, idles under 1 GB", async () => {
    const dev = await started("--stack", "dev");
    const devMb = treeRssMb(dev.dev.pid!);
    await stopped(dev);
    const scaled = await started("--stack", STACK, "--config-file", file);
    try {
      const idleMb = treeRssMb(scaled.dev.pid!);
      // Called through its route: its own environment starts, a process of its own; nothing else does.
      const response = await fetch(`http://127.0.0.1:${scaled.port}/fn-10/42`);
      assert.equal(response.status, 200, await response.text());
      const afterMb = treeRssMb(scaled.dev.pid!);
      console.log(
        `      npm run dev: dev ready in ${dev.seconds.toFixed(1)} s (${Math.round(devMb)} MB with PostgreSQL); ` +
          `${FUNCTIONS} more functions ready in ${scaled.seconds.toFixed(1)} s, ${Math.round(idleMb)} MB idle, ${Math.round(afterMb)} MB after one call`,
      );
      assert.ok(scaled.seconds <= 2 * dev.seconds, `${scaled.seconds.toFixed(1)} s against dev's ${dev.seconds.toFixed(1)} s`);
      assert.ok(idleMb < 1024, `${Math.round(idleMb)} MB idle`);
      assert.ok(afterMb - idleMb < 200, `one call started one environment, not ${Math.round(afterMb - idleMb)} MB of them`);
    } finally {
      await stopped(scaled);
    }
  });
});
