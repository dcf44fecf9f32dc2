// The project's commands and their command lines, read from one table (scripts/commands.json) by the
// launcher (scripts/launch.js), which checks a command line before any TypeScript loads, and by each
// command's own code. Plain JavaScript, so that a usage error costs no TypeScript compiler.
"use strict";
const { parseArgs } = require("node:util");
const COMMANDS = require("./commands.json");

/** A command line that does not fit the command's options: answered with the usage, exit 2. */
class UsageError extends Error {}

/** Whether the arguments ask for the command's usage. */
const asksForHelp = (argv) => argv.includes("--help") || argv.includes("-h");

/** `argv` parsed against the command's options (node:util parseArgs, strict), or a UsageError saying what is wrong. */
function parseCommandLine(name, argv) {
  const command = COMMANDS[name];
  if (!command) throw new Error(`There is no command ${JSON.stringify(name)}; the commands are ${Object.keys(COMMANDS).join(", ")}`);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: command.options, allowPositionals: Boolean(command.positionals), strict: true });
  } catch (error) {
    throw new UsageError(error.message);
  }
  if (parsed.positionals.length > (command.positionals ?? 0))
    throw new UsageError(`${parsed.positionals.length} arguments given where ${command.positionals ?? 0} at most are taken`);
  const unknown = parsed.positionals.filter((value) => command.positionalValues && !command.positionalValues.includes(value));
  if (unknown.length > 0)
    throw new UsageError(`${unknown.map((value) => JSON.stringify(value)).join(", ")}: name any of ${command.positionalValues.join(", ")}`);
  return parsed;
}

module.exports = { COMMANDS, UsageError, asksForHelp, parseCommandLine };
