import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { listStacks } from "../../config";
import { editFunctionSettings, StackFileEditRefused } from "../../scripts/stack-file-edit";

const FUNCTIONS = "graviton-platform:functions";

/** The lines of `after` that are not in `before`, and the reverse: what a reviewer sees in the diff. */
function changedLines(before: string, after: string): { added: string[]; removed: string[] } {
  const [a, b] = [before.split("\n"), after.split("\n")];
  return { added: b.filter((line) => !a.includes(line)), removed: a.filter((line) => !b.includes(line)) };
}

describe("editing a stack file's function settings (npm run tune -- --apply)", () => {
  for (const stack of listStacks())
    it(`Pulumi.${stack}.yaml: only the function's lines change; every comment, flow list and quote stays`, () => {
      const text = readFileSync(`Pulumi.${stack}.yaml`, "utf8");
      const { text: edited } = editFunctionSettings(text, {
        group: FUNCTIONS,
        name: "get-job",
        settings: { memory: 3008, architecture: "x86_64" },
      });
      const diff = changedLines(text, edited);
      assert.deepEqual(diff.removed, []);
      assert.ok(diff.added.length >= 2 && diff.added.length <= 4, diff.added.join("\n"));
      assert.ok(
        diff.added.some((line) => /^\s+memory: 3008$/.test(line)) && diff.added.some((line) => /^\s+architecture: x86_64$/.test(line)),
      );
      const config = parse(edited).config;
      assert.deepEqual([config[FUNCTIONS]["get-job"].memory, config[FUNCTIONS]["get-job"].architecture], [3008, "x86_64"]);
      assert.equal(
        edited.split("\n").filter((line) => line.trim().startsWith("#")).length,
        text.split("\n").filter((line) => line.trim().startsWith("#")).length,
      );
    });

  it("replaces a value in place (its comment kept), adds a key under its function, a function under its group, a group under config", () => {
    const text =
      "# top\nconfig:\n  aws:region: eu-west-1 # where\n  graviton-platform:functions:\n    primes:\n      memory: 1024 # tuned 2026-11\n      compareArchitectures: true\n    worker:\n      timeout: 60\n";
    const replaced = editFunctionSettings(text, { group: FUNCTIONS, name: "primes", settings: { memory: 1769 } });
    assert.equal(replaced.text, text.replace("memory: 1024 # tuned", "memory: 1769 # tuned"));
    assert.deepEqual(replaced.changes, ["primes.memory: 1024 -> 1769"]);
    const added = editFunctionSettings(text, { group: FUNCTIONS, name: "primes", settings: { architecture: "x86_64" } });
    assert.equal(
      added.text,
      text.replace("      compareArchitectures: true\n", "      compareArchitectures: true\n      architecture: x86_64\n"),
    );
    const newFunction = editFunctionSettings(text, { group: FUNCTIONS, name: "get-job", settings: { memory: 512 } });
    assert.equal(newFunction.text, `${text}    get-job:\n      memory: 512\n`);
    const newGroup = editFunctionSettings(text, { group: "graviton-platform:ownImageFunctions", name: "f", settings: { memory: 512 } });
    assert.equal(newGroup.text, `${text}  graviton-platform:ownImageFunctions:\n    f:\n      memory: 512\n`);
    // No trailing newline at the end of the file: the line still starts on a line of its own.
    assert.equal(
      editFunctionSettings(text.trimEnd(), { group: FUNCTIONS, name: "worker", settings: { memory: 2048 } }).text,
      `${text}      memory: 2048\n`,
    );
  });

  it("refuses, untouched, what it cannot edit without changing something else: anchors, aliases, merge keys, flow maps, quoted values, bad YAML", () => {
    const refused = (text: string, settings: Record<string, string | number> = { memory: 512 }) => {
      try {
        editFunctionSettings(text, { group: FUNCTIONS, name: "primes", settings });
      } catch (error) {
        assert.ok(error instanceof StackFileEditRefused, String(error));
        return error.message;
      }
      return assert.fail("expected a refusal");
    };
    assert.match(
      refused("config:\n  graviton-platform:functions:\n    primes: &shared\n      memory: 256\n    worker: *shared\n"),
      /carries an anchor \(&shared\)/,
    );
    assert.match(refused("config:\n  graviton-platform:functions:\n    primes: *shared\n"), /not valid YAML|alias/);
    assert.match(refused("x: &d\n  memory: 1\nconfig:\n  graviton-platform:functions:\n    primes:\n      <<: *d\n"), /merge key/);
    assert.match(refused("config:\n  graviton-platform:functions:\n    primes: { memory: 256 }\n"), /flow map/);
    assert.match(refused('config:\n  graviton-platform:functions:\n    primes:\n      memory: "256"\n'), /not a plain value/);
    assert.match(refused("config:\n  graviton-platform:functions: [oops\n"), /not valid YAML/);
    assert.match(
      refused("config:\n  graviton-platform:functions:\n    primes:\n      memory: 256\n", { architecture: "arm64 # x" }),
      /not a value this edit writes/,
    );
  });
});
