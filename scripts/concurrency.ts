// npm run concurrency -- --stack dev [--since 1h] [--chart FILE]
// The concurrency hunt (seed 002): CloudWatch's Lambda metrics have 1-minute resolution, so a spike that
// lasts seconds hides in them. This runs the 1-second query (Little's law per second: invocations x
// p99.5 duration) over every log group of the stack at once (Logs Insights' SOURCE by the groups' common
// prefix: up to 10,000 log groups, however many functions), and prints each function's peak with its
// second, the rate and duration behind it, its limit and headroom (and each version's, while a rollout
// splits its alias), then the stack's total per second against the account's limit, and each live alias's
// concurrency and provisioned concurrency utilisation from CloudWatch's per-alias metrics.
import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
  type ResultField,
} from "@aws-sdk/client-cloudwatch-logs";
import { GetAccountSettingsCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { LIVE_ALIAS } from "../app/functions";
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
/** The stack's total has a row per second, and Logs Insights returns at most 10,000 rows by default: a window of at most 10,000 s. */
const MAX_WINDOW_SECONDS = 10_000;
/** The most rows one query returns (StartQuery's limit, at most 100,000): the chart's series, a row per second per function. */
const MAX_ROWS = 100_000;
/** The functions whose seconds the chart draws beside the stack's total: those with the highest peaks. */
const CHARTED_FUNCTIONS = 5;
/** Each AWS call gives up well within the command's own polling budget. */
const CALL_TIMEOUT_MS = 10_000;

/** One second of one function (of one version of it): how many invocations, their p99.5 duration, and the concurrency they imply. */
export interface Second {
  at: Date;
  invocations: number;
  p995DurationMs: number;
  concurrency: number;
  /** The function's log group (`@log` without the account), when the query groups by it. */
  logGroup?: string;
  /** The version that ran them (`7`, `$LATEST`), from the log stream's name. */
  version?: string;
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
    const [invocations, p995DurationMs, concurrency] = ["invocations", "p995DurationMs", "concurrency"].map((name) =>
      // The stack's total carries only the concurrency.
      name !== "concurrency" && field(name) === undefined ? 0 : Number(field(name)),
    );
    if (Number.isNaN(at.getTime()) || ![invocations, p995DurationMs, concurrency].every((value) => Number.isFinite(value) && value >= 0))
      continue;
    const version = field("version");
    // @log is `<account>:<log group>`.
    const logGroup = field("logGroup")?.replace(/^\d{12}:/, "");
    seconds.push({ at, invocations, p995DurationMs, concurrency, ...(logGroup && { logGroup }), ...(version && { version }) });
  }
  return seconds.sort((a, b) => a.at.getTime() - b.at.getTime());
}

export interface HuntDependencies {
  outputs(stack: string): StackOutputs;
  /** @default the stack's file, read and checked as the program reads it */
  config?: (stack: string) => StackConfig;
  logs: CloudWatchLogsClient;
  lambda: LambdaClient;
  cloudwatch: CloudWatchClient;
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

/**
 * The hunt's queries over every log group whose name starts with `prefix` (SOURCE, API and CLI only:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Source.html): each function's
 * peak second, each version's, and the stack's total per second (a second stats over the first's rows).
 * `dedup` keeps the first row of each function in the sort order: its peak.
 */
export function huntQueries(prefix: string) {
  const source = `SOURCE logGroups(namePrefix: [${JSON.stringify(prefix)}])\n`;
  const [filter, stats] = CONCURRENCY_PER_SECOND.split("\n");
  const version = '| parse @logStream "[*]" as version\n';
  return {
    functionPeaks: `${source}${filter}\n${stats}, @log as logGroup\n| sort concurrency desc\n| dedup logGroup\n| limit ${MAX_WINDOW_SECONDS}`,
    versionPeaks: `${source}${filter}\n${version}${stats}, @log as logGroup, version\n| sort concurrency desc\n| dedup logGroup, version\n| limit ${MAX_WINDOW_SECONDS}`,
    total: `${source}${filter}\n${stats}, @log\n| stats sum(concurrency) as concurrency by second\n| sort second asc\n| limit ${MAX_WINDOW_SECONDS}`,
  };
}

/** The longest prefix the names share, to the last `/` when they differ after it (the stack's own log groups). */
export function commonPrefix(names: string[]): string {
  let prefix = names[0] ?? "";
  for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return names.every((name) => name === prefix) ? prefix : prefix.slice(0, prefix.lastIndexOf("/") + 1);
}

/** Runs one query (by SOURCE in its text, or on the named log groups), polling a bounded number of times; stops it if it runs out. */
async function runQuery(
  query: string,
  window: { start: Date; end: Date },
  deps: HuntDependencies,
  logGroupNames?: string[],
): Promise<Second[]> {
  const signal = () => AbortSignal.timeout(CALL_TIMEOUT_MS);
  const { queryId } = await deps.logs.send(
    new StartQueryCommand({
      ...(logGroupNames && { logGroupNames }),
      startTime: Math.floor(window.start.getTime() / 1000),
      endTime: Math.ceil(window.end.getTime() / 1000),
      queryString: query,
      limit: MAX_ROWS,
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

/**
 * Each live alias's concurrency over the window from CloudWatch's per-alias metrics (the `Resource`
 * dimension, 1-minute maxima), and for an alias with provisioned concurrency how much of it was used
 * and how many invocations spilled over to on-demand environments (cold starts).
 */
async function aliasReport(outputs: StackOutputs, config: StackConfig, window: { start: Date; end: Date }, deps: HuntDependencies) {
  const deployed = (outputs.lambdaFunctions ?? {}) as Record<string, { name?: string; liveAlias?: string }>;
  const aliases = config.everyFunction.flatMap((fn) => {
    const name = deployed[fn.name]?.name;
    return fn.live && deployed[fn.name]?.liveAlias && name
      ? [{ fn: fn.name, resource: `${name}:${LIVE_ALIAS}`, name, provisioned: fn.provisionedConcurrency }]
      : [];
  });
  if (aliases.length === 0) return "";
  const metric = (id: string, metricName: string, stat: string, alias: (typeof aliases)[number]): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: "AWS/Lambda",
        MetricName: metricName,
        Dimensions: [
          { Name: "FunctionName", Value: alias.name },
          { Name: "Resource", Value: alias.resource },
        ],
      },
      Period: 60,
      Stat: stat,
    },
  });
  const queries = aliases.flatMap((alias, index) => [
    metric(`c${index}`, "ConcurrentExecutions", "Maximum", alias),
    ...(alias.provisioned
      ? [
          metric(`u${index}`, "ProvisionedConcurrencyUtilization", "Maximum", alias),
          metric(`s${index}`, "ProvisionedConcurrencySpilloverInvocations", "Sum", alias),
        ]
      : []),
  ]);
  try {
    const values = new Map<string, number[]>();
    // GetMetricData takes at most 500 queries a call; each page's results are collected.
    for (let start = 0; start < queries.length; start += 500) {
      let NextToken: string | undefined;
      for (let page = 0; page < 100; page++) {
        const response = await deps.cloudwatch.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries.slice(start, start + 500),
            StartTime: window.start,
            EndTime: window.end,
            NextToken,
          }),
          { abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS) },
        );
        for (const result of response.MetricDataResults ?? [])
          values.set(result.Id!, [...(values.get(result.Id!) ?? []), ...(result.Values ?? [])]);
        if (!(NextToken = response.NextToken)) break;
      }
    }
    const peak = (id: string) => (values.get(id)?.length ? Math.max(...values.get(id)!) : undefined);
    const total = (id: string) => (values.get(id) ?? []).reduce((sum, value) => sum + value, 0);
    const rows = aliases.map((alias, index) => {
      const utilisation = peak(`u${index}`);
      const provisioned = alias.provisioned
        ? `${alias.provisioned} | ${utilisation === undefined ? "no data" : `${Math.round(utilisation * 100)}%`} | ${total(`s${index}`)}`
        : "- | - | -";
      return `| ${alias.fn}:${LIVE_ALIAS} | ${peak(`c${index}`) ?? "no data"} | ${provisioned} |`;
    });
    return [
      "\nPer live alias (CloudWatch, 1-minute maxima):",
      "| alias | peak concurrency | provisioned | peak utilisation | spillover invocations |",
      "|---|---:|---:|---:|---:|",
      ...rows,
      "",
    ].join("\n");
  } catch (error) {
    return `\n(The aliases' metrics could not be read: ${(error as Error).message})\n`;
  }
}

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
  const outputs = deps.outputs(stack);
  const groups = logGroupsOf(outputs, config);
  if (groups.length === 0) {
    write(
      `The stack ${stack} has no function log groups in its outputs (lambdaFunctions.*.logGroupName): deploy it with this version first.\n`,
    );
    return 1;
  }
  const end = deps.now?.() ?? new Date();
  const window = { start: new Date(end.getTime() - windowSeconds * 1000), end };
  write(`Concurrency at 1-second resolution, ${time(window.start)} to ${time(window.end)}, stack ${stack}\n\n`);

  const prefix = commonPrefix(groups.map((group) => group.logGroupName));
  const queries = huntQueries(prefix);
  let peaks: Second[], versionPeaks: Second[], total: Second[];
  try {
    [peaks, versionPeaks, total] = await Promise.all([
      runQuery(queries.functionPeaks, window, deps),
      runQuery(queries.versionPeaks, window, deps),
      runQuery(queries.total, window, deps),
    ]);
  } catch (error) {
    write(`The 1-second queries over ${prefix}* failed: ${(error as Error).message}\n`);
    return 1;
  }
  const labelOf = new Map(groups.map((group) => [group.logGroupName, group.label]));
  const byLogGroup = (seconds: Second[]) => {
    const index = new Map<string | undefined, Second[]>();
    for (const second of seconds) index.set(second.logGroup, [...(index.get(second.logGroup) ?? []), second]);
    return index;
  };
  const peakOf = byLogGroup(peaks);
  const versionsOf = byLogGroup(versionPeaks);
  const rows = groups.map((group) => ({
    label: group.label,
    limit: group.limit,
    peak: peakOf.get(group.logGroupName)?.[0],
  }));
  // While a rollout splits an alias, each version's share beside the function's whole.
  for (const group of groups) {
    const versions = versionsOf.get(group.logGroupName) ?? [];
    if (versions.length > 1)
      for (const peak of versions) rows.push({ label: `${group.label} version ${peak.version}`, limit: undefined, peak });
  }

  write("| function | peak concurrency | at (UTC) | invocations that second | p99.5 duration | limit | headroom |\n");
  write("|---|---:|---|---:|---:|---:|---:|\n");
  for (const { label, limit, peak } of rows.sort((a, b) => a.label.localeCompare(b.label))) {
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
  const strangers = [...new Set(peaks.flatMap((second) => (second.logGroup && !labelOf.has(second.logGroup) ? [second.logGroup] : [])))];
  if (strangers.length > 0) write(`(Also under ${prefix}, not in the stack's outputs: ${strangers.join(", ")})\n`);

  // The stack's total per second, against what the account allows (as the capacity policy counts it).
  const busiest = total.reduce<Second | undefined>(
    (best, second) => (!best || second.concurrency > best.concurrency ? second : best),
    undefined,
  );
  const [peakAt, peakTotal] = busiest ? [busiest.at.getTime(), busiest.concurrency] : [0, 0];
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

  write(await aliasReport(outputs, config, window, deps));

  if (chart) {
    // The stack's total, and the seconds of the functions with the highest peaks (a query on just their log groups).
    const top = rows
      .filter((row) => row.peak && row.peak.logGroup)
      .sort((a, b) => b.peak!.concurrency - a.peak!.concurrency)
      .slice(0, CHARTED_FUNCTIONS);
    const seconds = top.length
      ? await runQuery(
          `${CONCURRENCY_PER_SECOND}, @log as logGroup\n| sort second asc\n| limit ${MAX_ROWS}`,
          window,
          deps,
          top.map((row) => row.peak!.logGroup!),
        )
      : [];
    const values = [
      ...total.map((second) => ({ function: "stack total", at: second.at.toISOString(), concurrency: second.concurrency })),
      ...seconds.map((second) => ({
        function: labelOf.get(second.logGroup ?? "") ?? second.logGroup,
        at: second.at.toISOString(),
        concurrency: second.concurrency,
      })),
    ];
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
    write(`Chart: ${chart} (the stack's total and the ${top.length} busiest functions)\n`);
  }
  return 0;
}

if (require.main === module)
  runCommand("concurrency", (argv, write) =>
    main(argv, write, {
      outputs: readStackOutputs,
      logs: new CloudWatchLogsClient({}),
      lambda: new LambdaClient({}),
      cloudwatch: new CloudWatchClient({}),
    }),
  );
