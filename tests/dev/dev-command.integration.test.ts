import { strict as assert } from "node:assert";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../../dev/postgres/embedded-postgres";
import { processRunning } from "../../dev/local-endpoints";

const SOURCE = join(__dirname, "..", "..");

/**
 * A copy of the repository (its installed packages shared) for `npm run dev` to run in: the test saves a
 * file under app/, which must not reach the real source tree, where a user's own npm run dev would
 * rebuild for it.
 */
function repositoryCopy(): string {
  const copy = mkdtempSync(join(tmpdir(), "dev-repository-"));
  cpSync(SOURCE, copy, {
    recursive: true,
    filter: (source) => !/^(node_modules|\.git|\.dev|app\/dist)(\/|$)/.test(relative(SOURCE, source)),
  });
  symlinkSync(join(SOURCE, "node_modules"), join(copy, "node_modules"));
  chmodSync(copy, 0o755);
  return copy;
}

/** Whether any process of the group is left. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("npm run dev as a user runs it: the printed commands work, a change under app/ reloads, Ctrl-C stops it all", function () {
  this.timeout(120_000);
  let stateDir: string;
  let ROOT: string;
  let port: number;
  let dev: ChildProcess;
  let output = "";
  const printed = async (text: string, ms = 60_000) => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (output.includes(text)) return;
    throw new Error(`npm run dev did not print ${JSON.stringify(text)} within ${ms} ms; it printed:\n${output}`);
  };
  const exited = () => new Promise<number | null>((resolve) => (dev.exitCode !== null ? resolve(dev.exitCode) : dev.once("exit", resolve)));

  before(async () => {
    ROOT = repositoryCopy();
    stateDir = mkdtempSync(join(tmpdir(), "dev-command-"));
    port = await freePort();
    await start();
  });
  /** npm run dev in its own process group, as a terminal runs it: Ctrl-C signals the whole group (PostgreSQL and the functions' processes too). */
  const start = async () => {
    output = "";
    // As `npm run dev` starts it: package.json's script, the launcher.
    dev = spawn(process.execPath, ["scripts/launch.js", "dev", "--port", String(port)], {
      cwd: ROOT,
      detached: true,
      env: { ...process.env, GRAVITON_DEV_STATE_DIR: stateDir, TS_NODE_TRANSPILE_ONLY: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    dev.stdout!.on("data", (chunk) => (output += chunk));
    dev.stderr!.on("data", (chunk) => (output += chunk));
    await printed("Ctrl-C stops everything.");
  };
  after(() => {
    if (dev.exitCode === null && groupAlive(dev.pid!)) process.kill(-dev.pid!, "SIGKILL");
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(ROOT, { recursive: true, force: true });
  });

  it("the commands it prints under Try: work as printed, from another shell without its GRAVITON_DEV_STATE_DIR", function () {
    this.timeout(180_000);
    const tried = output.slice(output.indexOf("Try:\n") + 5);
    const lines = tried
      .slice(0, tried.indexOf("\n\n"))
      .split("\n")
      .map((line) => line.trim());
    const commands = lines.filter((line) => line.startsWith("curl "));
    // Another terminal: the repository's folder, and none of the variables npm run dev was started with.
    const shell = { ...process.env };
    delete shell.GRAVITON_DEV_STATE_DIR;
    for (const command of lines.filter((line) => !line.startsWith("curl "))) {
      const printedOutput = execFileSync("bash", ["-c", command], { cwd: ROOT, encoding: "utf8", env: shell, timeout: 120_000 });
      assert.doesNotMatch(printedOutput, /not running/, command);
    }
    assert.ok(
      commands.some((command) => command.includes("/jobs")),
      output,
    );
    if (!existsSync("/usr/bin/curl")) {
      if (process.env.CI) throw new Error("/usr/bin/curl is missing: .ci/run installs it for this test");
      return this.skip(); // visible as pending: install curl
    }
    const run = (command: string) =>
      execFileSync("bash", ["-c", `${command} --max-time 20 --silent --show-error`], { cwd: ROOT, encoding: "utf8", env: shell });
    for (const command of commands) assert.match(run(`${command} --write-out ' %{http_code}'`), / 20[02]$/, command);
    // example:begin the HTTP demos
    assert.equal(JSON.parse(run(commands.find((command) => command.includes("/primes"))!)).count, 78498, "primes below 1,000,000");
    // example:end
  });

  it("rebuilds and reloads the functions when a file under app/ changes", async () => {
    const now = new Date();
    utimesSync(join(ROOT, "app", "functions.ts"), now, now); // a save without a change
    await printed("app/functions.ts changed: rebuilding...");
    await printed("Reloaded: the next invocations run the new code.");
  });

  it("says to restart when the stack's config file changes, which it read at start", async () => {
    const file = join(ROOT, "Pulumi.dev.yaml");
    writeFileSync(file, readFileSync(file, "utf8")); // a save
    await printed("Pulumi.dev.yaml changed: restart npm run dev to apply it");
  });

  it("after a kill -9, whose PostgreSQL outlives it, the next start stops what its dead predecessor left, and starts", async () => {
    const killed = dev.pid!;
    const lock = join(stateDir, "postgres", "data", "postmaster.pid");
    const server = Number(readFileSync(lock, "utf8").split("\n")[0]);
    process.kill(killed, "SIGKILL"); // the command only, as `kill -9 <pid>` does; the group lives on
    await exited();
    assert.ok(processRunning(server), "its PostgreSQL is still running");
    await start();
    assert.match(
      output,
      new RegExp(
        `The last start was not stopped cleanly: npm run dev \\(pid ${killed}\\) stopped without cleaning up; its PostgreSQL \\(pid ${server}\\) stopped`,
      ),
    );
    assert.equal(processRunning(server), false, "the old server is gone");
    // Whatever else the dead one's group held (its functions' processes) has gone with it.
    for (let i = 0; i < 50 && groupAlive(killed); i++) await sleep(100);
    assert.equal(groupAlive(killed), false);
    const answer = await fetch(`http://127.0.0.1:${port}/jobs/x`);
    assert.equal(answer.status, 401, "the new start serves");
  });

  it("Ctrl-C (SIGINT to the process group) stops the database and the functions, frees the port and removes the record", async () => {
    process.kill(-dev.pid!, "SIGINT");
    const code = await Promise.race([exited(), sleep(30_000).then(() => "still running after 30 s")]);
    assert.equal(code, 0, output);
    assert.match(output, /SIGINT: stopping[\s\S]*Stopped\.\n$/);
    for (let i = 0; i < 50 && groupAlive(dev.pid!); i++) await sleep(100);
    assert.equal(groupAlive(dev.pid!), false, "no PostgreSQL or function process is left");
    assert.equal(existsSync(join(stateDir, "postgres", "data", "postmaster.pid")), false, "PostgreSQL shut down cleanly");
    assert.equal(existsSync(join(stateDir, "endpoints.json")), false);
    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once("error", reject).listen(port, "127.0.0.1", resolve));
    probe.close();
  });
});
