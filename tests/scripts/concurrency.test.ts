import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
  type ResultField,
} from "@aws-sdk/client-cloudwatch-logs";
import { GetAccountSettingsCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stackConfigFrom } from "../../config";
import { main, parseWindow, secondsOf, type HuntDependencies } from "../../scripts/concurrency";

/** A row as GetQueryResults returns it: every value a string, the bin as "YYYY-MM-DD HH:MM:SS.mmm" in UTC. */
const row = (second: string, invocations: number, p995: number, version?: string): ResultField[] => [
  { field: "second", value: `2026-11-23 ${second}.000` },
  ...(version ? [{ field: "version", value: version }] : []),
  { field: "invocations", value: String(invocations) },
  { field: "p995DurationMs", value: String(p995) },
  { field: "concurrency", value: String((invocations * p995) / 1000) },
];

/** The stack the hunt reads: the worker capped at 2 concurrent batches, as on dev; get-job with an x86_64 twin. */
const STACK = {
  "graviton-platform:functions": JSON.stringify({ "get-job": { compareArchitectures: true } }),
  "graviton-platform:jobs": JSON.stringify({ maximumConcurrency: 2 }),
};
const OUTPUTS = {
  lambdaFunctions: {
    "get-job": { logGroupName: "/aws/lambda/get-job", twin: { logGroupName: "/aws/lambda/get-job-x86_64" } },
    worker: { logGroupName: "/aws/lambda/worker" },
  },
};

describe("npm run concurrency: the 1-second concurrency hunt", () => {
  // The clients the command is given, each mocked by itself: no other test's clients are touched.
  const clients = {
    logs: new CloudWatchLogsClient({ region: "us-east-1" }),
    lambda: new LambdaClient({ region: "us-east-1" }),
    cloudwatch: new CloudWatchClient({ region: "us-east-1" }),
  };
  const logs = mockClient(clients.logs);
  const lambda = mockClient(clients.lambda);
  const cloudwatch = mockClient(clients.cloudwatch);
  const results: Record<string, ResultField[][] | "Failed" | "Running"> = {};
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

  beforeEach(() => {
    output = "";
    logs.reset();
    lambda.reset();
    cloudwatch.reset();
    for (const key of Object.keys(results)) delete results[key];
    logs.on(StartQueryCommand).callsFake((input) => ({ queryId: `q:${input.logGroupName}` }));
    let polls = 0;
    logs.on(GetQueryResultsCommand).callsFake(({ queryId }) => {
      const found = results[String(queryId).slice(2)] ?? [];
      if (found === "Failed") return { status: "Failed" };
      if (found === "Running" || polls++ % 2 === 0) return { status: "Running" }; // each query runs once before it completes
      return { status: "Complete", results: found };
    });
    logs.on(StopQueryCommand).resolves({ success: true });
    lambda.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 1000 } });
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
    assert.equal(parseWindow("90s"), 90);
    assert.equal(parseWindow("2h"), 7200);
    assert.throws(() => parseWindow("59s"), /from 1m to 10000 s/);
  });

  it("reads Logs Insights rows, leaving out the ones it cannot read, in time order", () => {
    const seconds = secondsOf([
      row("08:00:02", 4, 250),
      row("08:00:01", 10, 120),
      [{ field: "second", value: "not a time" }, ...row("08:00:03", 1, 1).slice(1)],
      row("08:00:04", Number.NaN, 1),
      [{ field: "second", value: "2026-11-23 08:00:05.000" }],
      [null as unknown as ResultField],
    ]);
    assert.deepEqual(
      seconds.map((second) => [second.at.toISOString(), second.invocations, second.p995DurationMs, second.concurrency]),
      [
        ["2026-11-23T08:00:01.000Z", 10, 120, 1.2],
        ["2026-11-23T08:00:02.000Z", 4, 250, 1],
      ],
    );
  });

  it("prints each function's peak second with the rate and duration behind it, its limit and headroom, and the stack's total", async () => {
    results["/aws/lambda/get-job"] = [row("08:10:00", 40, 120), row("08:10:01", 200, 150), row("08:10:02", 10, 100)];
    results["/aws/lambda/worker"] = [row("08:10:01", 8, 200), row("08:10:05", 12, 160)];
    results["/aws/lambda/get-job-x86_64"] = [];
    const code = await run(["--stack", "dev", "--since", "1h"]);
    assert.equal(code, 0, output);
    assert.match(output, /2026-11-23T08:00:00Z to 2026-11-23T09:00:00Z, stack dev/);
    assert.match(output, /\| get-job \| 30\.0 \| 2026-11-23T08:10:01Z \| 200 \| 150 ms \| unreserved \| - \|/);
    assert.match(output, /\| get-job \(twin\) \| 0 \| \(no invocations\) \|/);
    // dev: the worker's limit is jobs.maximumConcurrency (2); 12 x 0.16 s = 1.92 leaves 0.1.
    assert.match(output, /\| worker \| 1\.9 \| 2026-11-23T08:10:05Z \| 12 \| 160 ms \| 2 \| 0\.1 \|/);
    // The total is per second across functions: 30 + 1.6 at 08:10:01, not the sum of the peaks (31.92).
    assert.match(
      output,
      /Stack total: 31\.6 concurrent executions at peak \(2026-11-23T08:10:01Z\); the stack reserves 0; the account allows 1000, 1000 unreserved/,
    );
    const starts = logs.commandCalls(StartQueryCommand).map((call) => call.args[0].input);
    assert.deepEqual(starts.map((input) => input.logGroupName).sort(), [
      "/aws/lambda/get-job",
      "/aws/lambda/get-job-x86_64",
      "/aws/lambda/worker",
    ]);
    assert.deepEqual(
      [starts[0].startTime, starts[0].endTime],
      [Date.parse("2026-11-23T08:00:00Z") / 1000, Date.parse("2026-11-23T09:00:00Z") / 1000],
    );
    assert.match(starts[0].queryString!, /parse @logStream "\[\*\]" as version\n/);
    assert.match(starts[0].queryString!, /by bin\(1s\) as second, version\n\| sort second asc\n\| limit 10000$/);
  });

  it("while a rollout splits an alias: each version's share beside the function's whole, and each live alias's provisioned concurrency in use", async () => {
    // A canary: version 7 keeps most of get-job's traffic, version 8 takes its first share.
    results["/aws/lambda/get-job"] = [row("08:10:00", 90, 100, "7"), row("08:10:00", 10, 300, "8"), row("08:10:01", 40, 100, "7")];
    const stack = stackConfigFrom({
      ...STACK,
      "graviton-platform:functions": JSON.stringify({ "get-job": { provisionedConcurrency: 5 } }),
    });
    const outputs = {
      lambdaFunctions: {
        "get-job": {
          name: "get-job-a1b2c3d",
          logGroupName: "/aws/lambda/get-job",
          liveAlias: "arn:aws:lambda:us-east-1:1:function:get-job-a1b2c3d:live",
        },
        worker: {
          name: "worker-a1b2c3d",
          logGroupName: "/aws/lambda/worker",
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
    assert.equal(await run(["--stack", "dev"], { outputs: () => outputs, config: () => stack }), 0, output);
    // The whole: 9 + 3 concurrent at 08:10:00 (Little's law per version, summed).
    assert.match(output, /\| get-job \| 12\.0 \| 2026-11-23T08:10:00Z \| 100 \| 300 ms \| unreserved \| - \|/);
    assert.match(output, /\| get-job version 7 \| 9\.0 \| 2026-11-23T08:10:00Z \| 90 \| 100 ms \|/);
    assert.match(output, /\| get-job version 8 \| 3\.0 \| 2026-11-23T08:10:00Z \| 10 \| 300 ms \|/);
    assert.match(output, /Stack total: 12\.0 concurrent executions at peak/, "versions count once, in their function");
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
    results["/aws/lambda/worker"] = [row("08:30:00", 20, 100)];
    results["/aws/lambda/get-job"] = [row("08:30:00", 8000, 100)];
    lambda.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 1000 } });
    assert.equal(await run(["--stack", "dev"]), 0);
    assert.match(output, /\| worker \| 2\.0 .* \| 2 \| 0 \(at the limit: throttled\) \|/);
    assert.match(output, /The stack alone reached 80% of the account's limit/);
  });

  it("one function's failed or endless query costs the others nothing: reported, stopped, exit 1", async () => {
    results["/aws/lambda/get-job"] = "Failed";
    results["/aws/lambda/worker"] = "Running";
    results["/aws/lambda/get-job-x86_64"] = [row("08:00:00", 3, 50)];
    assert.equal(await run(["--stack", "dev"]), 1);
    assert.match(output, /get-job: the query ended "Failed"/);
    assert.match(output, /worker: no result after 3 checks; the query was stopped/);
    assert.match(output, /\| get-job \(twin\) \| 0\.1 \|/);
    assert.equal(logs.commandCalls(StopQueryCommand).length, 1);
  });

  it("writes an SVG chart of concurrency over time, per function", async () => {
    results["/aws/lambda/get-job"] = [row("08:10:00", 40, 120), row("08:10:01", 200, 150)];
    const dir = mkdtempSync(join(tmpdir(), "concurrency-"));
    try {
      const file = join(dir, "concurrency.svg");
      assert.equal(await run(["--stack", "dev", "--chart", file]), 0, output);
      const svg = readFileSync(file, "utf8");
      assert.match(svg, /^<svg/);
      assert.match(svg, /Concurrency per second, stack dev/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("hunts the functions with their own image too, counts their reservations, and still reports when the account's limit cannot be read", async () => {
    results["/aws/lambda/my-function"] = [row("08:20:00", 50, 2000)];
    lambda.on(GetAccountSettingsCommand).rejects(new Error("not authorized to perform lambda:GetAccountSettings"));
    const config = stackConfigFrom({
      ...STACK,
      "graviton-platform:ownImageFunctions": JSON.stringify({
        "my-function": { context: "tests/fixtures/own-image", reservedConcurrency: 150 },
      }),
    });
    const outputs = { lambdaFunctions: { ...OUTPUTS.lambdaFunctions, "my-function": { logGroupName: "/aws/lambda/my-function" } } };
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
