import * as aws from "@pulumi/aws";
import { strict as assert } from "node:assert";
import { PowerTuning } from "../../components/power-tuning";
import { powerTuningDefinition } from "../../components/power-tuning-definition";
import { evaluate } from "../../scripts/mock-engine";
import { Registered } from "../registered";

// A CommonJS module whose export is the validator itself.
const validate: (definition: object) => Promise<{ isValid: boolean; errors: unknown[] }> = require("asl-validator");
const TASK = "arn:aws:lambda:us-east-1:123456789012:function:power-tuning";
const TUNED = ["arn:aws:lambda:us-east-1:123456789012:function:primes", "arn:aws:lambda:us-east-1:123456789012:function:primes-x86_64"];

describe("PowerTuning", () => {
  it("builds a definition that is valid Amazon States Language (asl-validator), and the validator does catch a broken one", async () => {
    const definition = powerTuningDefinition(TASK) as any;
    const result = await validate(definition);
    assert.deepEqual([result.isValid, result.errors], [true, []]);
    const broken = structuredClone(definition);
    broken.States.Publish.Next = "NoSuchState";
    assert.equal((await validate(broken)).isValid, false);
  });

  it("routes every failure after Initialize through cleanup before failing, and never succeeds from a catch", () => {
    const definition = powerTuningDefinition(TASK) as any;
    for (const [name, state] of Object.entries<any>(definition.States)) {
      for (const handler of state.Catch ?? []) {
        const next = definition.States[handler.Next];
        if (name === "Initialize") assert.equal(next.Type, "Fail", "nothing to clean up before anything was created");
        else if (["CleanUp", "CleanUpAfterFailure"].includes(name)) assert.equal(handler.Next, "CleanUpFailed");
        else if (["Analyze", "Optimize"].includes(name)) assert.equal(next.Type, "Fail", `${name} runs after cleanup`);
        else assert.equal(handler.Next, "CleanUpAfterFailure", `${name} cleans up on failure`);
      }
    }
    assert.equal(definition.States.CleanUpAfterFailure.Next, "TuningFailed");
    assert.equal(definition.States.Measure.MaxConcurrency, 0, "every memory value in parallel");
  });

  it("lets the task function touch only the tuned functions: versions and aliases, never deleting the function itself", async () => {
    const { resources } = await evaluate(() => {
      const role = new aws.iam.Role("power-tuning-role", { assumeRolePolicy: "{}" });
      new PowerTuning("tuning", { taskFunction: { arn: TASK, role }, tunedFunctionArns: TUNED, logRetentionDays: 30 });
    });
    const registered = new Registered(resources);
    const [configure, invoke] = JSON.parse(
      registered.one("aws:iam/rolePolicy:RolePolicy", "tuning-tune-functions").inputs.policy,
    ).Statement;
    assert.deepEqual(configure.Resource, TUNED);
    assert.ok(!configure.Action.includes("lambda:DeleteFunction") && !configure.Action.includes("lambda:InvokeFunction"));
    assert.deepEqual(invoke.Action, ["lambda:InvokeFunction", "lambda:DeleteFunction"]);
    assert.deepEqual(
      invoke.Resource,
      TUNED.map((arn) => `${arn}:*`),
      "qualified ARNs only",
    );

    const machine = registered.one("aws:sfn/stateMachine:StateMachine", "tuning").inputs;
    assert.deepEqual(JSON.parse(machine.definition), JSON.parse(JSON.stringify(powerTuningDefinition(TASK))));
    assert.equal(machine.loggingConfiguration.level, "ALL");
    assert.match(machine.loggingConfiguration.logDestination, /:\*$/);
    assert.deepEqual(machine.tracingConfiguration, { enabled: true });
    assert.equal(registered.one("aws:cloudwatch/logGroup:LogGroup", "tuning-executions").inputs.retentionInDays, 30);
    const [runSteps] = JSON.parse(registered.one("aws:iam/rolePolicy:RolePolicy", "tuning-state-machine").inputs.policy).Statement;
    assert.deepEqual(runSteps.Resource, [TASK, `${TASK}:*`], "the state machine invokes only its task function");
  });

  it("with nothing to tune (a fork without the examples), grants no tuning permissions, since IAM refuses an empty Resource", async () => {
    const { resources } = await evaluate(() => {
      const role = new aws.iam.Role("power-tuning-role", { assumeRolePolicy: "{}" });
      new PowerTuning("tuning", { taskFunction: { arn: TASK, role }, tunedFunctionArns: [] });
    });
    const registered = new Registered(resources);
    assert.deepEqual(
      registered.all("aws:iam/rolePolicy:RolePolicy").map((policy) => policy.name),
      ["tuning-state-machine"],
    );
    assert.ok(registered.one("aws:sfn/stateMachine:StateMachine", "tuning"));
  });
});
