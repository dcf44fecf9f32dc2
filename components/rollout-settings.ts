// How a new version of a serving function reaches its traffic (the stack's `deploymentConfig`, a
// function's own, and the stack's own deployment configs): no Pulumi here, so the config reads them
// without loading the engine. Rollouts (rollouts.ts) deploys what they hold.
import { z } from "zod";
import { strictObject, wholeNumber } from "./settings-schema";
import { AWS_LIMITS } from "./aws-limits";

/**
 * CodeDeploy's predefined deployment configs for Lambda, with how long each shifts traffic
 * (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html#deployment-configuration-lambda).
 * Canary: the first share, then the rest after the interval; linear: 10% more every interval.
 */
export const PREDEFINED_DEPLOYMENT_CONFIGS = {
  "CodeDeployDefault.LambdaAllAtOnce": { shiftMinutes: 0 },
  "CodeDeployDefault.LambdaCanary10Percent5Minutes": { shiftMinutes: 5 },
  "CodeDeployDefault.LambdaCanary10Percent10Minutes": { shiftMinutes: 10 },
  "CodeDeployDefault.LambdaCanary10Percent15Minutes": { shiftMinutes: 15 },
  "CodeDeployDefault.LambdaCanary10Percent30Minutes": { shiftMinutes: 30 },
  "CodeDeployDefault.LambdaLinear10PercentEvery1Minute": { shiftMinutes: 10 },
  "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes": { shiftMinutes: 20 },
  "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes": { shiftMinutes: 30 },
  "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes": { shiftMinutes: 100 },
} as const;

/** All at once: the alias moves in one step, so Pulumi moves it itself (no CodeDeploy deployment to wait for). */
export const ALL_AT_ONCE = "CodeDeployDefault.LambdaAllAtOnce";

/** The longest traffic shift CodeDeploy runs for Lambda (two days); its model bounds neither the percentage's steps nor the interval. */
const MAX_SHIFT_MINUTES = AWS_LIMITS.codedeployLambdaShiftMinutes.max;

/**
 * How long a config of the stack's own moves all traffic, at most: canary one interval; linear one
 * interval per step, ceil(100 / percentage) steps (the predefined linear configs' durations count the same way).
 */
export function shiftMinutesOf(config: { type: "canary" | "linear"; percentage: number; intervalMinutes: number }): number {
  return config.type === "canary" ? config.intervalMinutes : Math.ceil(100 / config.percentage) * config.intervalMinutes;
}

/**
 * A deployment config of the stack's own (`deploymentConfigs.<name>`), as CodeDeploy's TimeBasedCanary
 * and TimeBasedLinear take it: a percentage (1 to 99) and an interval in minutes.
 */
const customDeploymentConfig = strictObject({
  type: z
    .enum(["canary", "linear"], { error: 'must be "canary" (two steps) or "linear" (equal steps)' })
    .meta({ description: "canary: a share first, the rest after one interval; linear: equal shares, one per interval" }),
  percentage: wholeNumber(1, 99, " (percent of traffic per step)").meta({
    description: "canary: the share the new version gets first; linear: the share added each step",
  }),
  intervalMinutes: wholeNumber(1, MAX_SHIFT_MINUTES, " (minutes)").meta({
    description: "minutes between steps (canary: before the rest moves)",
  }),
}).refine((config) => shiftMinutesOf(config) <= MAX_SHIFT_MINUTES, {
  error: `must move all traffic within ${MAX_SHIFT_MINUTES} minutes (two days): linear's steps (100 / percentage) x intervalMinutes is over it`,
});
export type CustomDeploymentConfig = z.output<typeof customDeploymentConfig>;

/** A custom config's name: CodeDeploy's DeploymentConfigName (1 to 100 characters); the CodeDeployDefault. prefix is AWS's. */
const CUSTOM_NAME_RULE = "letters, digits, . _ -, at most 100, not starting with CodeDeployDefault. (AWS's own)";
const customDeploymentConfigName = z
  .string()
  .regex(/^(?!CodeDeployDefault\.)[A-Za-z0-9][\w.-]{0,99}$/, { error: `must be a deployment config name: ${CUSTOM_NAME_RULE}` });

/** A deployment config name: one of CodeDeploy's Lambda configs or one of the stack's `deploymentConfigs` (checked across keys). */
export const deploymentConfigName = z
  .string({ error: "must be a deployment config name" })
  .max(AWS_LIMITS.codedeployDeploymentConfigName.max, {
    error: `must be at most ${AWS_LIMITS.codedeployDeploymentConfigName.max} characters (CodeDeploy's DeploymentConfigName)`,
  });

/** The stack-wide keys: the default config of every serving function, and the stack's own configs. */
export const rolloutSettings = {
  deploymentConfig: deploymentConfigName.default(ALL_AT_ONCE).meta({
    description:
      "how each new version of a serving function reaches its traffic: one of CodeDeploy's Lambda deployment configs (docs/rollouts.md) or of `deploymentConfigs`; anything but the default shifts gradually and rolls back on the function's alarms",
  }),
  deploymentConfigs: z
    .record(customDeploymentConfigName, customDeploymentConfig, {
      error: (issue) =>
        issue.code === "invalid_key"
          ? `is not a deployment config name of the stack's own: ${CUSTOM_NAME_RULE}`
          : "must be a map of deployment config names to their steps",
    })
    .refine((configs) => Object.keys(configs).length <= AWS_LIMITS.codedeployCustomDeploymentConfigs.max, {
      error: `must be at most ${AWS_LIMITS.codedeployCustomDeploymentConfigs.max}: CodeDeploy keeps that many custom deployment configs per account`,
    })
    .default({})
    .meta({ description: "the stack's own deployment configs (canary or linear), keyed by name; each a CodeDeploy deployment config" }),
};

/** The most bytes of a sample event the platform's before-traffic check carries in its environment (Lambda's 4 KB, with room for the rest). */
export const PRE_TRAFFIC_EVENT_MAX_BYTES = 2048;

/** Per serving function (`functions.<name>` and `ownImageFunctions.<name>`). */
export const functionRolloutSettings = {
  preTraffic: z
    .union([z.literal(true), z.string().regex(/^[a-z][a-z0-9-]{0,39}$/)], {
      error: "must be true (the platform's check) or the name of a function with its own image (your check)",
    })
    .optional()
    .meta({
      description:
        "a check before any traffic moves to a new version (CodeDeploy's BeforeAllowTraffic hook): `true` for the platform's (the new version answers the function's sample event without an error or a 5xx), or a function of `ownImageFunctions` that checks it; a failed check rolls the version back",
    }),
  deploymentConfig: deploymentConfigName.optional().meta({
    description: "this function's deployment config, over the stack's `deploymentConfig`; only on a function that serves traffic",
  }),
  provisionedConcurrency: wholeNumber(1, 10000).optional().meta({
    description:
      "execution environments kept initialized on the function's live alias (billed while configured); at most its reservedConcurrency",
  }),
};
