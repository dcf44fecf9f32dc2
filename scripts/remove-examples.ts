// npm run examples:remove [-- --dry-run]
// A fork keeps the platform, not the demos: this takes the examples out in one step. It deletes their
// own files (EXAMPLE_PATHS) and, in the project's source, tests, stack files and documentation, every block
// from a line `<comment> example:begin` to its `<comment> example:end` (`//`, `#`, `<!--`, or `%%` in a
// Mermaid diagram), then formats the code it edited and writes the configuration reference
// again. What is left (the async path, the database, power tuning, observability, the policies)
// type-checks, evaluates with 0 mandatory violations on every stack, and passes its tests: CI removes
// the examples from a copy of the checkout and runs the whole suite on it. Nothing is changed if any
// block is unpaired.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { runCommand } from "./run-command";
import { COMMANDS, parseCommandLine } from "./command-line";

const USAGE = COMMANDS["examples:remove"].usage;

/** The examples' own files and folders, relative to the project. */
export const EXAMPLE_PATHS = [
  // PythonPrime (seed 000) and map-reduce (seed 003): functions with their own image, and their tests.
  "examples",
  "tests/examples",
  // The HTTP demos of the app image (number-fact, primes), their sample events and tests.
  "app/handlers/number-fact.ts",
  "app/handlers/primes.ts",
  "app/core/number-fact.ts",
  "app/events/number-fact.json",
  "app/events/primes.json",
  "tests/app/number-fact-handler.test.ts",
  "tests/app/primes-handler.test.ts",
];

/** Folders that hold nothing of the project's own text: what is installed, generated or local state. */
const SKIPPED = new Set(["node_modules", ".git", ".dev", "dist"]);
const TEXT_FILE = /\.(ts|mjs|js|json|ya?ml|html|md)$/;
const FENCE = /^[ \t]*(?:\/\/|#|<!--|%%)[ \t]*example:(begin|end)\b/;

/** `text` without its example blocks, fences included; an unpaired or nested fence is an error naming its line. */
export function withoutExamples(text: string, file: string): string {
  const kept: string[] = [];
  let openedAt: number | undefined;
  text.split("\n").forEach((line, index) => {
    const fence = FENCE.exec(line)?.[1];
    if (fence === "begin") {
      if (openedAt !== undefined) throw new Error(`${file}:${index + 1}: example:begin inside the block opened at line ${openedAt + 1}`);
      openedAt = index;
    } else if (fence === "end") {
      if (openedAt === undefined) throw new Error(`${file}:${index + 1}: example:end without an example:begin`);
      openedAt = undefined;
    } else if (openedAt === undefined) kept.push(line);
  });
  if (openedAt !== undefined) throw new Error(`${file}:${openedAt + 1}: example:begin has no example:end`);
  return kept.join("\n");
}

function textFiles(root: string, directory = root): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : textFiles(root, path);
    return entry.isFile() && TEXT_FILE.test(entry.name) ? [relative(root, path)] : [];
  });
}

/** Removes the examples from the project at `root`; with `dryRun`, only says what it would remove. */
export function removeExamples(root: string, options: { dryRun?: boolean } = {}): { deleted: string[]; edited: string[] } {
  const deleted = EXAMPLE_PATHS.filter((path) => existsSync(join(root, path)));
  const inDeleted = (file: string) => deleted.some((path) => file === path || file.startsWith(`${path}/`));
  // Every file is read and checked before anything is written.
  const edits = textFiles(root)
    .filter((file) => !inDeleted(file))
    .map((file) => {
      const text = readFileSync(join(root, file), "utf8");
      return { file, text, kept: withoutExamples(text, file) };
    })
    .filter(({ text, kept }) => kept !== text);
  if (!options.dryRun && (deleted.length > 0 || edits.length > 0)) {
    for (const path of deleted) rmSync(join(root, path), { recursive: true, force: true });
    for (const { file, kept } of edits) writeFileSync(join(root, file), kept);
    // What a block leaves may format differently (a list that now fits on a line), and the
    // configuration reference names the functions: both are made again from what is left.
    const run = (args: string[]) =>
      execFileSync(process.execPath, args, { cwd: root, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" }, stdio: "pipe" });
    const code = edits.map(({ file }) => file).filter((file) => /\.(ts|mjs)$/.test(file));
    if (code.length > 0) run([require.resolve("prettier/bin/prettier.cjs"), "--write", ...code]);
    run(["-r", "ts-node/register", "scripts/config-reference.ts"]);
  }
  return { deleted, edited: edits.map(({ file }) => file) };
}

export async function main(argv: string[], write: (text: string) => void, root = join(__dirname, "..")): Promise<number> {
  let dryRun: boolean;
  try {
    dryRun = Boolean(parseCommandLine("examples:remove", argv).values["dry-run"]);
  } catch (error) {
    write(`examples:remove: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  try {
    const { deleted, edited } = removeExamples(root, { dryRun });
    if (deleted.length === 0 && edited.length === 0) {
      write("No examples left to remove.\n");
      return 0;
    }
    write(
      `${dryRun ? "Would delete" : "Deleted"}:\n${deleted.map((path) => `  ${path}\n`).join("")}` +
        `${dryRun ? "Would take" : "Took"} the example blocks out of:\n${edited.map((file) => `  ${file}\n`).join("")}` +
        (dryRun ? "" : "\nThe platform is left: check it with npm run typecheck, npm test and npm run plan -- --stack dev.\n"),
    );
    return 0;
  } catch (error) {
    write(`examples:remove: nothing was changed. ${(error as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) runCommand("examples:remove", (argv, write) => main(argv, write));
