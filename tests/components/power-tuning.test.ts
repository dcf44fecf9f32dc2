import * as aws from "@pulumi/aws";
import { strict as assert } from "node:assert";
import { iamPolicyCharacters, AWS_LIMITS } from "../../components/aws-limits";
import { PowerTuning } from "../../components/power-tuning";
import { MAX_TUNED_ARNS, TUNED_ARNS_PER_POLICY } from "../../components/power-tuning-policy";
import { powerTuningDefinition } from "../../components/power-tuning-definition";
import { evaluate } from "../mock-engine";
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
    const [configure, invoke] = JSON.parse(registered.one("aws:iam/policy:Policy", "tuning-tune-functions").inputs.policy).Statement;
    const attachment = registered.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "tuning-tune-functions").inputs;
    assert.equal(attachment.role, "power-tuning-role", "attached to the task function's role");
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
    assert.deepEqual(registered.all("aws:iam/policy:Policy"), []);
    assert.ok(registered.one("aws:sfn/stateMachine:StateMachine", "tuning"));
  });

  it("splits the tuned functions over managed policies, each within IAM's 6,144 characters at the longest ARNs, and refuses more than 10 policies' worth", async () => {
    // The longest ARN there can be: a 20-character Region, the GovCloud partition, a 64-character name.
    const longest = (index: number) => `arn:aws-us-gov:lambda:${"r".repeat(20)}:123456789012:function:${String(index).padStart(64, "f")}`;
    const tuned = Array.from({ length: MAX_TUNED_ARNS }, (_, index) => longest(index));
    const { resources } = await evaluate(() => {
      const role = new aws.iam.Role("power-tuning-role", { assumeRolePolicy: "{}" });
      new PowerTuning("tuning", { taskFunction: { arn: TASK, role }, tunedFunctionArns: tuned });
    });
    const policies = new Registered(resources).all("aws:iam/policy:Policy");
    assert.equal(policies.length, AWS_LIMITS.iamManagedPoliciesPerRole.max);
    for (const policy of policies)
      assert.ok(iamPolicyCharacters(policy.inputs.policy) <= AWS_LIMITS.iamManagedPolicyCharacters.max, policy.name);
    const granted = policies.flatMap((policy) => JSON.parse(policy.inputs.policy).Statement[0].Resource);
    assert.deepEqual(granted, tuned, "every tuned function, once");
    // One ARN more per policy would cross the limit: the chunk size is the largest that fits.
    const fuller = policies[0].inputs.policy
      .replace(`"${tuned[0]}"`, `"${tuned[0]}","${tuned[0]}"`)
      .replace(`"${tuned[0]}:*"`, `"${tuned[0]}:*","${tuned[0]}:*"`);
    assert.equal(JSON.parse(fuller).Statement[0].Resource.length, TUNED_ARNS_PER_POLICY + 1);
    assert.ok(iamPolicyCharacters(fuller) > AWS_LIMITS.iamManagedPolicyCharacters.max - 2 * longest(0).length, "the chunk is nearly full");
    await assert.rejects(
      evaluate(() => {
        const role = new aws.iam.Role("power-tuning-role", { assumeRolePolicy: "{}" });
        new PowerTuning("tuning", { taskFunction: { arn: TASK, role }, tunedFunctionArns: [...tuned, longest(-1)] });
      }),
      /need 11 managed policies; IAM attaches at most 10 to a role/,
    );
  });
});
