import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main, withoutExamples } from "../../scripts/remove-examples";
// example:begin the test that removes them from a copy of this checkout
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, symlinkSync } from "node:fs";
import { relative } from "node:path";
import { EXAMPLE_PATHS, removeExamples } from "../../scripts/remove-examples";
import { REFERENCE_FILE } from "../../scripts/config-reference";
import { listStacks } from "../../config";
// example:end

/** A marker line, built at run time so that the script never takes this file's own text for one. */
const marker = (comment: string, word: "begin" | "end", rest = "") => `${comment} example:${word}${rest}`;

describe("npm run examples:remove: a fork keeps the platform, not the demos", function () {
  this.timeout(180_000);

  it("takes out each block with its markers, in every comment style, and leaves the rest byte for byte", () => {
    const text = [
      "keep 1",
      marker("//", "begin", " the demos"),
      "gone",
      marker("  //", "end"),
      "keep 2\r",
      marker("#", "begin"),
      "gone: yaml",
      marker("    #", "end"),
      marker("<!--", "begin", " -->"),
      "gone: markdown",
      marker("<!--", "end", " -->"),
      marker("  %%", "begin"),
      "gone: mermaid",
      marker("  %%", "end"),
      "not a marker: // example:begin in the middle of a line",
      "",
    ].join("\n");
    assert.equal(withoutExamples(text, "f"), "keep 1\nkeep 2\r\nnot a marker: // example:begin in the middle of a line\n");
    assert.equal(withoutExamples("no markers\n", "f"), "no markers\n");
  });

  it("refuses an unpaired or nested marker by file and line, and then changes nothing", async () => {
    assert.throws(() => withoutExamples(`a\n${marker("//", "begin")}\nb`, "x.ts"), /x\.ts:2: example:begin has no example:end/);
    assert.throws(() => withoutExamples(`${marker("#", "end")}`, "y.yaml"), /y\.yaml:1: example:end without an example:begin/);
    assert.throws(
      () => withoutExamples([marker("//", "begin"), marker("//", "begin"), marker("//", "end")].join("\n"), "z.ts"),
      /z\.ts:2: example:begin inside the block opened at line 1/,
    );
    const project = mkdtempSync(join(tmpdir(), "fork-broken-"));
    try {
      const stack = ["config:", marker("  #", "begin"), "  demo: true", marker("  #", "end"), ""].join("\n");
      writeFileSync(join(project, "Pulumi.dev.yaml"), stack);
      writeFileSync(join(project, "broken.ts"), `export const a = 1;\n${marker("//", "begin")}\n`);
      let printed = "";
      assert.equal(await main([], (text) => void (printed += text), project), 1);
      assert.match(printed, /nothing was changed\. broken\.ts:2: example:begin has no example:end/);
      assert.equal(readFileSync(join(project, "Pulumi.dev.yaml"), "utf8"), stack, "the valid block is still there");
      printed = "";
      assert.equal(await main(["--bogus"], (text) => void (printed += text), project), 2);
      assert.match(printed, /usage: npm run examples:remove/);
      rmSync(join(project, "broken.ts"));
      rmSync(join(project, "Pulumi.dev.yaml"));
      printed = "";
      assert.equal(await main([], (text) => void (printed += text), project), 0);
      assert.equal(printed, "No examples left to remove.\n");
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  // example:begin the test that removes them from a copy of this checkout
  /** What only the examples name: no file of the platform may name them once they are removed. */
  const EXAMPLE_NAMES = /number-fact|python-prime|PythonPrime|map-reduce|NUMBERS_API|UpstreamLatency/;
  const ROOT = join(__dirname, "..", "..");
  const filesUnder = (directory: string): string[] =>
    readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
      if (["node_modules", ".git"].includes(entry.name)) return [];
      const path = join(directory, entry.name);
      return entry.isDirectory() ? filesUnder(path) : [path];
    });

  it("on a copy of this checkout: the examples go, and what is left is formatted, type-checks and plans both stacks with 0 mandatory violations", () => {
    const copy = mkdtempSync(join(tmpdir(), "fork-"));
    try {
      cpSync(ROOT, copy, {
        recursive: true,
        filter: (source) => !/(^|\/)(node_modules|\.git|\.dev|dist)(\/|$)/.test(relative(ROOT, source)),
      });
      symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
      const dryRun = removeExamples(copy, { dryRun: true });
      assert.ok(existsSync(join(copy, "examples")), "a dry run changes nothing");
      const { deleted, edited } = removeExamples(copy);
      assert.deepEqual([deleted, edited], [dryRun.deleted, dryRun.edited]);
      assert.deepEqual(deleted, EXAMPLE_PATHS, "every path it lists exists in this checkout");
      for (const path of EXAMPLE_PATHS) assert.ok(!existsSync(join(copy, path)), path);
      assert.ok(edited.includes("Pulumi.dev.yaml") && edited.includes("app/functions.ts") && edited.includes("README.md"));

      // Nothing of the examples is left in the platform's code, tests or stack files (the documentation's prose may mention them).
      // (This file's own text shows markers in the middle of lines, which are not markers.)
      const leftovers = filesUnder(copy)
        .map((file) => relative(copy, file))
        .filter((file) => /\.(ts|mjs|json|ya?ml|html)$/.test(file) && !["scripts/remove-examples.ts", "package-lock.json"].includes(file))
        .filter((file) => {
          const text = readFileSync(join(copy, file), "utf8");
          return EXAMPLE_NAMES.test(text) || (/example:(begin|end)/.test(text) && !file.endsWith("remove-examples.integration.test.ts"));
        });
      assert.deepEqual(leftovers, []);
      assert.doesNotMatch(
        readFileSync(join(copy, REFERENCE_FILE), "utf8"),
        /`functions\.<name>` \(names: `number-fact`/,
        "the reference is made again",
      );

      const inCopy = (args: string[]) =>
        execFileSync(process.execPath, args, { cwd: copy, encoding: "utf8", env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" } });
      const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
      inCopy([join(ROOT, "node_modules", "prettier", "bin", "prettier.cjs"), "--check", "**/*.{ts,mjs}"]);
      inCopy([tsc, "--noEmit", "-p", "."]);
      inCopy([tsc, "--noEmit", "-p", "app"]);
      for (const stack of listStacks(copy)) {
        const plan = inCopy(["-r", "ts-node/register", "scripts/plan.ts", "--stack", stack]);
        assert.match(plan, /Policies: 0 mandatory/, stack);
        assert.doesNotMatch(plan, EXAMPLE_NAMES, stack);
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
  // example:end
});
