// Bundles every handler in handlers/ into dist/<name>.mjs: ES modules, tree-shaken, minified, with
// source maps. The Dockerfile runs this in a stage on the build machine's own platform; the output is
// plain JavaScript, so the same bundles serve arm64 and x86_64 images.
import { build } from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const appDir = dirname(fileURLToPath(import.meta.url));
const outdir = process.env.APP_DIST_DIR ?? join(appDir, "dist");
const handlers = readdirSync(join(appDir, "handlers")).filter((file) => file.endsWith(".ts"));

/** Resolves the SDK's credential provider chains to the environment provider (lambda-credentials.mjs). */
const lambdaCredentials = {
  name: "lambda-credentials",
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/(credential-providers|credential-provider-node)$/ }, () => ({
      path: join(appDir, "lambda-credentials.mjs"),
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: handlers.map((file) => join(appDir, "handlers", file)),
  outdir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node22",
  minify: true,
  treeShaking: true,
  sourcemap: true,
  metafile: true,
  // The AWS SDK v3 in the runtime is not pinned to our tested versions: bundle what we use.
  // Some dependencies still call require(); give ESM bundles a require that works.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  plugins: [lambdaCredentials],
  logLevel: "warning",
});

for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith(".mjs")) console.log(`${file}\t${output.bytes} bytes`);
}
