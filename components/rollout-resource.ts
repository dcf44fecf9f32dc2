// The step of `pulumi up` that rolls a serving function's new version out: a dynamic resource whose
// create and update run rollOut (rollout-deployment.ts) and fail the update on a rollback. Pulumi
// serializes the provider below into the stack's state and runs it in its own process, with the
// machine's AWS credentials (the SDK's default chain, as the AWS provider's). Its output lines show in
// `up`'s output (pulumi/pulumi#18249; pulumi.log is console.log there, so the provider uses that and
// captures none of the SDK).
import { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { LambdaClient } from "@aws-sdk/client-lambda";
import * as pulumi from "@pulumi/pulumi";
import { rollOut, type RolloutOutcome, type RolloutRequest } from "./rollout-deployment";

export type RolloutInputs = RolloutRequest & { region: string };

/**
 * Each CodeDeploy and Lambda call gives up well inside the rollout's own wait: 5 s to connect, 20 s for
 * an answer, 3 attempts (the SDK's retry on throttling and 5xx).
 */
export const CALL_LIMITS = { connectionTimeoutMs: 5_000, requestTimeoutMs: 20_000, maxAttempts: 3 } as const;

/** Runs one rollout with clients for the function's region, reporting progress on the engine's log. */
export async function runRollout(inputs: RolloutInputs, log: (message: string) => void, previousVersion?: string): Promise<RolloutOutcome> {
  const settings = {
    region: inputs.region,
    maxAttempts: CALL_LIMITS.maxAttempts,
    requestHandler: { connectionTimeout: CALL_LIMITS.connectionTimeoutMs, requestTimeout: CALL_LIMITS.requestTimeoutMs },
  };
  return rollOut({ codedeploy: new CodeDeployClient(settings), lambda: new LambdaClient(settings) }, inputs, { log }, previousVersion);
}

const progress = (message: string) => console.log(message);

/** Inputs whose change starts a rollout: a new version, or a different alias, group or check to roll through. */
const ROLLOUT_KEYS = ["targetVersion", "functionName", "alias", "application", "deploymentGroup", "beforeAllowTraffic"] as const;

const rolloutProvider: pulumi.dynamic.ResourceProvider<RolloutInputs, RolloutInputs & RolloutOutcome> = {
  async create(inputs) {
    const outcome = await runRollout(inputs, progress);
    return { id: `${inputs.functionName}:${inputs.alias}`, outs: { ...inputs, ...outcome } };
  },
  async diff(_id, olds, news) {
    const changed = ROLLOUT_KEYS.filter((key) => olds[key] !== news[key]);
    const settings = (["waitSeconds", "pollSeconds", "region"] as const).filter((key) => olds[key] !== news[key]);
    return { changes: changed.length + settings.length > 0, replaces: [] };
  },
  async update(_id, olds, news) {
    // Only a new version (or another alias, group or check) is a rollout; a changed wait, poll or region is recorded.
    if (ROLLOUT_KEYS.every((key) => olds[key] === news[key])) return { outs: { ...olds, ...news } };
    const outcome = await runRollout(news, progress, olds.version);
    return { outs: { ...news, ...outcome } };
  },
  // Nothing to undo: the alias and the versions go with the function.
  async delete() {},
};

/**
 * The rollout of one serving function's live alias to the version `pulumi up` published. Created (or
 * updated) after the version, the alias and the deployment group exist; `up` shows its progress and fails
 * when CodeDeploy rolls back.
 */
export class Rollout extends pulumi.dynamic.Resource {
  declare readonly deploymentId: pulumi.Output<string | undefined>;
  declare readonly version: pulumi.Output<string>;
  declare readonly architecture: pulumi.Output<string | undefined>;
  declare readonly deletedVersions: pulumi.Output<string[]>;

  constructor(name: string, args: { [K in keyof RolloutInputs]: pulumi.Input<RolloutInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
    super(
      rolloutProvider,
      name,
      { deploymentId: undefined, fromVersion: undefined, architecture: undefined, deletedVersions: undefined, ...args },
      opts,
      "graviton:Rollout",
    );
  }
}
