import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { settingsFrom } from "../settings-schema";
import { alarmSettings, type ObservabilityArgs } from "./settings";
import { alarmSpecs } from "./alarms";
import { dashboardBody } from "./dashboard";
import { LOG_QUERIES, MAX_QUERY_LOG_GROUPS } from "./queries";

export { alarmSettings, type AlarmSettings, type ObservabilityArgs, type ObservedFunction } from "./settings";
export { AWS_METRICS } from "./metrics";
export { CONCURRENCY_PER_SECOND, LOG_QUERIES, MAX_QUERY_LOG_GROUPS } from "./queries";
export { DASHBOARD_LIMITS } from "./dashboard";
export { alarmSpecs, type AlarmSpec } from "./alarms";

/** An alarm's default period: 5 minutes. */
const FIVE_MINUTES = 300;

/**
 * What a team watches before it tunes (seed 002): an SNS topic for alarms (and an email subscription),
 * alarms on every function, both APIs, the queue and its DLQ, the database and its proxy and the
 * power-tuning state machine, each with the reason and what to do in its description; one dashboard for
 * the stack; and saved Logs Insights queries, the 1-second concurrency query among them.
 */
export class Observability extends pulumi.ComponentResource {
  readonly alarmTopicArn: pulumi.Output<string>;
  readonly dashboardName: pulumi.Output<string>;
  /** The underlying resources, for a fork to read or extend (see "Changing a component" in docs/extending.md). */
  readonly nodes: { topic: aws.sns.Topic; alarms: aws.cloudwatch.MetricAlarm[]; dashboard: aws.cloudwatch.Dashboard };

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("graviton:observability:Observability", name, {}, opts);
    const settings = settingsFrom(alarmSettings, args);
    const parent = { parent: this };
    const region = aws.getRegionOutput({}, parent).region;

    // Alarm notifications carry no secrets; CloudWatch cannot publish to a topic under the AWS-managed SNS key.
    const topic = new aws.sns.Topic(`${name}-alarms`, {}, parent);
    if (settings.email) {
      new aws.sns.TopicSubscription(`${name}-alarms-email`, { topic: topic.arn, protocol: "email", endpoint: settings.email }, parent);
    }

    const alarms = alarmSpecs(args, settings).map(
      ({ id, metric, condition, description }) =>
        new aws.cloudwatch.MetricAlarm(
          `${name}-${id}`,
          {
            alarmDescription: description,
            namespace: metric.namespace,
            metricName: metric.name,
            dimensions: metric.dimensions,
            ...(condition.statistic.startsWith("p") ? { extendedStatistic: condition.statistic } : { statistic: condition.statistic }),
            period: condition.period ?? FIVE_MINUTES,
            evaluationPeriods: condition.periods ?? 1,
            threshold: condition.threshold,
            comparisonOperator: condition.above ? "GreaterThanOrEqualToThreshold" : "LessThanThreshold",
            treatMissingData: "notBreaching",
            alarmActions: [topic.arn],
            okActions: [topic.arn],
          },
          parent,
        ),
    );

    const logGroupNames = args.functions.flatMap((fn) => fn.variants.map((variant) => variant.logGroupName));
    if (logGroupNames.length > MAX_QUERY_LOG_GROUPS) {
      throw new Error(
        `Observability ${name}: the stack's functions have ${logGroupNames.length} log groups; a Logs Insights query searches at most ${MAX_QUERY_LOG_GROUPS} (StartQuery's limit). Drop twins you no longer compare (compareArchitectures), or split the stack.`,
      );
    }
    for (const [queryName, queryString] of Object.entries(LOG_QUERIES)) {
      new aws.cloudwatch.QueryDefinition(
        `${name}-${queryName}`,
        {
          name: pulumi.interpolate`${args.namespace}/${queryName}`,
          logGroupNames,
          queryString,
        },
        parent,
      );
    }

    const dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        // Dashboard names allow letters, digits, - and _ only.
        dashboardName: args.namespace.replace(/[^A-Za-z0-9_-]/g, "-"),
        dashboardBody: pulumi.jsonStringify(dashboardBody(args, settings, region, alarms)),
      },
      parent,
    );

    this.alarmTopicArn = topic.arn;
    this.dashboardName = dashboard.dashboardName;
    this.nodes = { topic, alarms, dashboard };
    this.registerOutputs({ alarmTopicArn: this.alarmTopicArn, dashboardName: this.dashboardName });
  }
}
