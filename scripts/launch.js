// `npm run <command> [-- ...]` starts here: the command line is checked against the command's options
// (scripts/commands.json) in plain JavaScript, so `--help` and a usage error answer at once; only a command
// line that fits loads the command's TypeScript (scripts/typescript-loader.js) and runs it as its main module.
"use strict";
const Module = require("node:module");
const { join } = require("node:path");
const { COMMANDS, UsageError, asksForHelp, parseCommandLine } = require("./command-line");

const [name, ...argv] = process.argv.slice(2);
const command = COMMANDS[name];
if (!command) {
  process.stderr.write(`launch: no command ${JSON.stringify(name)}; the commands are ${Object.keys(COMMANDS).join(", ")}\n`);
  process.exitCode = 2;
} else if (asksForHelp(argv)) {
  process.stdout.write(`${command.usage}\n`);
} else {
  let values;
  try {
    ({ values } = parseCommandLine(name, argv));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${name}: ${error.message}\n${command.usage}\n`);
    process.exitCode = 2;
  }
  const heapSet = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((flag) => flag.includes("max-old-space-size"));
  if (values && command.heapBudget && values.stack && !heapSet) {
    // A command that evaluates a whole stack runs with a heap sized to the stack (scripts/heap-budget.js).
    const flags = require("./heap-budget").heapFlags(values["config-file"] ?? `Pulumi.${values.stack}.yaml`);
    const child = require("node:child_process").spawnSync(process.execPath, [...flags, __filename, name, ...argv], {
      stdio: "inherit",
    });
    process.exitCode = child.status ?? 1;
  } else if (values) {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    require("./typescript-loader").registerTypeScript();
    process.argv = [process.argv[0], join(__dirname, "..", command.script), ...argv];
    Module.runMain(); // as `node <script>` would: the command's module is require.main
  }
}
