import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { powerTuningDefinition } from "./power-tuning-definition";
import { AWS_LIMITS } from "./aws-limits";
import { MAX_TUNED_ARNS, TUNED_ARNS_PER_POLICY, tunePolicyDocument } from "./power-tuning-policy";
import { serviceRole } from "./iam";
import { logRetention } from "./settings-schema";
import { stackScopedName } from "./stack-name";
import { chunked } from "./chunked";

export interface PowerTuningArgs {
  /**
   * The function that runs every step (the app image's power-tuning handler), and its reserved
   * concurrency: the Map measures at most that many memory values at once, so none is throttled.
   * @default reservedConcurrency undefined (no limit)
   */
  taskFunction: { arn: pulumi.Input<string>; role: aws.iam.Role; reservedConcurrency?: number };
  /** The functions it may tune (and nothing else): their unqualified ARNs. */
  tunedFunctionArns: pulumi.Input<string>[];
  /** Days the execution logs are kept. @default 14 */
  logRetentionDays?: number;
}

/**
 * A Step Functions state machine that measures functions at several memory sizes (and both
 * architectures, through their twins) and recommends one, with execution logs and X-Ray tracing.
 * The task function may change, version, alias, invoke and clean up exactly the tuned functions.
 */
export class PowerTuning extends pulumi.ComponentResource {
  readonly stateMachineArn: pulumi.Output<string>;
  /** The underlying resources, for a fork to read or extend (see "Changing a component" in docs/extending.md). */
  readonly nodes: { stateMachine: aws.sfn.StateMachine };

  constructor(name: string, args: PowerTuningArgs, opts?: pulumi.ComponentResourceOptions) {
    super("graviton:tuning:PowerTuning", name, {}, opts);
    const parent = { parent: this };
    // Managed policies, not inline ones: a role's inline policies share 10,240 characters, which a few
    // dozen tuned functions would fill; each managed policy holds TUNED_ARNS_PER_POLICY of them. With
    // nothing to tune, no policy: IAM refuses a statement whose Resource is empty.
    const chunks = chunked(args.tunedFunctionArns, TUNED_ARNS_PER_POLICY);
    if (chunks.length > AWS_LIMITS.iamManagedPoliciesPerRole.max)
      throw new Error(
        `PowerTuning ${name}: ${args.tunedFunctionArns.length} tuned functions (twins included) need ${chunks.length} managed policies; IAM attaches at most ${AWS_LIMITS.iamManagedPoliciesPerRole.max} to a role. Tune at most ${MAX_TUNED_ARNS}.`,
      );
    const tunePolicies = chunks.map((arns, index) => {
      const policyName = `${name}-tune-functions${chunks.length > 1 ? `-${index + 1}` : ""}`;
      const policy = new aws.iam.Policy(
        policyName,
        {
          description: `${name}: what power tuning may do to ${arns.length} tuned functions (${index + 1} of ${chunks.length})`,
          policy: pulumi.jsonStringify(
            tunePolicyDocument(
              arns,
              arns.map((arn) => pulumi.interpolate`${arn}:*`),
            ),
          ),
        },
        parent,
      );
      return new aws.iam.RolePolicyAttachment(policyName, { role: args.taskFunction.role.name, policyArn: policy.arn }, parent);
    });

    const logs = new aws.cloudwatch.LogGroup(
      `${name}-executions`,
      { name: `/aws/vendedlogs/states/${stackScopedName([name])}`, retentionInDays: logRetention.parse(args.logRetentionDays) },
      parent,
    );
    const { role, policy } = serviceRole(
      `${name}-state-machine`,
      "states.amazonaws.com",
      [
        {
          Sid: "RunSteps",
          Effect: "Allow",
          Action: "lambda:InvokeFunction",
          Resource: [args.taskFunction.arn, pulumi.interpolate`${args.taskFunction.arn}:*`],
        },
        // Log delivery and X-Ray writes support no resource-level permissions.
        {
          Sid: "DeliverExecutionLogs",
          Effect: "Allow",
          Action: [
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
          ],
          Resource: "*",
        },
        {
          Sid: "WriteTraces",
          Effect: "Allow",
          Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"],
          Resource: "*",
        },
      ],
      parent,
    );

    const stateMachine = new aws.sfn.StateMachine(
      name,
      {
        type: "STANDARD",
        roleArn: role.arn,
        definition: pulumi
          .output(args.taskFunction.arn)
          .apply((arn) => JSON.stringify(powerTuningDefinition(arn, { maxConcurrency: args.taskFunction.reservedConcurrency }))),
        loggingConfiguration: { level: "ALL", includeExecutionData: true, logDestination: pulumi.interpolate`${logs.arn}:*` },
        tracingConfiguration: { enabled: true },
      },
      { parent: this, dependsOn: [policy, ...tunePolicies] },
    );

    this.stateMachineArn = stateMachine.arn;
    this.nodes = { stateMachine };
    this.registerOutputs({ stateMachineArn: this.stateMachineArn });
  }
}
