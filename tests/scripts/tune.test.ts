import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summarize, type Measurement } from "../../app/tuning/analysis";
import { parseTuningInput } from "../../app/tuning/input";
import { tuningResult } from "../../app/tuning/result";
import { visualizationUrl } from "../../app/tuning/visualization";
import { main } from "../../scripts/tune";
import { readStackConfig, stackConfigFrom } from "../../config";

const ARM = "arn:aws:lambda:us-east-1:123456789012:function:primes";
const X86 = "arn:aws:lambda:us-east-1:123456789012:function:primes-x86_64";

/** An output of this platform's state machine: both architectures, every point. */
function ourOutput() {
  const plan = {
    input: parseTuningInput({
      lambdaARNs: { arm64: ARM, x86_64: X86 },
      num: 5,
      powerValues: [512, 1024, 2048],
      includeOutputResults: true,
    }),
    targets: [
      { functionArn: X86, architecture: "x86_64" as const, originalMemoryMb: 1024, originalDescription: "" },
      { functionArn: ARM, architecture: "arm64" as const, originalMemoryMb: 1024, originalDescription: "" },
    ],
    region: "us-east-1",
    runId: "test",
  };
  const measurements: Measurement[] = plan.targets.flatMap(({ architecture }) =>
    [512, 1024, 2048].map((memoryMb) => {
      const duration = ((400 * 1769) / Math.min(memoryMb, 1769) + 20) * (architecture === "arm64" ? 0.75 : 1);
      return {
        memoryMb,
        architecture,
        invocations: Array.from({ length: 5 }, () => ({
          report: { durationMs: duration, billedDurationMs: Math.ceil(duration), memorySizeMb: memoryMb, maxMemoryUsedMb: 90 },
        })),
      };
    }),
  );
  return JSON.parse(
    JSON.stringify(
      tuningResult(
        plan,
        measurements.map((measurement) => summarize(measurement, { discardTopBottom: 0.2, region: "us-east-1" })),
      ),
    ),
  );
}

describe("npm run tune", function () {
  this.timeout(30_000);
  let dir: string;
  let printed: string;
  const sfn = mockClient(SFNClient);
  const outputs = {
    tuningStateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:tuning",
    lambdaFunctions: {
      primes: { arn: ARM, architecture: "arm64", twin: { arn: X86, architecture: "x86_64" } },
      worker: { arn: ARM, architecture: "arm64", twin: { arn: X86, architecture: "x86_64" } },
      "get-job": { arn: `${ARM}-nf`, architecture: "arm64" },
    },
  };
  const run = (...argv: string[]) =>
    main(argv, (text) => void (printed += text), {
      outputs: () => outputs,
      sfn: new SFNClient({ region: "us-east-1" }),
      pollIntervalMs: 1,
      maxPolls: 5,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "tune-"));
    printed = "";
    sfn.reset();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses bad flags by name before starting anything, and before reading the stack (no Pulumi CLI needed to hear it)", async () => {
    for (const [argv, expected] of [
      [["--num", "abc"], /--num must be a whole number of invocations, got "abc"/],
      [["--num", "3"], /num must be at least 5/],
      [["--num", "5000"], /num must be at most 1000/],
      [["--strategy", "fastest"], /strategy must be "cost", "speed" or "balanced", got "fastest"/],
      [["--power-values", "128,lots"], /--power-values must be memory sizes in MB/],
      [["--power-values", "64"], /--power-values must be memory sizes in MB|powerValues must be whole numbers of MB from 128 to 10240/],
      [["--payload", "{max: 1}"], /--payload must be JSON/],
    ] as const) {
      printed = "";
      const noCli = () => {
        throw new Error("The Pulumi CLI is not installed");
      };
      const code = await main(["--stack", "dev", "--function", "primes", ...argv], (text) => void (printed += text), {
        outputs: noCli,
        sfn: new SFNClient({ region: "us-east-1" }),
      });
      assert.equal(code, 2, argv.join(" "));
      assert.match(printed, expected);
      assert.doesNotMatch(printed, /Pulumi CLI/);
    }
    assert.equal(sfn.commandCalls(StartExecutionCommand).length, 0, "no execution was started");
  });

  it("refuses an output file it cannot read, naming what is wrong, with exit 1 (never an empty or NaN table)", async () => {
    const cases: [unknown, RegExp][] = [
      ["not json at all", /is not JSON/],
      [[1, 2], /not a power-tuning execution's output: the output/],
      [{ power: "1024", cost: 1, duration: 1 }, /power/],
      [
        { power: 1024, cost: 1, duration: 1, stateMachine: { visualization: "https://lambda-power-tuning.show/#garbage" } },
        /visualization link cannot be read/,
      ],
      [{ power: 1024, cost: 1, duration: 1, stateMachine: { visualization: "https://lambda-power-tuning.show/#;;" } }, /points are empty/],
      [{ power: 1024, cost: 1, duration: 1, stateMachine: { visualization: 42 } }, /stateMachine\.visualization/],
      [{ power: 1024, cost: 1, duration: 1 }, /neither per-point stats nor a visualization link/],
      [
        { power: 1024, cost: 1, duration: 1, stats: [{ value: 1024, averageDuration: 1, averagePrice: 1 }], failedPowerValues: "x" },
        /failedPowerValues/,
      ],
      [
        {
          power: 1024,
          cost: 1,
          duration: 1,
          stats: [{ value: 1024, averageDuration: 1, averagePrice: 1 }],
          comparison: {
            visualization: "https://lambda-power-tuning.show/#",
            recommendation: { versusOtherArchitectureAtSameMemory: { architecture: "x86_64", fasterPercent: "lots", cheaperPercent: 1 } },
          },
        },
        /fasterPercent/,
      ],
    ];
    for (const [content, expected] of cases) {
      const file = join(dir, "bad.json");
      writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
      printed = "";
      assert.equal(await run("--from-output", file, "--chart", join(dir, "bad.svg")), 1, JSON.stringify(content));
      assert.match(printed, expected);
      assert.doesNotMatch(printed, /NaN|is not a function|Cannot read properties|is not iterable/);
    }
  });

  it("renders an output with no run costs (they are optional), and refuses a function name the stack does not have, even Object's own", async () => {
    const file = join(dir, "no-costs.json");
    const link = visualizationUrl([{ memoryMb: 512, durationMs: 10, costUsd: 0.000001 }]);
    writeFileSync(file, JSON.stringify({ power: 512, cost: 0.000001, duration: 10, stateMachine: { visualization: link } }));
    assert.equal(await run("--from-output", file, "--chart", join(dir, "no-costs.svg")), 0, printed);
    assert.doesNotMatch(printed, /This run cost/);
    for (const name of ["__proto__", "toString", "constructor"]) {
      printed = "";
      assert.equal(await run("--stack", "dev", "--function", name), 1, name);
      assert.match(printed, /Stack "dev" has no function/);
    }
  });

  it("renders an output of AWS Lambda Power Tuning from its visualization link alone (table and SVG chart)", async () => {
    const original = {
      power: 1024,
      cost: 0.00006489,
      duration: 3870.76,
      stateMachine: {
        executionCost: 0.00045,
        lambdaCost: 0.0012,
        visualization: visualizationUrl([
          { memoryMb: 128, durationMs: 36555.39, costUsd: 0.00007612 },
          { memoryMb: 256, durationMs: 18441.58, costUsd: 0.00007696 },
          { memoryMb: 512, durationMs: 8539.34, costUsd: 0.00007155 },
          { memoryMb: 1024, durationMs: 3870.76, costUsd: 0.00006489 },
        ]),
      },
    };
    const file = join(dir, "original.json");
    writeFileSync(file, JSON.stringify(original));
    assert.equal(await run("--from-output", file, "--chart", join(dir, "chart.svg")), 0);
    assert.match(printed, /memory\s+function duration\s+function cost/);
    assert.match(printed, /128 MB\s+36555\.4 ms\s+\$0\.0000761\n/);
    assert.match(printed, /Recommended: 1024 MB \(3870\.8 ms, \$0\.0000649 per invocation\)/);
    const svg = readFileSync(join(dir, "chart.svg"), "utf8");
    assert.match(svg, /^<svg/);
    assert.match(svg, /average duration \(ms\)/);
    // The recommended point is marked, and no number is in e-notation (costs are per 1M invocations).
    assert.match(svg, />recommended</);
    assert.match(svg, /average cost per 1M invocations \(USD\)/);
    assert.doesNotMatch(svg, /\d(\.\d+)?e[-+]\d/);
    assert.doesNotMatch(printed, /\de-\d/);
  });

  it("renders the sample output the documentation ships (docs/examples/power-tuning-output.json)", async () => {
    const sample = join(__dirname, "..", "..", "docs", "examples", "power-tuning-output.json");
    assert.equal(await run("--from-output", sample, "--chart", join(dir, "sample.svg")), 0, printed);
    assert.match(printed, /Recommended: \d+ MB on arm64/);
    assert.match(readFileSync(join(dir, "sample.svg"), "utf8"), /Power tuning: primes</);
  });

  it("renders this platform's comparison output: memory x architecture, and how much better the pick is", async () => {
    const file = join(dir, "ours.json");
    writeFileSync(file, JSON.stringify(ourOutput()));
    assert.equal(await run("--from-output", file, "--chart", join(dir, "ours.svg")), 0);
    assert.match(printed, /memory\s+x86_64 duration\s+x86_64 cost\s+arm64 duration\s+arm64 cost/);
    assert.match(printed, /Recommended: 512 MB on arm64/);
    assert.match(printed, /At 512 MB, arm64 is 25% faster and \d+(\.\d)?% cheaper than x86_64\./);
    const svg = readFileSync(join(dir, "ours.svg"), "utf8");
    assert.match(svg, /arm64/);
    // Titled by the function the output is of, not by the file's name.
    assert.match(svg, new RegExp(`Power tuning: ${ARM.split(":")[6]}`));
  });

  it("prints the recommendation as the stack-file change, and --apply writes it (comments kept) for pulumi up to roll out", async () => {
    const file = join(dir, "ours.json");
    writeFileSync(file, JSON.stringify(ourOutput())); // 512 MB on arm64
    // A copy of prod on x86_64: the tuning moves get-job to 512 MB and to arm64, which prod rolls out as a canary.
    const prod = readFileSync("Pulumi.prod.yaml", "utf8").replace(
      "graviton-platform:architecture: arm64",
      "graviton-platform:architecture: x86_64",
    );
    writeFileSync(join(dir, "Pulumi.x86.yaml"), prod);
    const tune = (...argv: string[]) =>
      main(argv, (text) => void (printed += text), {
        outputs: () => outputs,
        sfn: new SFNClient({ region: "us-east-1" }),
        projectDir: dir,
      });
    const common = ["--from-output", file, "--chart", join(dir, "ours.svg"), "--stack", "x86", "--function", "get-job"];
    assert.equal(await tune(...common), 0, printed);
    assert.match(
      printed,
      /The stack-file change \(Pulumi\.x86\.yaml\):\n  graviton-platform:functions\.get-job\.memory: 256 -> 512\n  graviton-platform:functions\.get-job\.architecture: x86_64 -> arm64\n/,
    );
    assert.match(
      printed,
      /Not written: add --apply to write it to Pulumi\.x86\.yaml, then pulumi up --stack x86 rolls it out through CodeDeployDefault\.LambdaCanary10Percent5Minutes\./,
    );
    assert.equal(readFileSync(join(dir, "Pulumi.x86.yaml"), "utf8"), prod, "nothing written without --apply");

    printed = "";
    assert.equal(await tune(...common, "--apply"), 0, printed);
    assert.match(printed, /Written to Pulumi\.x86\.yaml \(comments and layout kept\)\. pulumi up --stack x86 rolls it out through/);
    const written = readFileSync(join(dir, "Pulumi.x86.yaml"), "utf8");
    const getJobBlock = "    get-job:\n      reservedConcurrency: 20\n";
    assert.ok(prod.includes(getJobBlock));
    assert.equal(
      written,
      prod.replace(getJobBlock, `${getJobBlock}      memory: 512\n      architecture: arm64\n`),
      "two lines added, nothing else",
    );
    const getJob = stackConfigFrom(readStackConfig("x86", dir)).functionNamed["get-job"];
    assert.deepEqual([getJob.memory, getJob.architecture, getJob.reservedConcurrency], [512, "arm64", 20]);
    printed = "";
    assert.equal(await tune(...common, "--apply"), 0);
    assert.match(printed, /already sets what the tuning recommends for get-job: nothing to change/);
    assert.equal(readFileSync(join(dir, "Pulumi.x86.yaml"), "utf8"), written);
  });

  it("--apply refuses, leaving the file as it was, a stack file it cannot edit safely or an edit the stack would refuse", async () => {
    const file = join(dir, "ours.json");
    writeFileSync(file, JSON.stringify({ ...ourOutput(), power: 20000 }));
    const anchored = "config:\n  graviton-platform:functions:\n    get-job: &sized\n      memory: 256\n    worker: *sized\n";
    writeFileSync(join(dir, "Pulumi.anchored.yaml"), anchored);
    writeFileSync(join(dir, "Pulumi.plain.yaml"), "config:\n  aws:region: us-east-1\n");
    const tune = (...argv: string[]) =>
      main(argv, (text) => void (printed += text), {
        outputs: () => outputs,
        sfn: new SFNClient({ region: "us-east-1" }),
        projectDir: dir,
      });
    for (const [stack, expected] of [
      ["anchored", /get-job carries an anchor \(&sized\) that other keys may alias: edit it by hand/],
      ["plain", /functions\.get-job\.memory must be a whole number from 128 to 10240 \(MB\), got 20000/],
    ] as const) {
      printed = "";
      const before = readFileSync(join(dir, `Pulumi.${stack}.yaml`), "utf8");
      assert.equal(
        await tune("--from-output", file, "--chart", join(dir, "c.svg"), "--stack", stack, "--function", "get-job", "--apply"),
        1,
        stack,
      );
      assert.match(printed, expected);
      assert.equal(readFileSync(join(dir, `Pulumi.${stack}.yaml`), "utf8"), before);
    }
    printed = "";
    assert.equal(await tune("--from-output", file, "--apply"), 2);
    assert.match(printed, /--apply needs --stack and --function/);
  });

  it("starts the stack's state machine on a function and its twin, follows it, and reports", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: "arn:aws:states:us-east-1:123456789012:execution:tuning:1" });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: "RUNNING" })
      .resolves({ status: "SUCCEEDED", output: JSON.stringify(ourOutput()) });
    const chart = join(dir, "run.svg");
    // The stack file the change is printed for: the project's own would tie the test to its examples.
    writeFileSync(join(dir, "Pulumi.dev.yaml"), "config:\n  graviton-platform:functions:\n    worker:\n      memory: 1024\n");
    assert.equal(
      await main(
        [
          "--stack",
          "dev",
          "--function",
          "worker",
          "--compare-architectures",
          "--num",
          "10",
          "--payload",
          '{"queryStringParameters":{"max":"1000000"}}',
          "--chart",
          chart,
        ],
        (text) => void (printed += text),
        { outputs: () => outputs, sfn: new SFNClient({ region: "us-east-1" }), pollIntervalMs: 1, maxPolls: 5, projectDir: dir },
      ),
      0,
      printed,
    );
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!);
    assert.deepEqual(input, {
      lambdaARNs: { arm64: ARM, x86_64: X86 },
      num: 10,
      payload: { queryStringParameters: { max: "1000000" } },
      strategy: "cost",
      includeOutputResults: true,
    });
    assert.match(printed, /running, \d+ s\n/);
    assert.match(printed, /Recommended: 512 MB on arm64/);
    assert.match(printed, /Chart written to .*run\.svg/);
    assert.match(printed, /graviton-platform:functions\.worker\.memory: 1024 -> 512\nNot written: add --apply/);
  });

  it("says what to do when the function has no twin to compare with, and reports a failed execution", async () => {
    assert.equal(await run("--stack", "dev", "--function", "get-job", "--compare-architectures"), 1);
    assert.match(
      printed,
      /get-job has no twin on the other architecture: set graviton-platform:functions\.get-job\.compareArchitectures to true/,
    );
    printed = "";
    sfn.on(StartExecutionCommand).resolves({ executionArn: "arn:x" });
    sfn.on(DescribeExecutionCommand).resolves({ status: "FAILED", error: "TuningFailed", cause: "simulated Invoke failure" });
    assert.equal(await run("--stack", "dev", "--function", "primes", "--num", "10"), 1);
    assert.match(printed, /The execution ended FAILED: TuningFailed simulated Invoke failure/);
  });
});
