import { execFileSync } from "node:child_process";
import { join } from "node:path";

/** Where the handlers' bundles are built for local runs (ignored by git): the same esbuild build the image runs. */
export const LOCAL_DIST = join(__dirname, "..", "..", "app", "dist");

/** Builds every handler into LOCAL_DIST with app/build.mjs; a build error throws with esbuild's message. */
export function buildBundles(): void {
  try {
    execFileSync(process.execPath, [join(__dirname, "..", "..", "app", "build.mjs")], {
      env: { ...process.env, APP_DIST_DIR: LOCAL_DIST },
      stdio: "pipe",
    });
  } catch (error) {
    throw new Error(`The app's bundles did not build (app/build.mjs):\n${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`);
  }
}

/** The bundle and export of a handler (`worker.handler` -> app/dist/worker.mjs, "handler"). */
export function bundleOf(handler: string): { bundle: string; exportName: string } {
  const [file, exportName] = handler.split(".");
  return { bundle: join(LOCAL_DIST, `${file}.mjs`), exportName };
}
