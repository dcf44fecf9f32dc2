/** A command's entry point: its arguments and a writer in, an exit code out. */
export type CommandMain = (argv: string[], write: (text: string) => void) => Promise<number>;

/**
 * Runs a command from the shell and exits with its code only once everything it wrote has been handed
 * to stdout. `process.exit` straight after writing cuts output through a pipe (at 64 KB) because pipe
 * writes are asynchronous.
 */
export function runCommand(main: CommandMain): void {
  main(process.argv.slice(2), (text) => process.stdout.write(text))
    .catch((error: Error) => {
      process.stderr.write(`${error.message}\n`);
      return 1;
    })
    .then((code) => {
      process.exitCode = code;
      process.stdout.write("", () => process.exit(code));
    });
}
