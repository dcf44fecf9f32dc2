import { strict as assert } from "node:assert";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

const ROOT = join(__dirname, "..");
const DOCUMENTS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((file) => file.endsWith(".md"))
    .map((file) => `docs/${file}`),
];

/** Markdown outside fenced code blocks. */
const prose = (text: string) => text.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "");

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

const anchorsIn = (file: string) =>
  new Set([...prose(readFileSync(join(ROOT, file), "utf8")).matchAll(/^#{1,6}\s+(.+)$/gm)].map((match) => anchorOf(match[1])));

describe("the documentation: a short README that starts with the Quickstart, the rest in docs/, every link resolving", () => {
  it("the README is at most 400 lines and its Quickstart starts within the first 60", () => {
    const lines = readFileSync(join(ROOT, "README.md"), "utf8").split("\n");
    assert.ok(lines.length <= 400, `${lines.length} lines`);
    const quickstart = lines.findIndex((line) => line === "## Quickstart");
    assert.ok(quickstart >= 0 && quickstart < 60, `the Quickstart is at line ${quickstart + 1}`);
  });

  it("every relative link, and every #anchor, of README.md and docs/ names a file and heading that exist", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of DOCUMENTS) {
      for (const [, target] of prose(readFileSync(join(ROOT, file), "utf8")).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
        checked++;
        const [path, anchor] = target.split("#");
        const linked = path ? normalize(join(dirname(file), path)) : file;
        if (!existsSync(join(ROOT, linked))) broken.push(`${file}: ${target} (no ${linked})`);
        else if (anchor !== undefined && linked.endsWith(".md") && !anchorsIn(linked).has(anchor))
          broken.push(`${file}: ${target} (no heading #${anchor} in ${linked})`);
      }
    }
    assert.deepEqual(broken, []);
    assert.ok(checked >= 12, `${checked} links checked`);
  });

  it("the README links every page of docs/", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const file of DOCUMENTS.filter((file) => file.startsWith("docs/"))) assert.ok(readme.includes(`](${file}`), file);
  });
});
