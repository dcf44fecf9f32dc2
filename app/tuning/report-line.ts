/** What Lambda's REPORT line says about one invocation. */
export interface InvocationReport {
  durationMs: number;
  billedDurationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  /** Present on a cold start only. */
  initDurationMs?: number;
  /** Present when the environment was restored from a snapshot (SnapStart). */
  restoreDurationMs?: number;
}

const TEXT_FIELDS: [keyof InvocationReport, RegExp][] = [
  ["durationMs", /\tDuration: ([\d.]+) ms/],
  ["billedDurationMs", /\tBilled Duration: ([\d.]+) ms/],
  ["memorySizeMb", /\tMemory Size: (\d+) MB/],
  ["maxMemoryUsedMb", /\tMax Memory Used: (\d+) MB/],
  ["initDurationMs", /\tInit Duration: ([\d.]+) ms/],
  ["restoreDurationMs", /\tRestore Duration: ([\d.]+) ms/],
];

/**
 * Finds the REPORT of an invocation in the tail of its log (the last 4 KB, which `Invoke` with
 * `LogType: Tail` returns), in either of Lambda's log formats: text (`REPORT RequestId: ...`) or JSON
 * (a `platform.report` record). A warm invocation has no init duration in either format. Returns
 * undefined when the tail holds no report.
 */
export function parseReport(logTail: string): InvocationReport | undefined {
  for (const line of logTail.split("\n").reverse()) {
    const trimmed = line.trim();
    if (trimmed.startsWith("{")) {
      const report = fromJson(trimmed);
      if (report) return report;
    } else if (trimmed.startsWith("REPORT ")) {
      return fromText(`${trimmed}\t`.replace(/^REPORT /, "\t"));
    }
  }
  return undefined;
}

function fromText(line: string): InvocationReport | undefined {
  const values: Partial<Record<keyof InvocationReport, number>> = {};
  for (const [field, pattern] of TEXT_FIELDS) {
    const match = pattern.exec(line);
    if (match) values[field] = Number(match[1]);
  }
  return complete(values);
}

function fromJson(line: string): InvocationReport | undefined {
  let record: any;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (record?.type !== "platform.report") return undefined;
  const metrics = record.record?.metrics ?? {};
  return complete({
    durationMs: metrics.durationMs,
    billedDurationMs: metrics.billedDurationMs,
    memorySizeMb: metrics.memorySizeMB,
    maxMemoryUsedMb: metrics.maxMemoryUsedMB,
    initDurationMs: metrics.initDurationMs,
    restoreDurationMs: metrics.restoreDurationMs,
  });
}

function complete(values: Partial<Record<keyof InvocationReport, number>>): InvocationReport | undefined {
  const { durationMs, billedDurationMs, memorySizeMb, maxMemoryUsedMb, initDurationMs, restoreDurationMs } = values;
  if ([durationMs, billedDurationMs, memorySizeMb, maxMemoryUsedMb].some((value) => typeof value !== "number" || Number.isNaN(value)))
    return undefined;
  return {
    durationMs: durationMs!,
    billedDurationMs: billedDurationMs!,
    memorySizeMb: memorySizeMb!,
    maxMemoryUsedMb: maxMemoryUsedMb!,
    ...(typeof initDurationMs === "number" && { initDurationMs }),
    ...(typeof restoreDurationMs === "number" && { restoreDurationMs }),
  };
}
