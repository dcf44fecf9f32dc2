import type { Context } from "aws-lambda";
import { strict as assert } from "node:assert";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { powerTuningDefinition } from "../../components/power-tuning-definition";
import { choose, PointStatistics } from "../../app/tuning/analysis";
import { invocationCost } from "../../app/tuning/prices";
import { decodeVisualization } from "../../app/tuning/visualization";
import { TUNING_LIMITS } from "../../app/tuning/input";
import { DurationModel, modelDuration, SimulatedLambda } from "./simulated-lambda";
import { runDefinition } from "./local-step-functions";
import { lambdaContext } from "./lambda-context";

const TASK = "arn:aws:lambda:us-east-1:123456789012:function:power-tuning";
const X86 = "arn:aws:lambda:us-east-1:123456789012:function:primes-x86_64";
const ARM = "arn:aws:lambda:us-east-1:123456789012:function:primes";
const model: DurationModel = { workMs: 400, overheadMs: 20, arm64Factor: 0.75, minimumMemoryMb: 256, logFormat: "Text" };
const POWER_VALUES = [128, 256, 512, 1024, 1769, 3008];
/** The input of the sample output shipped in docs/examples: primes and its twin, balanced, 20 invocations a point. */
const SAMPLE_INPUT = {
  lambdaARNs: { x86_64: X86, arm64: ARM },
  powerValues: POWER_VALUES,
  num: 20,
  strategy: "balanced",
  payload: { queryStringParameters: { max: "1000000" } },
  includeOutputResults: true,
};

describe("power tuning, end to end (state machine definition run locally, Lambda simulated)", function () {
  this.timeout(30_000);
  let lambda: SimulatedLambda;
  let handler: (event: unknown, context: Context) => Promise<unknown>;

  before(() => {
    process.env.AWS_REGION = "us-east-1";
    ({ handler } = require("../../app/handlers/power-tuning"));
  });
  beforeEach(() => {
    lambda?.mock.restore();
    lambda = new SimulatedLambda(model).addFunction(X86, "x86_64").addFunction(ARM, "arm64");
  });
  after(() => lambda?.mock.restore());

  const run = (input: unknown, options: { maxConcurrency?: number } = {}) =>
    runDefinition(powerTuningDefinition(TASK, options), input, (parameters) => handler(parameters, lambdaContext("power-tuning")));

  /** What the model implies: each point's duration and cost, without noise, and the strategy's choice. */
  function expectedChoice(architectures: ("arm64" | "x86_64")[], strategy: "cost" | "speed" | "balanced", weight = 0.5) {
    const points: PointStatistics[] = architectures.flatMap((architecture) =>
      POWER_VALUES.filter((memory) => memory >= model.minimumMemoryMb).map((memoryMb) => {
        const duration = Math.round(modelDuration(model, memoryMb, architecture) * 100) / 100;
        return {
          memoryMb,
          architecture,
          averageDurationMs: duration,
          averageCostUsd: invocationCost(Math.ceil(duration), memoryMb, architecture, "us-east-1"),
          totalCostUsd: 0,
          invocations: 5,
          failures: 0,
          coldStarts: { count: 0 },
          status: "ok" as const,
        };
      }),
    );
    const chosen = choose(points, strategy, weight);
    return { architecture: chosen.architecture, power: chosen.memoryMb };
  }

  for (const strategy of ["cost", "speed", "balanced"] as const) {
    it(`${strategy}: recommends what the duration model implies, across both architectures, and cleans up`, async () => {
      const outcome = await run({
        lambdaARNs: { x86_64: X86, arm64: ARM },
        powerValues: POWER_VALUES,
        num: 5,
        strategy,
        payload: { queryStringParameters: { max: "1000000" } },
      });
      assert.equal(outcome.status, "SUCCEEDED", JSON.stringify(outcome));
      const output = (outcome as any).output;
      assert.deepEqual({ architecture: output.architecture, power: output.power }, expectedChoice(["x86_64", "arm64"], strategy));
      assert.equal(output.comparison.recommendation.architecture, "arm64", "the model makes arm64 faster and cheaper");
      assert.ok(output.comparison.recommendation.versusOtherArchitectureAtSameMemory.fasterPercent > 20);
      assert.deepEqual(
        output.failedPowerValues.map((failed: any) => [failed.power, failed.error]),
        [
          [128, "Runtime.OutOfMemory: Runtime exited with error: signal: killed"],
          [128, "Runtime.OutOfMemory: Runtime exited with error: signal: killed"],
        ],
      );
      assert.equal(decodeVisualization(output.comparison.visualization).length, 2);
      for (const fn of lambda.functions.values()) {
        assert.deepEqual(
          [fn.memory, fn.description, [...fn.aliases.keys()], fn.versions.size],
          [1024, "the original description", ["live"], 0],
          "restored, nothing left",
        );
      }
    });
  }

  it("is compatible with the original's single-function input and output (and JSON logs, and dry runs)", async () => {
    lambda = (lambda.mock.restore(), new SimulatedLambda({ ...model, logFormat: "JSON" }).addFunction(ARM, "arm64"));
    const outcome = await run({ lambdaARN: ARM, powerValues: [512, 1024], num: 5, strategy: "speed", includeOutputResults: true });
    const output = (outcome as any).output;
    assert.deepEqual(Object.keys(output.stateMachine).sort(), ["executionCost", "lambdaCost", "visualization"]);
    assert.deepEqual([output.power, output.architecture, output.comparison], [1024, "arm64", undefined]);
    assert.equal(output.stats.length, 2);
    assert.equal(output.stats[0].coldStarts.count, 1, "the first invocation of each alias is a cold start");
    assert.ok(output.stateMachine.lambdaCost > 0 && output.stateMachine.executionCost > 0);
    const dry = await run({ lambdaARN: ARM, powerValues: [512], num: 5, dryRun: true });
    assert.equal((dry as any).output.power, 512);
    assert.equal([...lambda.functions.get(ARM)!.invocations].length, 5 * 2 + 1, "a dry run invokes once");
  });

  it("still recommends when one architecture fails at every memory value, listing its failures", async () => {
    lambda.mock.restore();
    lambda = new SimulatedLambda({ ...model, brokenArchitecture: "x86_64" }).addFunction(X86, "x86_64").addFunction(ARM, "arm64");
    const outcome = await run({ lambdaARNs: { x86_64: X86, arm64: ARM }, powerValues: [512, 1024], num: 5, strategy: "cost" });
    assert.equal(outcome.status, "SUCCEEDED", JSON.stringify(outcome));
    const output = (outcome as any).output;
    assert.deepEqual([output.architecture, output.comparison], ["arm64", undefined]);
    assert.deepEqual(
      output.failedPowerValues.map((failed: any) => [failed.power, failed.architecture]),
      [
        [512, "x86_64"],
        [1024, "x86_64"],
      ],
    );
  });

  it("measures cold starts only, with a fresh version per invocation, when asked", async () => {
    const outcome = await run({ lambdaARN: ARM, powerValues: [512], num: 5, onlyColdStarts: true, includeOutputResults: true });
    assert.equal((outcome as any).output.stats[0].coldStarts.count, 5);
    assert.equal(lambda.functions.get(ARM)!.versions.size, 0, "every version it made is deleted");
  });

  it("applies the result when autoOptimize is set, with an alias when asked", async () => {
    const outcome = await run({
      lambdaARN: ARM,
      powerValues: [512, 1769],
      num: 5,
      strategy: "speed",
      autoOptimize: true,
      autoOptimizeAlias: "tuned",
    });
    assert.equal(outcome.status, "SUCCEEDED");
    const fn = lambda.functions.get(ARM)!;
    assert.equal(fn.memory, 1769);
    assert.equal(fn.versions.get(fn.aliases.get("tuned")!)?.memory, 1769);
  });

  it("never touches the live alias or the versions callers use: only its own aliases and versions, and the memory put back", async () => {
    // A serving function as a stack leaves it: version 3 published and live, version 2 kept for a rollback.
    const fn = lambda.functions.get(ARM)!;
    for (const version of ["1", "2", "3"]) fn.versions.set(version, { memory: 1024, description: `deployed ${version}` });
    fn.aliases.set("live", "3");
    const before = [...fn.versions];
    for (const [input, memoryAfter] of [
      [{ lambdaARN: ARM, powerValues: [512, 1769], num: 5 }, 1024],
      [{ lambdaARN: ARM, powerValues: [512], num: 5, onlyColdStarts: true }, 1024],
      [{ lambdaARN: ARM, powerValues: [512, 1769], num: 5, strategy: "speed", autoOptimize: true, autoOptimizeAlias: "tuned" }, 1769],
    ] as const) {
      const outcome = await run(input);
      assert.equal(outcome.status, "SUCCEEDED", JSON.stringify(outcome));
      assert.equal(fn.aliases.get("live"), "3", "the live alias still serves version 3");
      for (const [version, settings] of before) assert.deepEqual(fn.versions.get(version), settings, `version ${version} untouched`);
      assert.equal(fn.memory, memoryAfter, "$LATEST's memory put back (with autoOptimize, the recommendation)");
    }
    // Its own alias to a version of its own is the one thing a run with autoOptimizeAlias leaves.
    assert.deepEqual([...fn.aliases.keys()].sort(), ["live", "tuned"]);
    // Asked to move the live alias itself, it refuses before touching anything.
    const calls = lambda.calls.length;
    const refused = await run({ lambdaARN: ARM, num: 5, autoOptimize: true, autoOptimizeAlias: "live" });
    assert.deepEqual([refused.status, (refused as any).error], ["FAILED", "InitializeFailed"]);
    assert.match((refused as any).cause, /autoOptimizeAlias must not be "live": the alias every caller invokes moves only by a rollout/);
    assert.deepEqual(lambda.calls.slice(calls), [], "not one Lambda call");
  });

  it("fails with a clear cause on invalid input, naming the field and the rule, and touches nothing", async () => {
    const outcome = await run({ lambdaARN: ARM, num: 3 });
    assert.deepEqual([outcome.status, (outcome as any).error], ["FAILED", "InitializeFailed"]);
    assert.match((outcome as any).cause, /Invalid input: num must be at least 5 \(the trimmed mean needs a sample\), got 3/);
    assert.ok(!lambda.calls.includes("UpdateFunctionConfiguration"));
    const mismatch = await run({ lambdaARNs: { arm64: X86 }, num: 5 });
    assert.match((mismatch as any).cause, /lambdaARNs\.arm64 names .*primes-x86_64, which runs on x86_64/);
  });

  it("fails (never succeeds empty) when every memory value fails, after cleaning up and restoring", async () => {
    const outcome = await run({ lambdaARN: ARM, powerValues: [128], num: 5 });
    assert.deepEqual([outcome.status, (outcome as any).error], ["FAILED", "AnalysisFailed"]);
    assert.match((outcome as any).cause, /Every memory value failed/);
    const fn = lambda.functions.get(ARM)!;
    assert.deepEqual([fn.memory, [...fn.aliases.keys()], fn.versions.size], [1024, ["live"], 0]);
  });

  for (const [command, afterCalls] of [
    ["PublishVersion", 1],
    ["Invoke", 7],
    ["CreateAlias", 1],
  ] as const) {
    it(`cleans up and restores after a failure in ${command}, then fails with its cause`, async () => {
      lambda.failOn = { command, afterCalls, error: new Error(`simulated ${command} failure`) };
      const outcome = await run({ lambdaARN: ARM, powerValues: [256, 512, 1024], num: 5 });
      assert.deepEqual([outcome.status, (outcome as any).error], ["FAILED", "TuningFailed"]);
      assert.match((outcome as any).cause, new RegExp(`simulated ${command} failure`));
      assert.ok(outcome.path.includes("CleanUpAfterFailure"));
      const fn = lambda.functions.get(ARM)!;
      assert.deepEqual(
        [fn.memory, fn.description, [...fn.aliases.keys()], fn.versions.size],
        [1024, "the original description", ["live"], 0],
      );
    });
  }

  it("publishes in series: update, wait until updated, publish a version, alias it; one memory value after the other", async () => {
    const { LambdaClient } = await import("@aws-sdk/client-lambda");
    const { initialize, publish } = await import("../../app/tuning/tuner");
    const client = new LambdaClient({ region: "us-east-1" });
    const plan = await initialize(client, { lambdaARN: ARM, powerValues: [512, 1024], num: 5 });
    lambda.calls.length = 0;
    const published = await publish(client, plan);
    const cycle = ["UpdateFunctionConfiguration", "GetFunction", "PublishVersion", "CreateAlias"];
    assert.deepEqual(lambda.calls, [...cycle, ...cycle]);
    assert.deepEqual(published, { versions: 2 });
    assert.deepEqual([...lambda.functions.get(ARM)!.aliases.keys()].sort(), ["graviton-tuning-1024", "graviton-tuning-512", "live"]);
    lambda.functions.get(ARM)!.aliases.delete("graviton-tuning-1024");
    lambda.calls.length = 0;
    await publish(client, plan); // an interrupted run left graviton-tuning-512: it is updated, not duplicated
    assert.deepEqual(lambda.calls, [...cycle, "UpdateAlias", ...cycle]);
  });

  it("reports a cleanup that could not finish as the failure, naming what is left", async () => {
    lambda.failOn = { command: "DeleteFunction", error: new Error("AccessDenied") };
    const outcome = await run({ lambdaARN: ARM, powerValues: [512], num: 5 });
    assert.deepEqual([outcome.status, (outcome as any).error], ["FAILED", "CleanUpFailed"]);
    assert.match((outcome as any).cause, /Cleanup left work undone \(fix by hand\): version 1: AccessDenied/);
    assert.equal(lambda.functions.get(ARM)!.memory, 1024, "the configuration is restored even so");
  });

  describe("Step Functions' limits (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html)", () => {
    const STATE_LIMIT_BYTES = 256 * 1024;
    /** A function ARN at its longest: a 64-character name. */
    const longest = (architecture: string) => `arn:aws:lambda:us-east-1:123456789012:function:${architecture.padEnd(64, "x")}`;

    it("seed 002's example (num 1000, both architectures) keeps every state small, and cleans up", async function () {
      this.timeout(120_000);
      const outcome = await run({
        lambdaARNs: { x86_64: X86, arm64: ARM },
        num: 1000,
        payload: { queryStringParameters: { max: "1000000" } },
        parallelInvocation: true,
        includeOutputResults: true,
      });
      assert.equal(outcome.status, "SUCCEEDED", JSON.stringify(outcome).slice(0, 500));
      assert.equal(lambda.functions.get(ARM)!.invocations.length, 1000 * 7);
      assert.ok(outcome.maxStateBytes < 64 * 1024, `largest state ${outcome.maxStateBytes} B`);
    });

    it("the largest input the validator allows stays under 256 KiB with a wide margin, and the state does not grow with num", async () => {
      lambda.mock.restore();
      lambda = new SimulatedLambda(model).addFunction(longest("x86"), "x86_64").addFunction(longest("arm"), "arm64");
      for (const fn of lambda.functions.values()) fn.description = "d".repeat(256); // Lambda's longest description
      const largest = (num: number) => ({
        lambdaARNs: { x86_64: longest("x86"), arm64: longest("arm") },
        powerValues: Array.from({ length: TUNING_LIMITS.maxPowerValues }, (_, index) => 10240 - index * 64),
        num,
        payload: { data: "p".repeat(TUNING_LIMITS.maxPayloadBytes - 20) },
        strategy: "balanced",
        includeOutputResults: true,
        autoOptimize: true,
        autoOptimizeAlias: "a".repeat(128),
        dryRun: true,
      });
      const outcome = await run(largest(TUNING_LIMITS.maxNum));
      assert.equal(outcome.status, "SUCCEEDED", JSON.stringify(outcome).slice(0, 500));
      assert.ok(outcome.maxStateBytes < STATE_LIMIT_BYTES * 0.75, `largest state ${outcome.maxStateBytes} B of ${STATE_LIMIT_BYTES}`);
      const [five, fifty] = [await run({ ...largest(5), dryRun: false }), await run({ ...largest(50), dryRun: false })];
      // Only the digits of each point's counts grow (a few bytes per point), never a record per invocation.
      assert.ok(
        Math.abs(fifty.maxStateBytes - five.maxStateBytes) < 4096,
        `${five.maxStateBytes} B at num 5, ${fifty.maxStateBytes} B at num 50`,
      );
    });

    it("measures no more memory values at once than the task function may run (its reserved concurrency)", async () => {
      let running = 0;
      let most = 0;
      const counting = async (event: any) => {
        if (event.step !== "measure") return handler(event, lambdaContext());
        most = Math.max(most, ++running);
        try {
          await new Promise((done) => setTimeout(done, 5));
          return await handler(event, lambdaContext());
        } finally {
          running--;
        }
      };
      const input = { lambdaARNs: { x86_64: X86, arm64: ARM }, powerValues: POWER_VALUES, num: 5 };
      const outcome = await runDefinition(powerTuningDefinition(TASK, { maxConcurrency: 3 }), input, counting);
      assert.equal(outcome.status, "SUCCEEDED");
      assert.equal(most, 3, "12 points, 3 at a time");
    });

    it("retries a throttled task (Retry on Lambda.TooManyRequestsException), then goes on", async () => {
      let throttled = 0;
      const flaky = async (event: any) => {
        if (event.step === "publish" && throttled++ === 0)
          throw Object.assign(new Error("Rate exceeded"), { name: "Lambda.TooManyRequestsException" });
        return handler(event, lambdaContext());
      };
      const outcome = await runDefinition(powerTuningDefinition(TASK), { lambdaARN: ARM, powerValues: [512], num: 5 }, flaky);
      assert.equal(outcome.status, "SUCCEEDED");
      assert.equal(throttled, 2);
      assert.equal(outcome.path.filter((state) => state === "Publish").length, 1);
    });

    it("fails an execution input that is not an object with a readable cause, touching nothing", async () => {
      for (const input of ["primes", [1, 2], 42, { lambdaARN: ["not", "an", "arn"], num: "many" }]) {
        const outcome = await run(input);
        assert.deepEqual([outcome.status, (outcome as any).error], ["FAILED", "InitializeFailed"], JSON.stringify(input));
        assert.match((outcome as any).cause, /Invalid input: /);
      }
      // A null input: the interpreter refuses "$" on null before any task runs (AWS's own answer is unverified here).
      const nullInput = await run(null);
      assert.equal(nullInput.status, "FAILED");
      assert.deepEqual(nullInput.path, ["Initialize"]);
      assert.ok(!lambda.calls.includes("UpdateFunctionConfiguration"));
    });
  });
  it("the sample output in docs/examples (for npm run tune -- --from-output) is this state machine's own, on this simulated Lambda", async () => {
    // Deterministic: the simulated Lambda's durations come from the model alone. After changing the
    // state machine, write it again with WRITE_SAMPLE=1 and read the diff.
    const sample = join(__dirname, "..", "..", "docs", "examples", "power-tuning-output.json");
    const outcome = await run(SAMPLE_INPUT);
    assert.equal(outcome.status, "SUCCEEDED", JSON.stringify(outcome));
    const output = (outcome as any).output;
    if (process.env.WRITE_SAMPLE) writeFileSync(sample, `${JSON.stringify(output, null, 2)}\n`);
    assert.deepEqual(JSON.parse(readFileSync(sample, "utf8")), output, "run with WRITE_SAMPLE=1 to write it again");
  });
});
