import dockerignore from "@balena/dockerignore";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";

/**
 * A digest of everything `docker build` would see: the files of `context` that its `.dockerignore`
 * lets through (matched exactly as Docker does), plus the Dockerfile. Same sources, same digest, so an
 * image tag made from it changes only when the image's inputs do.
 */
export function buildContextHash(context: string, dockerfile: string): string {
  const ignoreFile = join(context, ".dockerignore");
  const patterns = existsSync(ignoreFile) ? readFileSync(ignoreFile, "utf8").split(/\r?\n/) : [];
  const ignored = dockerignore({ ignorecase: false }).add(patterns);
  // A directory that is ignored can still hold re-included files (`!app/`), so only skip walking it
  // when no exception pattern reaches inside it.
  const exceptions = patterns
    .map((line) => line.trim())
    .filter((line) => line.startsWith("!"))
    .map((line) => line.slice(1).replace(/^\/+/, ""));
  const mayReinclude = (dir: string) =>
    exceptions.some((pattern) => pattern === dir || pattern.startsWith(`${dir}/`) || pattern.startsWith("*"));

  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(context, dir), { withFileTypes: true })) {
      const relative = dir ? posix.join(dir, entry.name) : entry.name;
      if (entry.isDirectory()) {
        if (!ignored.ignores(relative) || mayReinclude(relative)) walk(relative);
      } else if (!ignored.ignores(relative)) {
        files.push(relative);
      }
    }
  };
  walk("");

  const hash = createHash("sha256");
  for (const file of files.sort()) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(context, file)));
    hash.update("\0");
  }
  hash.update("Dockerfile\0");
  hash.update(readFileSync(dockerfile));
  return hash.digest("hex");
}
