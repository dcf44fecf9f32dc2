import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { appHooks, LIVE_ALIAS } from "../app/functions";
import { ContainerFunction, type ImageSource } from "./container-function";
import type { LiveSettings } from "./function-settings";
import { serviceRole } from "./iam";
import { Rollout } from "./rollout-resource";
import { PREDEFINED_DEPLOYMENT_CONFIGS, shiftMinutesOf, type CustomDeploymentConfig } from "./rollout-settings";
import type { Architecture } from "./settings-schema";

/** One serving function: its live alias, how its versions reach it, and what its alarms read. */
export interface RolledOutFunction {
  name: string;
  function: ContainerFunction;
  live: LiveSettings;
  architecture: Architecture;
  timeoutSeconds: number;
  /** Declared duration of one request: the rollout's duration alarm fires at twice it. */
  expectedTraffic?: { durationMs: number };
}

export interface RolloutsArgs {
  /** Every serving function of the stack. */
  functions: RolledOutFunction[];
  /** The stack's functions by name: where a check with its own image (`preTraffic: <name>`) is. */
  checks: Record<string, ContainerFunction>;
  /** The stack's own deployment configs, by name; only those a function names are created. */
  deploymentConfigs: Record<string, CustomDeploymentConfig>;
  /** The thresholds of the functions' alarms (the Observability settings), applied to each alias per minute. */
  alarms: { functionErrors: number; functionThrottles: number; durationNearTimeoutPercent: number };
  /** Who hears of a rollback alarm, and of a failing check (Observability's topic). */
  alarmTopicArn: pulumi.Input<string>;
  /** The platform's check (`preTraffic: true`): the app's image, and the stack's settings every function gets, by function name. */
  hooks: { image: ImageSource; environment: (name: string) => Record<string, pulumi.Input<string>>; logRetentionDays: number };
}

/** How long `up` waits past a deployment's traffic shift and check (its alarms' last minute, CodeDeploy's own steps) before stopping it. */
export const WAIT_MARGIN_MINUTES = 10;

const ONE_MINUTE = 60;
/** How often `up` looks at a deployment: CodeDeploy moves Lambda traffic in steps of a minute at the finest. */
const POLL_SECONDS = 15;
/**
 * The check's own work besides trying the new version, seconds: reading the deployment and reporting, each
 * at most CHECK_CALL_WORST_MS (app/core/pre-traffic.ts), with room to spare.
 */
export const HOOK_OVERHEAD_SECONDS = 30;
/** Lambda's longest timeout. */
const MAX_TIMEOUT_SECONDS = 900;

/**
 * Every serving function's rollouts. A function whose new versions go through CodeDeploy (a gradual config,
 * or a before-traffic check) gets a deployment group in the stack's CodeDeploy application (compute
 * platform Lambda) with automatic rollback on a failed deployment and on its own alias's alarms
 * (DEPLOYMENT_STOP_ON_ALARM), and its check if it has one; the others' aliases Pulumi moves all at once.
 * Each gets a Rollout, which on `pulumi up` deploys the new version (and waits for it) or, for the
 * others, only removes the versions nothing uses.
 */
export class Rollouts extends pulumi.ComponentResource {
  readonly applicationName?: pulumi.Output<string>;
  /** Each CodeDeploy function's deployment group, the alarms that roll it back and its check, by function name. */
  readonly groups: Record<
    string,
    { deploymentGroupName: pulumi.Output<string>; alarmNames: pulumi.Output<string>[]; check?: pulumi.Output<string> }
  > = {};
  /** The platform's checks it deployed (`preTraffic: true`), by the name of the function each checks. */
  readonly hooks: Record<string, ContainerFunction> = {};
  /** The underlying resources, for a fork to read or extend (see "Changing a component" in docs/extending.md). */
  readonly nodes: { application?: aws.codedeploy.Application; groups: aws.codedeploy.DeploymentGroup[]; rollouts: Rollout[] };

  constructor(name: string, args: RolloutsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("graviton:lambda:Rollouts", name, {}, opts);
    const parent = { parent: this };
    const viaCodeDeploy = args.functions.filter((fn) => fn.live.codeDeploy);
    const checks = Object.fromEntries(viaCodeDeploy.flatMap((fn) => this.checkOf(fn, args)).map((check) => [check.of, check.fn]));

    let application: aws.codedeploy.Application | undefined;
    let codedeployRole: { role: aws.iam.Role; policy: aws.iam.RolePolicy } | undefined;
    if (viaCodeDeploy.length > 0) {
      application = new aws.codedeploy.Application(name, { computePlatform: "Lambda" }, parent);
      // What CodeDeploy does for a Lambda deployment (the AWSCodeDeployRoleForLambda managed policy's
      // actions), on these aliases and checks only; DescribeAlarms reads, and names no alarm ARN to scope it.
      codedeployRole = serviceRole(
        `${name}-codedeploy`,
        "codedeploy.amazonaws.com",
        [
          {
            Sid: "ShiftLiveAliases",
            Effect: "Allow",
            Action: ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"],
            Resource: viaCodeDeploy.map((fn) => pulumi.interpolate`${fn.function.arn}:${LIVE_ALIAS}`),
          },
          { Sid: "ReadRollbackAlarms", Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: "*" },
          ...(Object.keys(checks).length > 0
            ? [{ Sid: "RunChecks", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: Object.values(checks).map((fn) => fn.arn) }]
            : []),
        ],
        parent,
      );
    }
    const customConfigs = this.customConfigs(name, viaCodeDeploy, args.deploymentConfigs);

    const groups: aws.codedeploy.DeploymentGroup[] = [];
    const rollouts: Rollout[] = [];
    for (const fn of args.functions) {
      const live = fn.function.live;
      if (!live) throw new Error(`Rollouts ${name}: ${fn.name} serves no traffic (it has no live alias) and cannot be rolled out.`);
      const check = checks[fn.name];
      let deployment: { application: pulumi.Output<string>; deploymentGroup: pulumi.Output<string> } | undefined;
      const dependsOn: pulumi.Resource[] = [live.alias];
      if (application && codedeployRole && fn.live.codeDeploy) {
        const alarms = this.aliasAlarms(name, fn, args);
        const alarmNames = alarms.map((alarm) => alarm.name);
        const group = new aws.codedeploy.DeploymentGroup(
          `${name}-${fn.name}`,
          {
            appName: application.name,
            deploymentGroupName: fn.name,
            serviceRoleArn: codedeployRole.role.arn,
            deploymentConfigName: customConfigs[fn.live.deploymentConfig]?.deploymentConfigName ?? fn.live.deploymentConfig,
            deploymentStyle: { deploymentType: "BLUE_GREEN", deploymentOption: "WITH_TRAFFIC_CONTROL" },
            autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
            alarmConfiguration: { enabled: true, alarms: alarmNames },
          },
          { parent: this, dependsOn: [codedeployRole.policy] },
        );
        if (check) dependsOn.push(this.grantCheck(fn, check, group));
        deployment = { application: application.name, deploymentGroup: group.deploymentGroupName };
        dependsOn.push(group);
        groups.push(group);
        this.groups[fn.name] = { deploymentGroupName: group.deploymentGroupName, alarmNames, check: check?.functionName };
      }
      const checkSeconds = check ? Math.min(MAX_TIMEOUT_SECONDS, fn.timeoutSeconds + HOOK_OVERHEAD_SECONDS) : 0;
      rollouts.push(
        new Rollout(
          `${name}-${fn.name}`,
          {
            region: fn.function.arn.apply((arn) => arn.split(":")[3]),
            functionName: fn.function.functionName,
            alias: LIVE_ALIAS,
            targetVersion: live.version,
            ...deployment,
            beforeAllowTraffic: check?.functionName,
            waitSeconds:
              (this.shiftMinutes(fn.live.deploymentConfig, args.deploymentConfigs) + WAIT_MARGIN_MINUTES) * ONE_MINUTE + checkSeconds,
            pollSeconds: POLL_SECONDS,
          },
          { parent: this, dependsOn },
        ),
      );
    }

    this.applicationName = application?.name;
    this.nodes = { application, groups, rollouts };
    this.registerOutputs({ applicationName: this.applicationName });
  }

  /** The function's before-traffic check: the platform's, deployed here for it alone, or a function with its own image. */
  private checkOf(fn: RolledOutFunction, args: RolloutsArgs): { of: string; fn: ContainerFunction }[] {
    const preTraffic = fn.live.preTraffic;
    if (!preTraffic) return [];
    if ("function" in preTraffic) return [{ of: fn.name, fn: args.checks[preTraffic.function] }];
    const hook = appHooks["pre-traffic"];
    const created = new ContainerFunction(
      preTraffic.hookName,
      {
        image: args.hooks.image,
        command: [hook.handler],
        architecture: fn.architecture,
        memory: hook.memory,
        // Long enough to let the new version answer within its own timeout, and still report.
        timeout: Math.min(MAX_TIMEOUT_SECONDS, fn.timeoutSeconds + HOOK_OVERHEAD_SECONDS),
        // CodeDeploy runs it once a deployment: one environment is all it needs, and it takes no more.
        reservedConcurrency: 1,
        environment: { ...args.hooks.environment(preTraffic.hookName), PRE_TRAFFIC_EVENT: preTraffic.sampleEvent },
        logRetentionDays: args.hooks.logRetentionDays,
        description: `${hook.description} (${fn.name})`,
      },
      { parent: this },
    );
    new aws.cloudwatch.MetricAlarm(
      `${preTraffic.hookName}-errors`,
      {
        alarmDescription: pulumi.interpolate`The before-traffic check of ${fn.name} failed to run, so its new versions cannot go live: read its log group ${created.variants[0].logGroupName}.`,
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: created.functionName },
        statistic: "Sum",
        period: ONE_MINUTE * 5,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [args.alarmTopicArn],
      },
      { parent: this },
    );
    this.hooks[fn.name] = created;
    return [{ of: fn.name, fn: created }];
  }

  /** Lets a check read and report on its one deployment group, and try the function's versions; nothing else. */
  private grantCheck(fn: RolledOutFunction, check: ContainerFunction, group: aws.codedeploy.DeploymentGroup): aws.iam.RolePolicy {
    return check.allow(`${fn.name}-check`, [
      {
        Sid: "ReportToItsDeploymentGroup",
        Effect: "Allow",
        Action: ["codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"],
        Resource: group.arn,
      },
      { Sid: "TryNewVersions", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: pulumi.interpolate`${fn.function.arn}:*` },
    ]);
  }

  /** The stack's own deployment configs that some function names. */
  private customConfigs(name: string, functions: RolledOutFunction[], configs: Record<string, CustomDeploymentConfig>) {
    const used = new Set(functions.map((fn) => fn.live.deploymentConfig));
    return Object.fromEntries(
      Object.entries(configs)
        .filter(([configName]) => used.has(configName))
        .map(([configName, config]) => {
          const steps = { percentage: config.percentage, interval: config.intervalMinutes };
          const trafficRoutingConfig =
            config.type === "canary"
              ? { type: "TimeBasedCanary", timeBasedCanary: steps }
              : { type: "TimeBasedLinear", timeBasedLinear: steps };
          const created = new aws.codedeploy.DeploymentConfig(
            `${name}-${configName}`,
            { deploymentConfigName: configName, computePlatform: "Lambda", trafficRoutingConfig },
            { parent: this },
          );
          return [configName, created];
        }),
    );
  }

  /** How long a config moves all traffic, in minutes (0: all at once). */
  private shiftMinutes(configName: string, configs: Record<string, CustomDeploymentConfig>): number {
    return configName in PREDEFINED_DEPLOYMENT_CONFIGS
      ? PREDEFINED_DEPLOYMENT_CONFIGS[configName as keyof typeof PREDEFINED_DEPLOYMENT_CONFIGS].shiftMinutes
      : shiftMinutesOf(configs[configName]);
  }

  /**
   * The alarms that roll a deployment back: errors, throttles and duration of the function's live alias
   * (its `Resource` dimension, both versions while traffic is split), per minute so a canary is judged
   * within its first minutes. Duration fires at twice the declared duration, else near the timeout.
   */
  private aliasAlarms(name: string, fn: RolledOutFunction, args: RolloutsArgs): aws.cloudwatch.MetricAlarm[] {
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
