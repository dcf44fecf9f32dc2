import { asksForHelp, COMMANDS, UsageError } from "./command-line";

/** A command's entry point: its arguments and a writer in, an exit code out. */
export type CommandMain = (argv: string[], write: (text: string) => void) => Promise<number>;

/**
 * Runs a command from the shell and exits with its code only once everything it wrote has been handed
 * to stdout. `process.exit` straight after writing cuts output through a pipe (at 64 KB) because pipe
 * writes are asynchronous. `--help` (or `-h`) prints the command's usage (scripts/commands.json) and
 * exits 0, whatever else is given; a command line that does not fit its options is a usage error, exit 2;
 * an error the command did not catch is printed after the command's name, exit 1.
 */
export function runCommand(name: string, main: CommandMain): void {
  const argv = process.argv.slice(2);
  const { usage } = COMMANDS[name];
  (asksForHelp(argv) ? Promise.resolve((process.stdout.write(`${usage}\n`), 0)) : main(argv, (text) => process.stdout.write(text)))
    .catch((error: Error) => {
      if (error instanceof UsageError) {
        process.stderr.write(`${name}: ${error.message}\n${usage}\n`);
        return 2;
      }
      process.stderr.write(`${name}: ${error.message}\n`);
      return 1;
    })
    .then((code) => {
      process.exitCode = code;
      process.stdout.write("", () => process.exit(code));
    });
}
