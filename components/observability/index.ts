import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { settingsFrom } from "../settings-schema";
import { alarmSettings, type ObservabilityArgs } from "./settings";
import { alarmSpecs } from "./alarms";
import { dashboardBodies } from "./dashboard";
import { LOG_QUERIES, MAX_QUERY_LOG_GROUPS } from "./queries";
import { chunked } from "../chunked";

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
 * power-tuning state machine, each with the reason and what to do in its description; the stack's
 * dashboards (one, until its functions outgrow 500 widgets); and saved Logs Insights queries, the
 * 1-second concurrency query among them, each over at most 50 log groups.
 */
export class Observability extends pulumi.ComponentResource {
  readonly alarmTopicArn: pulumi.Output<string>;
  /** The first dashboard: the stack's sections, its alarms and the first functions' rows. */
  readonly dashboardName: pulumi.Output<string>;
  /** Every dashboard of the stack, the first first: more functions than one dashboard's 500 widgets hold go on further ones. */
  readonly dashboardNames: pulumi.Output<string>[];
  /** The underlying resources, for a fork to read or extend (see "Changing a component" in docs/extending.md). */
  readonly nodes: { topic: aws.sns.Topic; alarms: aws.cloudwatch.MetricAlarm[]; dashboards: aws.cloudwatch.Dashboard[] };

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

    // The console's saved queries search at most 50 log groups each: one per 50 of the stack's, named "(k of n)".
    const logGroupParts = chunked(
      args.functions.flatMap((fn) => fn.variants.map((variant) => variant.logGroupName)),
      MAX_QUERY_LOG_GROUPS,
    );
    for (const [queryName, queryString] of Object.entries(LOG_QUERIES)) {
      logGroupParts.forEach((logGroupNames, index) => {
        const part = logGroupParts.length === 1 ? "" : ` (${index + 1} of ${logGroupParts.length})`;
        new aws.cloudwatch.QueryDefinition(
          index === 0 ? `${name}-${queryName}` : `${name}-${queryName}-${index + 1}`,
          { name: pulumi.interpolate`${args.namespace}/${queryName}${part}`, logGroupNames, queryString },
          parent,
        );
      });
    }

    // Dashboard names allow letters, digits, - and _ only; the first keeps the stack's name, the rest are numbered.
    const baseName = args.namespace.replace(/[^A-Za-z0-9_-]/g, "-");
    const dashboards = dashboardBodies(args, settings, region, alarms).map(
      (body, index) =>
        new aws.cloudwatch.Dashboard(
          index === 0 ? `${name}-dashboard` : `${name}-dashboard-${index + 1}`,
          { dashboardName: index === 0 ? baseName : `${baseName}-${index + 1}`, dashboardBody: pulumi.jsonStringify(body) },
          parent,
        ),
    );

    this.alarmTopicArn = topic.arn;
    this.dashboardName = dashboards[0].dashboardName;
    this.dashboardNames = dashboards.map((dashboard) => dashboard.dashboardName);
    this.nodes = { topic, alarms, dashboards };
    this.registerOutputs({ alarmTopicArn: this.alarmTopicArn, dashboardName: this.dashboardName, dashboardNames: this.dashboardNames });
  }
}
