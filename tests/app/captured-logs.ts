/**
 * Runs `work` and returns the JSON lines it wrote to stdout and stderr (Powertools' Logger and Metrics
 * write there, as Lambda collects them), keeping them out of the test output. Lines that are not JSON
 * are kept as { text }.
 */
export async function capturedLogs<T>(work: () => Promise<T>): Promise<{ result?: T; error?: unknown; lines: any[] }> {
  const written: string[] = [];
  const { stdout, stderr } = process;
  const original = { out: stdout.write, err: stderr.write };
  const capture = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof stdout.write;
  stdout.write = capture;
  stderr.write = capture;
  try {
    return { result: await work(), lines: parse(written) };
  } catch (error) {
    return { error, lines: parse(written) };
  } finally {
    stdout.write = original.out;
    stderr.write = original.err;
  }
}

function parse(written: string[]): any[] {
  return written
    .join("")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        return { text: line };
      }
    });
}
