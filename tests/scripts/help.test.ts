import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const ROOT = join(__dirname, "..", "..");

/** The project's commands: every npm script that runs a file of scripts/ (the one list is package.json). */
const COMMANDS = Object.entries(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>).flatMap(
  ([name, script]) => {
    const file = /\bscripts\/[\w-]+\.ts\b/.exec(script)?.[0];
    return file ? [{ name, file }] : [];
  },
);

describe("every command answers --help", function () {
  this.timeout(120_000);
  it("with its usage, exit 0, and nothing else done (run as npm runs it, each in its own process)", async () => {
    assert.ok(COMMANDS.length >= 12, COMMANDS.map((command) => command.name).join(", "));
    const answers = await Promise.all(
      COMMANDS.map(async ({ name, file }) => {
        const { stdout } = await promisify(execFile)(process.execPath, ["-r", "ts-node/register", file, "--help"], {
          cwd: ROOT,
          env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
          timeout: 90_000,
        });
        return { name, stdout };
      }),
    );
    for (const { name, stdout } of answers)
      assert.match(stdout, new RegExp(`^usage: npm run ${name}\\b`), `${name}: ${stdout.slice(0, 300)}`);
  });
});
