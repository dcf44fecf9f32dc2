import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { COMMANDS } from "../../scripts/command-line";

const ROOT = join(__dirname, "..", "..");
const run = promisify(execFile);
const SCRIPTS = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;

/** `npm run <name> -- <argv>` as npm runs it: the package.json script, with the arguments after it. */
const npmRun = (name: string, argv: string[], nodeOptions: string[] = []) => {
  const [node, ...args] = SCRIPTS[name].split(" ");
  assert.equal(node, "node");
  return run(process.execPath, [...nodeOptions, ...args, ...argv], { cwd: ROOT, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
};

describe("the commands: one table (scripts/commands.json), --help everywhere, usage errors before any TypeScript loads", function () {
  this.timeout(120_000);
  let probeDir: string;
  let probe: string;
  before(() => {
    probeDir = mkdtempSync(join(tmpdir(), "probe-"));
    probe = join(probeDir, "probe.js");
    // Reports every module of TypeScript's toolchain the process loads.
    writeFileSync(
      probe,
      `const Module = require("node:module"); const load = Module._load;
       Module._load = function (request, ...rest) { if (/^(ts-node|typescript)(\\/|$)/.test(request)) process.stderr.write("LOADED " + request + "\\n"); return load.call(this, request, ...rest); };`,
    );
  });
  after(() => rmSync(probeDir, { recursive: true, force: true }));

  it("every command of package.json goes through the launcher, and every command of the table has its script", () => {
    const launched = Object.entries(SCRIPTS).filter(([, script]) => script.startsWith("node scripts/launch.js"));
    assert.deepEqual(launched.map(([name]) => name).sort(), Object.keys(COMMANDS).sort());
    for (const [name, script] of launched) assert.equal(script, `node scripts/launch.js ${name}`);
    for (const command of Object.values(COMMANDS)) assert.ok(existsSync(join(ROOT, command.script)), command.script);
  });

  it("every command answers --help with its usage, exit 0, and loads no TypeScript for it", async () => {
    for (const name of Object.keys(COMMANDS)) {
      const { code, stdout, stderr } = await npmRun(name, ["--help"], ["--require", probe]);
      assert.equal(code, 0, name);
      assert.match(stdout, new RegExp(`^usage: npm run ${name}\\b`), name);
      assert.doesNotMatch(stderr, /LOADED/, name);
    }
  });

  it("a command line that does not fit is a usage error (exit 2, the usage) answered before TypeScript loads", async () => {
    for (const [name, argv] of [
      ["job", ["--bogus"]],
      ["dev", ["--port"]],
      ["plan", ["--stack"]],
      ["invoke", ["a", "b"]],
      ["stacks", ["--jsn"]],
      ["docs:config", ["extra"]],
      ["tune", ["--num", "3", "--bogus"]],
    ] as const) {
      const { code, stderr } = await npmRun(name, [...argv], ["--require", probe]);
      assert.equal(code, 2, `${name} ${argv.join(" ")}: ${stderr}`);
      assert.match(stderr, new RegExp(`^${name}: .+\\nusage: npm run ${name}\\b`), stderr);
      assert.doesNotMatch(stderr, /LOADED/, name);
    }
  });

  it("a command line that fits runs the command's TypeScript as its main module", async () => {
    const { code, stdout, stderr } = await npmRun("stacks", ["--json"], ["--require", probe]);
    assert.equal(code, 0, stderr);
    assert.ok(JSON.parse(stdout).some((entry: { stack: string }) => entry.stack === "dev"));
    assert.match(stderr, /LOADED ts-node/);
  });
});
