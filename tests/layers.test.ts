import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = join(__dirname, "..");

/**
 * Who may import whom: app <- components <- config <- dev and scripts (the commands, which may use dev's
 * parts). Lower layers never reach up; dev does not reach into the commands.
 */
const MAY_IMPORT: Record<string, string[]> = {
  app: ["app"],
  components: ["app", "components"],
  config: ["app", "components", "config"],
  dev: ["app", "components", "config", "dev"],
  // npm run bench measures with the tests' own embedded PostgreSQL and event builders.
  scripts: ["app", "components", "config", "dev", "scripts", "policy", "tests"],
};

/** The source files under `folders` (what is installed or built left out), relative to the project; no git needed (CI's fork copy has none). */
function sourcesIn(folders: string[]): string[] {
  const walk = (folder: string): string[] =>
    readdirSync(join(ROOT, folder), { withFileTypes: true }).flatMap((entry) => {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) return ["node_modules", "dist"].includes(entry.name) ? [] : walk(path);
      return /\.(ts|mjs|js)$/.test(entry.name) ? [path] : [];
    });
  return folders.flatMap(walk);
}

/** The relative imports of a source file (import ... from, export ... from, require, import()). */
const importsOf = (text: string) =>
  [...text.matchAll(/(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*)["'](\.{1,2}\/[^"']+)["']/g)].map((match) => match[1]);

describe("the layout: no import runs from a lower layer to a higher one, no file holds several concepts", () => {
  it("app <- components <- config <- dev and scripts, over every source file", () => {
    const files = sourcesIn(Object.keys(MAY_IMPORT));
    const crossings: string[] = [];
    let checked = 0;
    for (const file of files) {
      const layer = file.split("/")[0];
      for (const specifier of importsOf(readFileSync(join(ROOT, file), "utf8"))) {
        const target = relative(ROOT, normalize(join(ROOT, dirname(file), specifier)));
        const targetLayer = target.includes("/") ? target.split("/")[0] : target.replace(/\.[a-z]+$/, "");
        checked++;
        if (!MAY_IMPORT[layer].includes(targetLayer)) crossings.push(`${file} imports ${specifier} (${targetLayer})`);
      }
    }
    assert.deepEqual(crossings, []);
    assert.ok(checked > 300, `${checked} imports checked`);
  });

  it("no source file of components/, dev/ or config/ is over 400 lines: one concept per file", () => {
    const files = sourcesIn(["components", "dev", "config"]);
    const long = files
      .map((file) => ({ file, lines: readFileSync(join(ROOT, file), "utf8").split("\n").length }))
      .filter(({ lines }) => lines > 400)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    assert.deepEqual(long, []);
  });

  it("the config loads no Pulumi: a stack is read and checked (by the commands, npm run dev) without loading the engine", () => {
    // In a process of its own, as a command loads them (scripts/typescript-loader.js): the @pulumi modules
    // loaded once each module (in this order) is.
    const modules = ["./config/index.ts", "./scripts/invoke.ts", "./components/container-function.ts"];
    const [config, invoke, component]: string[][] = JSON.parse(
      execFileSync(
        process.execPath,
        [
          "-e",
          `require("./scripts/typescript-loader").registerTypeScript();
           const pulumi = () => Object.keys(require.cache).filter((file) => file.includes("/node_modules/@pulumi/"));
           process.stdout.write(JSON.stringify(${JSON.stringify(modules)}.map((module) => (require(module), pulumi()))));`,
        ],
        { cwd: ROOT, encoding: "utf8" },
      ),
    );
    assert.deepEqual(config, [], "config/ (and the settings of components/ it reads) must not import Pulumi");
    assert.deepEqual(invoke, []);
    // The check can fail: the program itself loads it.
    assert.ok(component.length > 0);
  });

  it("reads every kind of relative import: import and export from, require, import()", () => {
    assert.deepEqual(
      importsOf('import type { X } from "../config";\nexport { y } from "./y";\nrequire("../scripts/z");\nawait import("../app/w")'),
      ["../config", "./y", "../scripts/z", "../app/w"],
    );
  });
});
