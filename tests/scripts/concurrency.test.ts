import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
  type ResultField,
  type StartQueryCommandInput,
} from "@aws-sdk/client-cloudwatch-logs";
import { GetAccountSettingsCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stackConfigFrom } from "../../config";
import { commonPrefix, huntQueries, main, parseWindow, secondsOf, type HuntDependencies } from "../../scripts/concurrency";

const ACCOUNT = "123456789012";
const PREFIX = "/aws/lambda/graviton-platform-dev/";

/** A row as GetQueryResults returns it: every value a string, the bin as "YYYY-MM-DD HH:MM:SS.mmm" in UTC, @log with the account. */
const row = (second: string, invocations: number, p995: number, where: { logGroup?: string; version?: string } = {}): ResultField[] => [
  { field: "second", value: `2026-11-23 ${second}.000` },
  ...(where.logGroup ? [{ field: "logGroup", value: `${ACCOUNT}:${PREFIX}${where.logGroup}` }] : []),
  ...(where.version ? [{ field: "version", value: where.version }] : []),
  { field: "invocations", value: String(invocations) },
  { field: "p995DurationMs", value: String(p995) },
  { field: "concurrency", value: String((invocations * p995) / 1000) },
];
/** A row of the stack's total: a second and its concurrency. */
const totalRow = (second: string, concurrency: number): ResultField[] => [
  { field: "second", value: `2026-11-23 ${second}.000` },
  { field: "concurrency", value: String(concurrency) },
];

/** The stack the hunt reads: the worker capped at 2 concurrent batches, as on dev; get-job with an x86_64 twin. */
const STACK = {
  "graviton-platform:functions": JSON.stringify({ "get-job": { compareArchitectures: true } }),
  "graviton-platform:jobs": JSON.stringify({ maximumConcurrency: 2 }),
};
const OUTPUTS = {
  lambdaFunctions: {
    "get-job": { logGroupName: `${PREFIX}get-job`, twin: { logGroupName: `${PREFIX}get-job-x86_64` } },
    worker: { logGroupName: `${PREFIX}worker` },
  },
};

type Kind = "functionPeaks" | "versionPeaks" | "total" | "chart";

describe("npm run concurrency: the 1-second concurrency hunt, one run over every log group of the stack", () => {
  // The clients the command is given, each mocked by itself: no other test's clients are touched.
  const clients = {
    logs: new CloudWatchLogsClient({ region: "us-east-1" }),
    lambda: new LambdaClient({ region: "us-east-1" }),
    cloudwatch: new CloudWatchClient({ region: "us-east-1" }),
  };
  const logs = mockClient(clients.logs);
  const lambda = mockClient(clients.lambda);
  const cloudwatch = mockClient(clients.cloudwatch);
  let results: Partial<Record<Kind, ResultField[][] | "Failed" | "Running">> = {};
  let output = "";
  const deps = (overrides: Partial<HuntDependencies> = {}): HuntDependencies => ({
    outputs: () => OUTPUTS,
    config: () => stackConfigFrom(STACK),
    ...clients,
    now: () => new Date("2026-11-23T09:00:00Z"),
    pollIntervalMs: 1,
    maxPolls: 3,
    ...overrides,
  });
  const run = (argv: string[], overrides?: Partial<HuntDependencies>) => main(argv, (text) => void (output += text), deps(overrides));
  /** Which of the hunt's queries a StartQuery is. */
  const kindOf = (input: StartQueryCommandInput): Kind =>
    input.logGroupNames
      ? "chart"
      : input.queryString!.includes("stats sum(concurrency)")
        ? "total"
        : input.queryString!.includes("dedup logGroup, version")
          ? "versionPeaks"
          : "functionPeaks";
  const starts = () => logs.commandCalls(StartQueryCommand).map((call) => call.args[0].input);

  beforeEach(() => {
    output = "";
    logs.reset();
    lambda.reset();
    cloudwatch.reset();
    results = {};
    logs.on(StartQueryCommand).callsFake((input) => ({ queryId: kindOf(input) }));
    const polls = new Map<string, number>();
    logs.on(GetQueryResultsCommand).callsFake(({ queryId }) => {
      const found = results[queryId as Kind] ?? [];
      if (found === "Failed") return { status: "Failed" };
      polls.set(queryId, (polls.get(queryId) ?? 0) + 1);
      if (found === "Running" || polls.get(queryId) === 1) return { status: "Running" }; // each query runs once before it completes
      return { status: "Complete", results: found };
    });
    logs.on(StopQueryCommand).resolves({ success: true });
    lambda.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 1000 } });
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
  });
  after(() => {
    logs.restore();
    lambda.restore();
    cloudwatch.restore();
  });

  it("refuses hostile or malformed flags by name", async () => {
    for (const argv of [
      [],
      ["--stack", "../etc"],
      ["--stack", "dev", "--since", "0m"],
      ["--stack", "dev", "--since", "3h"],
      ["--stack", "dev", "--since", "1d"],
      ["--stack", "dev", "--since", "1h; rm -rf /"],
      ["--stack", "dev", "--since", "\u0000"],
      ["--stack", "dev", "--chart", "out.png"],
      ["--stack", "dev", "--bogus"],
    ]) {
      output = "";
      assert.equal(await run(argv), 2, argv.join(" "));
      assert.match(output, /^concurrency: .+\nusage: npm run concurrency/, argv.join(" "));
    }
    assert.equal(parseWindow("30m"), 1800);
    assert.equal(parseWindow("2h"), 7200);
    assert.equal(logs.commandCalls(StartQueryCommand).length, 0, "no query was started for a bad command line");
  });

  it("reads Logs Insights rows, leaving out the ones it cannot read, in time order; @log without its account", () => {
    const rows = secondsOf([
      row("08:00:02", 4, 250, { logGroup: "worker" }),
      [{ field: "second", value: "not a time" }],
      row("08:00:01", 2, 100, { logGroup: "get-job", version: "7" }),
      [
        { field: "second", value: "2026-11-23 08:00:03.000" },
        { field: "invocations", value: "-1" },
      ],
    ]);
    assert.deepEqual(
      rows.map((second) => [second.at.toISOString(), second.invocations, second.concurrency, second.logGroup, second.version]),
      [
        ["2026-11-23T08:00:01.000Z", 2, 0.2, `${PREFIX}get-job`, "7"],
        ["2026-11-23T08:00:02.000Z", 4, 1, `${PREFIX}worker`, undefined],
      ],
    );
  });

  it("runs three queries whatever the number of functions: SOURCE by the stack's common log-group prefix, never a list of 50", async () => {
    assert.equal(commonPrefix([`${PREFIX}get-job`, `${PREFIX}get-job-x86_64`, `${PREFIX}worker`]), PREFIX);
    assert.equal(commonPrefix([`${PREFIX}worker`]), `${PREFIX}worker`);
    // 300 functions (and their log groups): still three queries, one prefix.
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`fn-${index}`, { logGroupName: `${PREFIX}fn-${index}` }]));
    const config = stackConfigFrom({
      "graviton-platform:ownImageFunctions": JSON.stringify(
        Object.fromEntries(Object.keys(many).map((name) => [name, { context: "tests/fixtures/own-image" }])),
      ),
    });
    assert.equal(await run(["--stack", "dev"], { outputs: () => ({ lambdaFunctions: many }), config: () => config }), 0, output);
    assert.deepEqual(starts().map(kindOf).sort(), ["functionPeaks", "total", "versionPeaks"]);
    for (const input of starts()) {
      assert.equal(input.logGroupNames, undefined);
      assert.ok(input.queryString!.startsWith(`SOURCE logGroups(namePrefix: ["${PREFIX}"])\n`), input.queryString);
      assert.deepEqual(
        [input.startTime, input.endTime],
        [Date.parse("2026-11-23T08:00:00Z") / 1000, Date.parse("2026-11-23T09:00:00Z") / 1000],
      );
    }
    assert.equal(
      output.split("\n").filter((line) => / \| \(no invocations\) \| /.test(line)).length,
      300,
      "a row for each function, however many",
    );
    const { functionPeaks, versionPeaks, total } = huntQueries(PREFIX);
    assert.match(functionPeaks, /by bin\(1s\) as second, @log as logGroup\n\| sort concurrency desc\n\| dedup logGroup\n\| limit 10000$/);
    assert.match(versionPeaks, /parse @logStream "\[\*\]" as version\n.*by bin\(1s\) as second, @log as logGroup, version\n/);
    assert.match(total, /by bin\(1s\) as second, @log\n\| stats sum\(concurrency\) as concurrency by second\n\| sort second asc/);
  });

  it("prints each function's peak second with the rate and duration behind it, its limit and headroom, and the stack's total", async () => {
    results.functionPeaks = [row("08:10:01", 200, 150, { logGroup: "get-job" }), row("08:10:05", 12, 160, { logGroup: "worker" })];
    results.total = [totalRow("08:10:00", 4.8), totalRow("08:10:01", 31.6), totalRow("08:10:05", 1.92)];
    const code = await run(["--stack", "dev", "--since", "1h"]);
    assert.equal(code, 0, output);
    assert.match(output, /2026-11-23T08:00:00Z to 2026-11-23T09:00:00Z, stack dev/);
    assert.match(output, /\| get-job \| 30\.0 \| 2026-11-23T08:10:01Z \| 200 \| 150 ms \| unreserved \| - \|/);
    assert.match(output, /\| get-job \(twin\) \| 0 \| \(no invocations\) \|/);
    // dev: the worker's limit is jobs.maximumConcurrency (2); 12 x 0.16 s = 1.92 leaves 0.1.
    assert.match(output, /\| worker \| 1\.9 \| 2026-11-23T08:10:05Z \| 12 \| 160 ms \| 2 \| 0\.1 \|/);
    // The total is per second across functions (the query's second stats), not the sum of the peaks.
    assert.match(
      output,
      /Stack total: 31\.6 concurrent executions at peak \(2026-11-23T08:10:01Z\); the stack reserves 0; the account allows 1000, 1000 unreserved/,
    );
  });

  it("while a rollout splits an alias: each version's share beside the function's whole, and each live alias's provisioned concurrency in use", async () => {
    // A canary: version 7 keeps most of get-job's traffic, version 8 takes its first share.
    results.functionPeaks = [row("08:10:00", 100, 300, { logGroup: "get-job" })];
    results.versionPeaks = [
      row("08:10:00", 90, 100, { logGroup: "get-job", version: "7" }),
      row("08:10:00", 10, 300, { logGroup: "get-job", version: "8" }),
      row("08:11:00", 5, 50, { logGroup: "worker", version: "3" }),
    ];
    results.total = [totalRow("08:10:00", 30)];
    const stack = stackConfigFrom({
      ...STACK,
      "graviton-platform:functions": JSON.stringify({ "get-job": { provisionedConcurrency: 5 } }),
    });
    const outputs = {
      lambdaFunctions: {
        "get-job": {
          name: "get-job-a1b2c3d",
          logGroupName: `${PREFIX}get-job`,
          liveAlias: "arn:aws:lambda:us-east-1:1:function:get-job-a1b2c3d:live",
        },
        worker: {
          name: "worker-a1b2c3d",
          logGroupName: `${PREFIX}worker`,
          liveAlias: "arn:aws:lambda:us-east-1:1:function:worker-a1b2c3d:live",
        },
      },
    };
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: "c0", Values: [3, 6, 4] },
        { Id: "u0", Values: [0.4, 1] },
        { Id: "s0", Values: [0, 12, 3] },
        { Id: "c1", Values: [] },
      ],
    });
    let outputReads = 0;
    const readOutputs = () => (outputReads++, outputs);
    assert.equal(await run(["--stack", "dev"], { outputs: readOutputs, config: () => stack }), 0, output);
    assert.equal(outputReads, 1, "the stack's outputs (a pulumi CLI call) are read once");
    assert.match(output, /\| get-job \| 30\.0 \| 2026-11-23T08:10:00Z \| 100 \| 300 ms \| unreserved \| - \|/);
    assert.match(output, /\| get-job version 7 \| 9\.0 \| 2026-11-23T08:10:00Z \| 90 \| 100 ms \|/);
    assert.match(output, /\| get-job version 8 \| 3\.0 \| 2026-11-23T08:10:00Z \| 10 \| 300 ms \|/);
    assert.doesNotMatch(output, /worker version/, "one version: no rows of its own");
    assert.match(output, /\| get-job:live \| 6 \| 5 \| 100% \| 15 \|/);
    assert.match(output, /\| worker:live \| no data \| - \| - \| - \|/);
    const [query] = cloudwatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input.MetricDataQueries!);
    assert.deepEqual(
      query.map((entry) => [
        entry.Id,
        entry.MetricStat!.Metric!.MetricName,
        entry.MetricStat!.Metric!.Dimensions!.find((d) => d.Name === "Resource")!.Value,
      ]),
      [
        ["c0", "ConcurrentExecutions", "get-job-a1b2c3d:live"],
        ["u0", "ProvisionedConcurrencyUtilization", "get-job-a1b2c3d:live"],
        ["s0", "ProvisionedConcurrencySpilloverInvocations", "get-job-a1b2c3d:live"],
        ["c1", "ConcurrentExecutions", "worker-a1b2c3d:live"],
      ],
    );
    // Without the metrics, the rest of the report stands.
    output = "";
    cloudwatch.on(GetMetricDataCommand).rejects(new Error("not authorized to perform cloudwatch:GetMetricData"));
    assert.equal(await run(["--stack", "dev"], { outputs: () => outputs, config: () => stack }), 0);
    assert.match(output, /The aliases' metrics could not be read: not authorized/);
  });

  it("says when a function is at its limit, and when the stack nears the account's", async () => {
    results.functionPeaks = [row("08:30:00", 20, 100, { logGroup: "worker" }), row("08:30:00", 8000, 100, { logGroup: "get-job" })];
    results.total = [totalRow("08:30:00", 802)];
    assert.equal(await run(["--stack", "dev"]), 0);
    assert.match(output, /\| worker \| 2\.0 .* \| 2 \| 0 \(at the limit: throttled\) \|/);
    assert.match(output, /The stack alone reached 80% of the account's limit/);
  });

  it("a failed or endless query is reported, stopped, and the command exits 1", async () => {
    results.total = "Failed";
    results.versionPeaks = "Running";
    assert.equal(await run(["--stack", "dev"]), 1);
    assert.match(
      output,
      /The 1-second queries over \/aws\/lambda\/graviton-platform-dev\/\* failed: (the query ended "Failed"|no result after 3 checks; the query was stopped)/,
    );
  });

  it("writes an SVG chart of the stack's total and its busiest functions over time", async () => {
    results.functionPeaks = [row("08:10:01", 200, 150, { logGroup: "get-job" })];
    results.total = [totalRow("08:10:00", 4.8), totalRow("08:10:01", 30)];
    results.chart = [row("08:10:00", 40, 120, { logGroup: "get-job" }), row("08:10:01", 200, 150, { logGroup: "get-job" })];
    const dir = mkdtempSync(join(tmpdir(), "concurrency-"));
    try {
      const file = join(dir, "concurrency.svg");
      assert.equal(await run(["--stack", "dev", "--chart", file]), 0, output);
      const svg = readFileSync(file, "utf8");
      assert.match(svg, /^<svg/);
      assert.match(svg, /Concurrency per second, stack dev/);
      assert.match(svg, /stack total/);
      assert.deepEqual(starts().find((input) => kindOf(input) === "chart")!.logGroupNames, [`${PREFIX}get-job`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("hunts the functions with their own image too, counts their reservations, and still reports when the account's limit cannot be read", async () => {
    results.functionPeaks = [row("08:20:00", 50, 2000, { logGroup: "my-function" })];
    results.total = [totalRow("08:20:00", 100)];
    lambda.on(GetAccountSettingsCommand).rejects(new Error("not authorized to perform lambda:GetAccountSettings"));
    const config = stackConfigFrom({
      ...STACK,
      "graviton-platform:ownImageFunctions": JSON.stringify({
        "my-function": { context: "tests/fixtures/own-image", reservedConcurrency: 150 },
      }),
    });
    const outputs = { lambdaFunctions: { ...OUTPUTS.lambdaFunctions, "my-function": { logGroupName: `${PREFIX}my-function` } } };
    assert.equal(await run(["--stack", "dev"], { outputs: () => outputs, config: () => config }), 0, output);
    assert.match(output, /\| my-function \| 100\.0 \| 2026-11-23T08:20:00Z \| 50 \| 2000 ms \| 150 \| 50 \|/);
    assert.match(output, /The account's concurrency limit could not be read: not authorized/);
    assert.match(output, /the stack reserves 150; the account allows an unknown number\./);
  });

  it("says what to do when the stack's outputs name no log groups", async () => {
    assert.equal(await run(["--stack", "dev"], { outputs: () => ({}) }), 1);
    assert.match(output, /no function log groups in its outputs .* deploy it with this version first/);
  });
});
