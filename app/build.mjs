// Bundles every handler in handlers/ into dist/<name>.mjs: ES modules, tree-shaken, minified, with
// source maps. The Dockerfile runs this in a stage on the build machine's own platform; the output is
// plain JavaScript, so the same bundles serve arm64 and x86_64 images.
import { build } from "esbuild";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

/**
 * pg decides at import whether it runs on Cloudflare Workers by constructing a `Response`, which on
 * Node 20 loads the whole fetch implementation (undici): ~35 ms of every cold start of every function
 * that uses the database. These bundles run on Lambda's Node.js only, where the answer is always no
 * (Node 22's `navigator` answers it without the Response). Fails the build if pg's code changes shape.
 */
const nodeOnlyPg = {
  name: "node-only-pg",
  setup(build) {
    build.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      const check = "if (isCloudflareRuntime()) {";
      if (!source.includes(check))
        throw new Error(`${args.path} no longer has "${check}": review the node-only-pg plugin in app/build.mjs`);
      return { contents: source.replace(check, "if (false) {"), loader: "js" };
    });
  },
};

/** How every bundle is built. */
const options = {
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node22",
  minify: true,
  treeShaking: true,
  // The AWS SDK v3 in the runtime is not pinned to our tested versions: bundle what we use.
  // Some dependencies still call require(); give ESM bundles a require that works.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  plugins: [lambdaCredentials, nodeOnlyPg],
  logLevel: "warning",
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  ...options,
  entryPoints: handlers.map((file) => join(appDir, "handlers", file)),
  outdir,
  outExtension: { ".js": ".mjs" },
  sourcemap: true,
  metafile: true,
});

// For npm run bench: the floor of every handler's cold start, an empty handler in the telemetry every handler has.
if (process.env.APP_FLOOR_BUNDLE) {
  const contents = 'import { instrumented } from "./observability/telemetry"; export const handler = instrumented(async () => ({}));';
  await build({ ...options, stdin: { contents, resolveDir: appDir, loader: "ts" }, outfile: process.env.APP_FLOOR_BUNDLE });
}

// What each bundle holds, input by input (npm run bench prints it per package for a handler over its budget).
if (process.env.APP_METAFILE) writeFileSync(process.env.APP_METAFILE, JSON.stringify(result.metafile));

for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith(".mjs")) console.log(`${file}\t${output.bytes} bytes`);
}
