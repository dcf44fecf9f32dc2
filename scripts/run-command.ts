/** A command's entry point: its arguments and a writer in, an exit code out. */
export type CommandMain = (argv: string[], write: (text: string) => void) => Promise<number>;

/** Whether the arguments ask for the command's usage. */
export const asksForHelp = (argv: string[]) => argv.includes("--help") || argv.includes("-h");

/**
 * Runs a command from the shell and exits with its code only once everything it wrote has been handed
 * to stdout. `process.exit` straight after writing cuts output through a pipe (at 64 KB) because pipe
 * writes are asynchronous. `--help` (or `-h`) prints `usage` and exits 0, whatever else is given.
 */
export function runCommand(main: CommandMain, usage: string): void {
  const argv = process.argv.slice(2);
  (asksForHelp(argv) ? Promise.resolve((process.stdout.write(`${usage}\n`), 0)) : main(argv, (text) => process.stdout.write(text)))
    .catch((error: Error) => {
      process.stderr.write(`${error.message}\n`);
      return 1;
    })
    .then((code) => {
      process.exitCode = code;
      process.stdout.write("", () => process.exit(code));
    });
}
