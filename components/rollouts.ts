import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LIVE_ALIAS, type ContainerFunction } from "./container-function";
import { serviceRole } from "./iam";
import { Rollout } from "./rollout-resource";
import { PREDEFINED_DEPLOYMENT_CONFIGS, shiftMinutesOf, type CustomDeploymentConfig } from "./rollout-settings";

/** One serving function rolled out gradually: its live alias, its deployment config and what its alarms read. */
export interface GradualFunction {
  name: string;
  function: ContainerFunction;
  deploymentConfig: string;
  timeoutSeconds: number;
  /** Declared duration of one request: the rollout's duration alarm fires at twice it. */
  expectedTraffic?: { durationMs: number };
}

export interface RolloutsArgs {
  functions: GradualFunction[];
  /** The stack's own deployment configs, by name; only those a function names are created. */
  deploymentConfigs: Record<string, CustomDeploymentConfig>;
  /** The thresholds of the functions' alarms (the Observability settings), applied to each alias per minute. */
  alarms: { functionErrors: number; functionThrottles: number; durationNearTimeoutPercent: number };
  /** Who hears of a rollback alarm (Observability's topic). */
  alarmTopicArn: pulumi.Input<string>;
}

/** How long `up` waits past a deployment's traffic shift (its alarms' last minute, CodeDeploy's own steps) before stopping it. */
export const WAIT_MARGIN_MINUTES = 10;

const ONE_MINUTE = 60;
/** How often `up` looks at a deployment: CodeDeploy moves Lambda traffic in steps of a minute at the finest. */
const POLL_SECONDS = 15;

/**
 * Gradual rollouts on CodeDeploy's engine: one CodeDeploy application (compute platform Lambda), one
 * deployment group per gradual function with automatic rollback on a failed deployment and on its own
 * alarms (DEPLOYMENT_STOP_ON_ALARM), the stack's own deployment configs, and a Rollout per function that
 * starts the deployment of each newly published version on `pulumi up` and waits for it.
 */
export class Rollouts extends pulumi.ComponentResource {
  readonly applicationName: pulumi.Output<string>;
  /** Each function's deployment group and the alarms that roll it back, by function name. */
  readonly groups: Record<string, { deploymentGroupName: pulumi.Output<string>; alarmNames: pulumi.Output<string>[] }> = {};
  /** The underlying resources, for a fork to read or extend (see "Changing a component" in docs/extending.md). */
  readonly nodes: { application: aws.codedeploy.Application; groups: aws.codedeploy.DeploymentGroup[]; rollouts: Rollout[] };

  constructor(name: string, args: RolloutsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("graviton:lambda:Rollouts", name, {}, opts);
    const parent = { parent: this };
    const application = new aws.codedeploy.Application(name, { computePlatform: "Lambda" }, parent);

    const aliasArns = args.functions.map((fn) => pulumi.interpolate`${fn.function.arn}:${LIVE_ALIAS}`);
    // What CodeDeploy does for a Lambda deployment (the AWSCodeDeployRoleForLambda managed policy's
    // actions), on these aliases only; DescribeAlarms reads, and CodeDeploy names no alarm ARN to scope it.
    const { role, policy } = serviceRole(
      `${name}-codedeploy`,
      "codedeploy.amazonaws.com",
      [
        {
          Sid: "ShiftLiveAliases",
          Effect: "Allow",
          Action: ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"],
          Resource: aliasArns,
        },
        { Sid: "ReadRollbackAlarms", Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: "*" },
      ],
      parent,
    );

    const used = new Set(args.functions.map((fn) => fn.deploymentConfig));
    const customConfigs = Object.fromEntries(
      Object.entries(args.deploymentConfigs)
        .filter(([configName]) => used.has(configName))
        .map(([configName, config]) => [
          configName,
          new aws.codedeploy.DeploymentConfig(
            `${name}-${configName}`,
            {
              deploymentConfigName: configName,
              computePlatform: "Lambda",
              trafficRoutingConfig:
                config.type === "canary"
                  ? { type: "TimeBasedCanary", timeBasedCanary: { percentage: config.percentage, interval: config.intervalMinutes } }
                  : { type: "TimeBasedLinear", timeBasedLinear: { percentage: config.percentage, interval: config.intervalMinutes } },
            },
            parent,
          ),
        ]),
    );
    const shiftMinutes = (configName: string) =>
      configName in PREDEFINED_DEPLOYMENT_CONFIGS
        ? PREDEFINED_DEPLOYMENT_CONFIGS[configName as keyof typeof PREDEFINED_DEPLOYMENT_CONFIGS].shiftMinutes
        : shiftMinutesOf(args.deploymentConfigs[configName]);

    const groups: aws.codedeploy.DeploymentGroup[] = [];
    const rollouts: Rollout[] = [];
    for (const fn of args.functions) {
      const live = fn.function.live;
      if (!live) throw new Error(`Rollouts ${name}: ${fn.name} serves no traffic (it has no live alias) and cannot be rolled out.`);
      const alarms = this.aliasAlarms(name, fn, args);
      const alarmNames = alarms.map((alarm) => alarm.name);
      const group = new aws.codedeploy.DeploymentGroup(
        `${name}-${fn.name}`,
        {
          appName: application.name,
          deploymentGroupName: fn.name,
          serviceRoleArn: role.arn,
          deploymentConfigName: customConfigs[fn.deploymentConfig]?.deploymentConfigName ?? fn.deploymentConfig,
          deploymentStyle: { deploymentType: "BLUE_GREEN", deploymentOption: "WITH_TRAFFIC_CONTROL" },
          autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
          alarmConfiguration: { enabled: true, alarms: alarmNames },
        },
        { parent: this, dependsOn: [policy] },
      );
      rollouts.push(
        new Rollout(
          `${name}-${fn.name}`,
          {
            region: fn.function.arn.apply((arn) => arn.split(":")[3]),
            functionName: fn.function.functionName,
            alias: LIVE_ALIAS,
            targetVersion: live.version,
            application: application.name,
            deploymentGroup: group.deploymentGroupName,
            waitSeconds: (shiftMinutes(fn.deploymentConfig) + WAIT_MARGIN_MINUTES) * ONE_MINUTE,
            pollSeconds: POLL_SECONDS,
          },
          { parent: this, dependsOn: [live.alias, group] },
        ),
      );
      groups.push(group);
      this.groups[fn.name] = { deploymentGroupName: group.deploymentGroupName, alarmNames };
    }

    this.applicationName = application.name;
    this.nodes = { application, groups, rollouts };
    this.registerOutputs({ applicationName: this.applicationName });
  }

  /**
   * The alarms that roll a deployment back: errors, throttles and duration of the function's live alias
   * (its `Resource` dimension, both versions while traffic is split), per minute so a canary is judged
   * within its first minutes. Duration fires at twice the declared duration, else near the timeout.
   */
  private aliasAlarms(name: string, fn: GradualFunction, args: RolloutsArgs): aws.cloudwatch.MetricAlarm[] {
    const thresholds = args.alarms;
    const dimensions = { FunctionName: fn.function.functionName, Resource: pulumi.interpolate`${fn.function.functionName}:${LIVE_ALIAS}` };
    const durationMs = fn.expectedTraffic
      ? fn.expectedTraffic.durationMs * 2
      : Math.floor((fn.timeoutSeconds * 1000 * thresholds.durationNearTimeoutPercent) / 100);
    const specs = [
      { id: "errors", metric: "Errors", statistic: { statistic: "Sum" }, threshold: thresholds.functionErrors },
      { id: "throttles", metric: "Throttles", statistic: { statistic: "Sum" }, threshold: thresholds.functionThrottles },
      { id: "duration", metric: "Duration", statistic: { extendedStatistic: "p99" }, threshold: durationMs },
    ];
    return specs.map(
      (spec) =>
        new aws.cloudwatch.MetricAlarm(
          `${name}-${fn.name}-${spec.id}`,
          {
            alarmDescription: `${fn.name}'s live alias: ${spec.metric} ${spec.id === "duration" ? `p99 at ${spec.threshold} ms or more` : `${spec.threshold}+`} in a minute. Rolls back a rollout in progress (CodeDeploy moves the traffic back; pulumi up fails and says so).`,
            namespace: "AWS/Lambda",
            metricName: spec.metric,
            dimensions,
            ...spec.statistic,
            period: ONE_MINUTE,
            evaluationPeriods: 1,
            threshold: spec.threshold,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
            alarmActions: [args.alarmTopicArn],
            okActions: [args.alarmTopicArn],
          },
          { parent: this },
        ),
    );
  }
}
