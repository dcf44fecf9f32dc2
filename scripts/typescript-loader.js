// The commands' and the tests' TypeScript, transpiled file by file as Node requires it, with esbuild (the
// app's bundler, already installed): it starts in a fraction of the time the TypeScript compiler takes to
// load, so a command answers at once and the tests start sooner. It checks no types: `npm run typecheck` does.
"use strict";
const { readFileSync } = require("node:fs");

/** From now on, `require` of a .ts file runs its transpiled code, and stack traces name the TypeScript lines. */
function registerTypeScript() {
  const { transformSync } = require("esbuild");
  process.setSourceMapsEnabled(true);
  require.extensions[".ts"] = (module, filename) => {
    const { code } = transformSync(readFileSync(filename, "utf8"), {
      loader: "ts",
      format: "cjs",
      target: "node20",
      sourcefile: filename,
      sourcemap: "inline",
      // import() of a module of the project becomes require(), as TypeScript compiles it for CommonJS: Node's
      // own import() would look for the file as written, with no .ts (the commands load their work so).
      supported: { "dynamic-import": false },
    });
    module._compile(code, filename);
  };
}

module.exports = { registerTypeScript };
