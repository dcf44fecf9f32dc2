// npm run concurrency -- --stack dev [--since 1h] [--chart FILE]
// The concurrency hunt (seed 002): CloudWatch's Lambda metrics have 1-minute resolution, so a spike that
// lasts seconds hides in them. This runs the 1-second query (Little's law per second: invocations x
// p99.5 duration) over every function's log group, and prints each function's peak with its second, the
// rate and duration behind it, its limit and headroom, then the stack's total against the account's.
import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
  type ResultField,
} from "@aws-sdk/client-cloudwatch-logs";
import { GetAccountSettingsCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { describeValue } from "../app/core/describe-value";
import { AWS_LIMITS } from "../components/aws-limits";
import { CONCURRENCY_PER_SECOND } from "../components/observability/queries";
import { stackConfigFrom, type StackConfig } from "../config";
import { readStackConfig, stackFileOf } from "../config/stack-files";
import { runCommand } from "./run-command";
import { readStackOutputs, type StackOutputs } from "./stack-outputs";
import { svgOf } from "./vega-chart";
import { COMMANDS, parseCommandLine } from "./command-line";

const USAGE = COMMANDS["concurrency"].usage;
/** Logs Insights returns at most 10,000 rows: one per second, so a window of at most 10,000 s. */
export const MAX_WINDOW_SECONDS = 10_000;
/** Each AWS call gives up well within the command's own polling budget. */
const CALL_TIMEOUT_MS = 10_000;

/** One second of one function: how many invocations, their p99.5 duration, and the concurrency they imply. */
export interface Second {
  at: Date;
  invocations: number;
  p995DurationMs: number;
  concurrency: number;
}

/** `30m`, `1h`, `90s` -> seconds, within 1 minute and MAX_WINDOW_SECONDS. */
export function parseWindow(text: string): number {
  const match = /^(\d{1,5})(s|m|h)$/.exec(text);
  const seconds = match ? Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as "s" | "m" | "h"] : Number.NaN;
  if (!(seconds >= 60 && seconds <= MAX_WINDOW_SECONDS)) {
    throw new Error(
      `--since must be a duration like 30m or 1h, from 1m to ${MAX_WINDOW_SECONDS} s (2h46m: Logs Insights returns at most 10,000 one-second rows), got ${describeValue(text)}`,
    );
  }
  return seconds;
}

/** Logs Insights rows (field/value pairs, all strings) -> seconds; a row without usable numbers is left out. */
export function secondsOf(results: ResultField[][]): Second[] {
  const seconds: Second[] = [];
  for (const row of results) {
    const field = (name: string) => row.find((cell) => cell?.field === name)?.value;
    // Logs Insights prints bins as "2026-11-23 08:00:01.000", in UTC.
    const at = new Date(`${String(field("second")).replace(" ", "T")}Z`);
    const [invocations, p995DurationMs, concurrency] = ["invocations", "p995DurationMs", "concurrency"].map((name) => Number(field(name)));
    if (Number.isNaN(at.getTime()) || ![invocations, p995DurationMs, concurrency].every((value) => Number.isFinite(value) && value >= 0))
      continue;
    seconds.push({ at, invocations, p995DurationMs, concurrency });
  }
  return seconds.sort((a, b) => a.at.getTime() - b.at.getTime());
}

export interface HuntDependencies {
  outputs(stack: string): StackOutputs;
  /** @default the stack's file, read and checked as the program reads it */
  config?: (stack: string) => StackConfig;
  logs: CloudWatchLogsClient;
  lambda: LambdaClient;
  now?: () => Date;
  /** Between result checks. @default 1000 */
  pollIntervalMs?: number;
  /** Result checks per query before giving up on it. @default 120 */
  maxPolls?: number;
}

/** The log groups to search: each function of the stack and its twin, from the stack's outputs. */
function logGroupsOf(outputs: StackOutputs, config: StackConfig) {
  const deployed = (outputs.lambdaFunctions ?? {}) as Record<string, { logGroupName?: string; twin?: { logGroupName?: string } }>;
  // The app's functions and those with their own image, each with the most it may run at once.
  const functions = [...config.everyFunction.map((fn) => ({ name: fn.name, limit: fn.concurrencyLimit }))];
  return functions.flatMap((fn) => {
    const variants = [
      { label: fn.name, logGroupName: deployed[fn.name]?.logGroupName, limit: fn.limit },
      ...(deployed[fn.name]?.twin
        ? [{ label: `${fn.name} (twin)`, logGroupName: deployed[fn.name]!.twin!.logGroupName, limit: undefined }]
        : []),
    ];
    return variants.filter((variant): variant is typeof variant & { logGroupName: string } => typeof variant.logGroupName === "string");
  });
}

/** Runs the 1-second query on one log group, polling a bounded number of times; stops the query if it runs out. */
async function queryLogGroup(logGroupName: string, window: { start: Date; end: Date }, deps: HuntDependencies): Promise<Second[]> {
  const signal = () => AbortSignal.timeout(CALL_TIMEOUT_MS);
  const { queryId } = await deps.logs.send(
    new StartQueryCommand({
      logGroupName,
      startTime: Math.floor(window.start.getTime() / 1000),
      endTime: Math.ceil(window.end.getTime() / 1000),
      queryString: `${CONCURRENCY_PER_SECOND}\n| sort second asc\n| limit ${MAX_WINDOW_SECONDS}`,
    }),
    { abortSignal: signal() },
  );
  if (!queryId) throw new Error("StartQuery returned no query id");
  for (let poll = 0; poll < (deps.maxPolls ?? 120); poll++) {
    const response = await deps.logs.send(new GetQueryResultsCommand({ queryId }), { abortSignal: signal() });
    if (response.status === "Complete") return secondsOf(response.results ?? []);
    if (response.status !== "Running" && response.status !== "Scheduled")
      throw new Error(`the query ended ${describeValue(response.status)}`);
    await sleep(deps.pollIntervalMs ?? 1000);
  }
  await deps.logs.send(new StopQueryCommand({ queryId }), { abortSignal: signal() }).catch(() => undefined);
  throw new Error(`no result after ${deps.maxPolls ?? 120} checks; the query was stopped`);
}

const time = (date: Date) => date.toISOString().replace(".000Z", "Z");

export async function main(argv: string[], write: (text: string) => void, deps: HuntDependencies): Promise<number> {
  let stack: string, windowSeconds: number, chart: string | undefined;
  try {
    const { values } = parseCommandLine("concurrency", argv);
    if (!values.stack) throw new Error("--stack is required");
    stack = values.stack;
    stackFileOf(stack);
    windowSeconds = parseWindow(values.since!);
    chart = values.chart;
    if (chart !== undefined && !/\.svg$/i.test(chart)) throw new Error(`--chart must name an .svg file, got ${describeValue(chart)}`);
  } catch (error) {
    write(`concurrency: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }

  const config = (deps.config ?? ((name: string) => stackConfigFrom(readStackConfig(name))))(stack);
  const groups = logGroupsOf(deps.outputs(stack), config);
  if (groups.length === 0) {
    write(
      `The stack ${stack} has no function log groups in its outputs (lambdaFunctions.*.logGroupName): deploy it with this version first.\n`,
    );
    return 1;
  }
  const end = deps.now?.() ?? new Date();
  const window = { start: new Date(end.getTime() - windowSeconds * 1000), end };
  write(`Concurrency at 1-second resolution, ${time(window.start)} to ${time(window.end)}, stack ${stack}\n\n`);

  const series: { label: string; limit?: number; seconds: Second[] }[] = [];
  let failed = 0;
  for (const group of groups) {
    try {
      series.push({ label: group.label, limit: group.limit, seconds: await queryLogGroup(group.logGroupName, window, deps) });
    } catch (error) {
      failed++; // one function's failed query costs the others nothing
      write(`  ${group.label}: ${(error as Error).message} (${group.logGroupName})\n`);
    }
  }

  write("| function | peak concurrency | at (UTC) | invocations that second | p99.5 duration | limit | headroom |\n");
  write("|---|---:|---|---:|---:|---:|---:|\n");
  for (const { label, limit, seconds } of series) {
    const peak = seconds.reduce<Second | undefined>(
      (best, second) => (!best || second.concurrency > best.concurrency ? second : best),
      undefined,
    );
    if (!peak) {
      write(`| ${label} | 0 | (no invocations) | 0 | - | ${limit ?? "unreserved"} | - |\n`);
      continue;
    }
    const headroom =
      limit === undefined
        ? "-"
        : `${Math.round((limit - peak.concurrency) * 10) / 10}${peak.concurrency >= limit ? " (at the limit: throttled)" : ""}`;
    write(
      `| ${label} | ${peak.concurrency.toFixed(1)} | ${time(peak.at)} | ${peak.invocations} | ${peak.p995DurationMs.toFixed(0)} ms | ${limit ?? "unreserved"} | ${headroom} |\n`,
    );
  }

  // The stack's total per second, against what the account allows (as the capacity policy counts it).
  const total = new Map<number, number>();
  for (const { seconds } of series)
    for (const second of seconds) total.set(second.at.getTime(), (total.get(second.at.getTime()) ?? 0) + second.concurrency);
  const [peakAt, peakTotal] = [...total].reduce((best, entry) => (entry[1] > best[1] ? entry : best), [0, 0]);
  // Without the account's limit the rest of the report still stands.
  const accountLimit = await deps.lambda
    .send(new GetAccountSettingsCommand({}), { abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS) })
    .then((settings) => settings.AccountLimit?.ConcurrentExecutions)
    .catch((error: Error) => void write(`\n(The account's concurrency limit could not be read: ${error.message})\n`));
  const reserved = config.everyFunction.reduce((sum, fn) => sum + (fn.reservedConcurrency ?? 0), 0);
  write(
    `\nStack total: ${peakTotal.toFixed(1)} concurrent executions at peak${peakTotal > 0 ? ` (${time(new Date(peakAt))})` : ""}; ` +
      `the stack reserves ${reserved}; the account allows ${accountLimit ?? "an unknown number"}` +
      (accountLimit !== undefined
        ? `, ${accountLimit - reserved} unreserved (Lambda keeps at least ${AWS_LIMITS.lambdaUnreservedConcurrency.min}).`
        : ".") +
      "\n",
  );
  if (accountLimit !== undefined && peakTotal >= 0.8 * accountLimit)
    write(
      `The stack alone reached ${Math.round((peakTotal / accountLimit) * 100)}% of the account's limit: ask for a higher quota (Service Quotas) before the next peak.\n`,
    );

  if (chart) {
    const values = series.flatMap(({ label, seconds }) =>
      seconds.map((second) => ({ function: label, at: second.at.toISOString(), concurrency: second.concurrency })),
    );
    const spec = {
      title: `Concurrency per second, stack ${stack}`,
      width: 720,
      height: 300,
      data: { values },
      mark: { type: "line", interpolate: "step-after" },
      encoding: {
        x: { field: "at", type: "temporal", title: "time (UTC)" },
        y: { field: "concurrency", type: "quantitative", title: "concurrent executions (invocations x p99.5 s)" },
        color: { field: "function", type: "nominal" },
      },
    };
    writeFileSync(chart, await svgOf(spec));
    write(`Chart: ${chart}\n`);
  }
  return failed ? 1 : 0;
}

if (require.main === module)
  runCommand("concurrency", (argv, write) =>
    main(argv, write, {
      outputs: readStackOutputs,
      logs: new CloudWatchLogsClient({}),
      lambda: new LambdaClient({}),
    }),
  );
