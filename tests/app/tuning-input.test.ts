import { strict as assert } from "node:assert";
import { ALL_POWER_VALUES, DEFAULT_POWER_VALUES, InvalidTuningInput, parseTuningInput, targetsOf } from "../../app/tuning/input";

const ARN = "arn:aws:lambda:us-east-1:123456789012:function:primes";

describe("power tuning input (AWS Lambda Power Tuning 4.x fields, plus lambdaARNs)", () => {
  it("applies the original's defaults", () => {
    const input = parseTuningInput({ lambdaARN: ARN, num: 10 });
    assert.deepEqual(
      [
        input.powerValues,
        input.strategy,
        input.balancedWeight,
        input.discardTopBottom,
        input.parallelInvocation,
        input.payload,
        input.autoOptimize,
        input.onlyColdStarts,
      ],
      [DEFAULT_POWER_VALUES, "cost", 0.5, 0.2, false, null, false, false],
    );
    assert.deepEqual(targetsOf(input), [{ functionArn: ARN }]);
  });

  it("reads the original's shorthands and its onlyColdStarts default, and keeps an explicit null payload", () => {
    assert.deepEqual(parseTuningInput({ lambdaARN: ARN, num: 10, powerValues: "ALL" }).powerValues, ALL_POWER_VALUES);
    assert.equal(ALL_POWER_VALUES.length, 46);
    assert.deepEqual([ALL_POWER_VALUES[0], ALL_POWER_VALUES[45]], [128, 3008]);
    assert.deepEqual(parseTuningInput({ lambdaARN: ARN, num: 10, powerValues: [] }).powerValues, DEFAULT_POWER_VALUES);
    assert.equal(
      parseTuningInput({ lambdaARN: ARN, num: 10, onlyColdStarts: true }).discardTopBottom,
      0,
      "cold starts only: nothing trimmed",
    );
    assert.equal(parseTuningInput({ lambdaARN: ARN, num: 10, onlyColdStarts: true, discardTopBottom: 0.1 }).discardTopBottom, 0.1);
    assert.equal(parseTuningInput({ lambdaARN: ARN, num: 10, payload: null }).payload, null);
  });

  it("refuses an execution input that is not an object, and bounds what travels in the state", () => {
    for (const input of ["primes", 42, null, [], [{ lambdaARN: ARN }]]) {
      assert.throws(() => parseTuningInput(input), /^InvalidTuningInput: Invalid input: the execution input must be a JSON object/);
    }
    assert.throws(
      () => parseTuningInput({ lambdaARN: ARN, num: 10, payload: "x".repeat(40_000) }),
      /payload must be at most 32768 bytes as JSON/,
    );
    assert.throws(
      () => parseTuningInput({ lambdaARN: ARN, num: 10, powerValues: Array.from({ length: 65 }, (_, i) => 128 + i) }),
      /powerValues must list at most 64 memory sizes/,
    );
    assert.throws(() => parseTuningInput({ lambdaARN: ARN, num: 1001 }), /num must be at most 1000/);
    assert.throws(
      () => parseTuningInput({ lambdaARN: ARN, num: 100, sleepBetweenRunsMs: 9000 }),
      /sleepBetweenRunsMs times num must be at most 840000 ms/,
    );
    assert.equal(parseTuningInput({ lambdaARN: ARN, num: 100, sleepBetweenRunsMs: 8400 }).sleepBetweenRunsMs, 8400);
  });

  it("takes one function per architecture", () => {
    const input = parseTuningInput({ lambdaARNs: { arm64: ARN, x86_64: `${ARN}-x86_64` }, num: 5 });
    assert.deepEqual(
      targetsOf(input).map((target) => target.architecture),
      ["x86_64", "arm64"],
    );
  });

  const rejects: [string, object, RegExp][] = [
    ["no function", { num: 5 }, /lambdaARN give lambdaARN \(one function\) or lambdaARNs/],
    ["both forms", { lambdaARN: ARN, lambdaARNs: { arm64: ARN }, num: 5 }, /not both and not neither/],
    ["a qualified ARN", { lambdaARN: `${ARN}:live`, num: 5 }, /lambdaARN must be a function ARN .*no qualifier/],
    ["an empty lambdaARNs", { lambdaARNs: {}, num: 5 }, /lambdaARNs must name at least one of "x86_64" and "arm64"/],
    ["num below 5", { lambdaARN: ARN, num: 4 }, /num must be at least 5 .*got 4/],
    ["a fractional num", { lambdaARN: ARN, num: 5.5 }, /num must be a whole number of invocations/],
    [
      "a memory size out of range",
      { lambdaARN: ARN, num: 5, powerValues: [64] },
      /powerValues\.0 must be whole numbers of MB from 128 to 10240, got 64/,
    ],
    ["a repeated memory size", { lambdaARN: ARN, num: 5, powerValues: [512, 512] }, /powerValues must not repeat a memory size/],
    ["an unknown strategy", { lambdaARN: ARN, num: 5, strategy: "cheap" }, /strategy must be "cost", "speed" or "balanced", got "cheap"/],
    [
      "a balancedWeight above 1",
      { lambdaARN: ARN, num: 5, balancedWeight: 2 },
      /balancedWeight must be a number from 0 \(speed\) to 1 \(cost\), got 2/,
    ],
    ["discarding too much", { lambdaARN: ARN, num: 5, discardTopBottom: 0.5 }, /discardTopBottom must be at most 0\.4, got 0\.5/],
    ["a negative sleep", { lambdaARN: ARN, num: 5, sleepBetweenRunsMs: -1 }, /sleepBetweenRunsMs must not be negative/],
    ["an alias without autoOptimize", { lambdaARN: ARN, num: 5, autoOptimizeAlias: "prod" }, /autoOptimizeAlias needs autoOptimize: true/],
    [
      "a numeric alias",
      { lambdaARN: ARN, num: 5, autoOptimize: true, autoOptimizeAlias: "42" },
      /autoOptimizeAlias must be a Lambda alias name/,
    ],
    ["a flag that is not boolean", { lambdaARN: ARN, num: 5, dryRun: "yes" }, /dryRun must be true or false/],
    [
      "weighted payloads that num cannot cover",
      { lambdaARN: ARN, num: 5, payload: [1, 2, 3, 4, 5, 6].map((n) => ({ payload: n, weight: 1 })) },
      /6 weighted payloads but num is 5/,
    ],
    ["a field the tuner does not support", { lambdaARN: ARN, num: 5, preProcessorARN: ARN }, /preProcessorARN is not supported/],
  ];
  for (const [what, input, message] of rejects) {
    it(`refuses ${what}, naming the field and the rule`, () => {
      assert.throws(
        () => parseTuningInput(input),
        (error: Error) => error instanceof InvalidTuningInput && message.test(error.message),
      );
    });
  }
});
