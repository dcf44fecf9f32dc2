// Loaded first by mocha (.mocharc.json): the tests' TypeScript runs through the same loader as the
// commands' (scripts/typescript-loader.js, esbuild, no type check: `npm run typecheck` does that).
require("../scripts/typescript-loader").registerTypeScript();
