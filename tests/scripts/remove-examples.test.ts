import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { EXAMPLE_PATHS, main, removeExamples, withoutExamples } from "../../scripts/remove-examples";

const ROOT = join(__dirname, "..", "..");
/** A marker line, built at run time so that the script never takes this file's own text for one. */
const marker = (comment: string, word: "begin" | "end", rest = "") => `${comment} example:${word}${rest}`;
/** What only the examples name: no file of the platform may name them once they are removed. */
const EXAMPLE_NAMES = /number-fact|python-prime|PythonPrime|map-reduce|NUMBERS_API|UpstreamLatency/;

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    if (["node_modules", ".git"].includes(entry.name)) return [];
    const path = join(directory, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

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
    const copy = mkdtempSync(join(tmpdir(), "fork-broken-"));
    try {
      cpSync(join(ROOT, "examples"), join(copy, "examples"), { recursive: true });
      cpSync(join(ROOT, "Pulumi.dev.yaml"), join(copy, "Pulumi.dev.yaml"));
      cpSync(join(ROOT, "index.ts"), join(copy, "broken.ts"));
      const broken = `${readFileSync(join(copy, "broken.ts"), "utf8")}\n${marker("//", "begin")}\n`;
      writeFileSync(join(copy, "broken.ts"), broken);
      let printed = "";
      assert.equal(await main([], (text) => void (printed += text), copy), 1);
      assert.match(printed, /nothing was changed\. broken\.ts:\d+: example:begin has no example:end/);
      assert.ok(existsSync(join(copy, "examples")), "the examples are still there");
      assert.equal(readFileSync(join(copy, "Pulumi.dev.yaml"), "utf8"), readFileSync(join(ROOT, "Pulumi.dev.yaml"), "utf8"));
      printed = "";
      assert.equal(await main(["--bogus"], (text) => void (printed += text), copy), 2);
      assert.match(printed, /usage: npm run examples:remove/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
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

      // Nothing of the examples is left in the platform's code, tests or stack files (the README's prose may mention them).
      const ownFiles = new Set(["scripts/remove-examples.ts", "tests/scripts/remove-examples.test.ts"]);
      const leftovers = filesUnder(copy)
        .map((file) => relative(copy, file))
        .filter((file) => /\.(ts|mjs|json|ya?ml|html)$/.test(file) && !ownFiles.has(file) && file !== "package-lock.json")
        .filter(
          (file) =>
            EXAMPLE_NAMES.test(readFileSync(join(copy, file), "utf8")) ||
            /example:(begin|end)/.test(readFileSync(join(copy, file), "utf8")),
        );
      assert.deepEqual(leftovers, []);
      assert.doesNotMatch(
        readFileSync(join(copy, "README.md"), "utf8"),
        /`functions\.<name>` \(names: `number-fact`/,
        "the reference is generated again",
      );

      const inCopy = (args: string[]) =>
        execFileSync(process.execPath, args, { cwd: copy, encoding: "utf8", env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" } });
      const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
      inCopy([join(ROOT, "node_modules", "prettier", "bin", "prettier.cjs"), "--check", "**/*.{ts,mjs}"]);
      inCopy([tsc, "--noEmit", "-p", "."]);
      inCopy([tsc, "--noEmit", "-p", "app"]);
      for (const stack of ["dev", "prod"]) {
        const plan = inCopy(["-r", "ts-node/register", "scripts/plan.ts", "--stack", stack]);
        assert.match(plan, /Policies: 0 mandatory/, stack);
        assert.doesNotMatch(plan, EXAMPLE_NAMES, stack);
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
