import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { JOB_FAILURE_REASONS, TOKEN_REJECTION_REASONS, type AppMetricName } from "../app/observability/metric-catalogue";
import { settingsFrom, strictObject, wholeNumber } from "./settings-schema";

/**
 * Alarm thresholds and where alarms go: `graviton-platform:alarms`. The defaults suit a dev stack; a
 * production stack sets stricter ones (Pulumi.prod.yaml).
 */
export const alarmSettings = strictObject({
  email: z
    .email({ error: "must be an email address" })
    .optional()
    .meta({ description: "who gets alarm notifications (an SNS email subscription to confirm); unset = the topic only" }),
  functionErrors: wholeNumber(1, 100000).default(5).meta({ description: "errors of one function in 5 minutes that fire its alarm" }),
  functionThrottles: wholeNumber(1, 100000)
    .default(5)
    .meta({ description: "throttled invocations of one function in 5 minutes that fire its alarm" }),
  durationNearTimeoutPercent: wholeNumber(10, 100)
    .default(90)
    .meta({ description: "a function's p99 duration over 5 minutes, as a percentage of its timeout, that fires its alarm" }),
  concurrencyNearLimitPercent: wholeNumber(10, 100).default(90).meta({
    description: "concurrent executions, as a percentage of the function's reserved concurrency (or the worker's cap), that fire its alarm",
  }),
  httpApi5xx: wholeNumber(1, 100000).default(10).meta({ description: "HTTP API 5xx answers in 5 minutes that fire the alarm" }),
  httpApiLatencyMs: wholeNumber(100, 30000)
    .default(5000)
    .meta({ description: "HTTP API p99 latency over 5 minutes that fires the alarm, ms" }),
  websocketErrors: wholeNumber(1, 100000)
    .default(10)
    .meta({ description: "WebSocket API integration or execution errors in 5 minutes that fire the alarm" }),
  queueOldestMessageSeconds: wholeNumber(60, 1209600, " (seconds)")
    .default(300)
    .meta({ description: "a job waiting this long in the queue fires the alarm, seconds" }),
  proxyBorrowLatencyMs: wholeNumber(1, 60000)
    .default(100)
    .meta({ description: "RDS Proxy's average time to hand out a database connection over 5 minutes that fires the alarm, ms" }),
  proxyClientConnections: wholeNumber(1, 100000)
    .default(100)
    .meta({ description: "client connections to RDS Proxy that fire the alarm (each execution environment holds one)" }),
  databaseCpuPercent: wholeNumber(10, 100).default(90).meta({ description: "database CPU over 15 minutes that fires the alarm, percent" }),
  databaseFreeStoragePercent: wholeNumber(1, 90)
    .default(10)
    .meta({ description: "free storage, as a percentage of allocatedStorage, below which the alarm fires" }),
  stateMachineFailures: wholeNumber(1, 1000)
    .default(1)
    .meta({ description: "failed power-tuning executions in 5 minutes that fire the alarm" }),
});
export type AlarmSettings = z.output<typeof alarmSettings>;

/** A function as Observability watches it: its name in app/functions.ts and its deployed variants (primary, twin). */
export interface ObservedFunction {
  name: string;
  variants: { name: pulumi.Input<string>; logGroupName: pulumi.Input<string> }[];
  timeoutSeconds: number;
  /** The most concurrent executions it can have: its reserved concurrency, or the worker's cap; none = the account's. */
  concurrencyLimit?: number;
}

export type ObservabilityArgs = z.input<typeof alarmSettings> & {
  /** The stack's metrics namespace (lambda-environment.ts: metricsNamespace), where the functions' EMF goes. */
  namespace: string;
  functions: ObservedFunction[];
  httpApi: { apiId: pulumi.Input<string> };
  websocketApi: { apiId: pulumi.Input<string>; stage: string };
  queue: { name: pulumi.Input<string>; deadLetterName: pulumi.Input<string> };
  database: { instanceId: pulumi.Input<string>; proxyName: pulumi.Input<string>; allocatedStorageGiB: number };
  stateMachine: { arn: pulumi.Input<string> };
};

/**
 * The AWS metrics the alarms and the dashboard read, by namespace, as AWS documents them: Lambda
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html), HTTP and WebSocket APIs
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html,
 * .../apigateway-websocket-api-logging.html), SQS (.../sqs-available-cloudwatch-metrics.html), RDS and
 * RDS Proxy (.../rds-proxy.monitoring.html), Step Functions (.../procedure-cw-metrics.html).
 */
export const AWS_METRICS = {
  "AWS/Lambda": ["Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"],
  "AWS/ApiGateway": [
    "Count",
    "4xx",
    "5xx",
    "Latency",
    "IntegrationLatency",
    "ConnectCount",
    "MessageCount",
    "ClientError",
    "IntegrationError",
    "ExecutionError",
  ],
  "AWS/SQS": ["ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage", "NumberOfMessagesSent", "NumberOfMessagesDeleted"],
  "AWS/RDS": ["CPUUtilization", "FreeStorageSpace", "DatabaseConnections", "ClientConnections", "DatabaseConnectionsBorrowLatency"],
  "AWS/States": ["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut"],
} as const satisfies Record<string, readonly string[]>;
type AwsNamespace = keyof typeof AWS_METRICS;

/** A metric as alarms and widgets name it. */
interface MetricRef {
  namespace: string;
  name: string;
  dimensions: Record<string, pulumi.Input<string>>;
}
const awsMetric = <N extends AwsNamespace>(
  namespace: N,
  name: (typeof AWS_METRICS)[N][number],
  dimensions: MetricRef["dimensions"],
): MetricRef => ({
  namespace,
  name,
  dimensions,
});

/**
 * Seed 002's 1-second concurrency: Little's law per second (invocations x p99.5 duration), from Lambda's
 * `platform.report` lines in the JSON log format. `npm run concurrency` runs it per function.
 */
export const CONCURRENCY_PER_SECOND =
  'filter type = "platform.report"\n' +
  "| stats count(*) as invocations, pct(record.metrics.durationMs, 99.5) as p995DurationMs, count(*) * pct(record.metrics.durationMs, 99.5) / 1000 as concurrency by bin(1s) as second";

/** Saved CloudWatch Logs Insights queries over the functions' JSON logs (Lambda's `platform.report` and the handlers' lines). */
export const LOG_QUERIES = {
  "concurrency-1s": `${CONCURRENCY_PER_SECOND}\n| sort concurrency desc\n| limit 50`,
  "cold-starts":
    'filter type = "platform.report" and ispresent(record.metrics.initDurationMs)\n' +
    "| stats count(*) as coldStarts, avg(record.metrics.initDurationMs) as avgInitMs, pct(record.metrics.initDurationMs, 99) as p99InitMs by @log\n" +
    "| sort coldStarts desc",
  "duration-p99":
    'filter type = "platform.report"\n' +
    "| stats count(*) as invocations, pct(record.metrics.durationMs, 50) as p50Ms, pct(record.metrics.durationMs, 99) as p99Ms, max(record.metrics.durationMs) as maxMs by @log\n" +
    "| sort p99Ms desc",
  "errors-by-type":
    'filter level = "ERROR" or (type = "platform.report" and record.status != "success")\n' +
    '| fields coalesce(errorType, error.name, record.status, "error") as kind\n' +
    "| stats count(*) as errors by @log, kind\n| sort errors desc",
  "slowest-jobs":
    'filter message = "job finished"\n| fields @timestamp, jobId, type, status, reason, durationMs\n| sort durationMs desc\n| limit 50',
} as const;

const FIVE_MINUTES = 300;
/** The most log groups one Logs Insights query can search (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html). */
export const MAX_QUERY_LOG_GROUPS = 50;

/**
 * CloudWatch's dashboard limits (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html):
 * at most 500 widgets, and an alarm status widget names 1 to 100 alarms. PutDashboard takes a body of
 * at most 1 MB.
 */
export const DASHBOARD_LIMITS = { widgets: 500, alarmsPerWidget: 100, bodyBytes: 1024 * 1024 } as const;

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

    const alarms: aws.cloudwatch.MetricAlarm[] = [];
    const alarm = (
      alarmName: string,
      metric: MetricRef,
      condition: { statistic: string; threshold: number; above: boolean; period?: number; periods?: number },
      description: string,
    ) => {
      const created = new aws.cloudwatch.MetricAlarm(
        `${name}-${alarmName}`,
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
      );
      alarms.push(created);
      return created;
    };

    for (const fn of args.functions) {
      fn.variants.forEach((variant, index) => {
        const id = index === 0 ? fn.name : `${fn.name}-twin`;
        const dimensions = { FunctionName: variant.name };
        alarm(
          `${id}-errors`,
          awsMetric("AWS/Lambda", "Errors", dimensions),
          { statistic: "Sum", threshold: settings.functionErrors, above: true },
          `${fn.name}: ${settings.functionErrors}+ failed invocations in 5 minutes. Read its errors (Logs Insights: errors-by-type), then the dashboard's ${fn.name} row: a deploy, a dependency or a timeout?`,
        );
        alarm(
          `${id}-throttles`,
          awsMetric("AWS/Lambda", "Throttles", dimensions),
          { statistic: "Sum", threshold: settings.functionThrottles, above: true },
          `${fn.name}: ${settings.functionThrottles}+ throttled invocations in 5 minutes: it hit its reserved concurrency or the account's limit. Run npm run concurrency to see the 1-second peak, then raise reservedConcurrency or make it faster.`,
        );
        const nearTimeoutMs = Math.floor((fn.timeoutSeconds * 1000 * settings.durationNearTimeoutPercent) / 100);
        alarm(
          `${id}-duration`,
          awsMetric("AWS/Lambda", "Duration", dimensions),
          { statistic: "p99", threshold: nearTimeoutMs, above: true },
          `${fn.name}: p99 duration reached ${nearTimeoutMs} ms, ${settings.durationNearTimeoutPercent}% of its ${fn.timeoutSeconds} s timeout. Slow dependency or too little memory: check duration-p99, then npm run tune.`,
        );
        if (index === 0 && fn.concurrencyLimit !== undefined) {
          const nearLimit = Math.max(1, Math.floor((fn.concurrencyLimit * settings.concurrencyNearLimitPercent) / 100));
          alarm(
            `${id}-concurrency`,
            awsMetric("AWS/Lambda", "ConcurrentExecutions", dimensions),
            { statistic: "Maximum", threshold: nearLimit, above: true, period: 60, periods: 3 },
            `${fn.name}: ${nearLimit}+ concurrent executions for 3 minutes, ${settings.concurrencyNearLimitPercent}% of its limit of ${fn.concurrencyLimit}; throttling is next. Run npm run concurrency, then raise the limit or cut the duration.`,
          );
        }
      });
    }

    alarm(
      "http-5xx",
      awsMetric("AWS/ApiGateway", "5xx", { ApiId: args.httpApi.apiId }),
      { statistic: "Sum", threshold: settings.httpApi5xx, above: true },
      `HTTP API: ${settings.httpApi5xx}+ 5xx answers in 5 minutes. Check the functions' errors and throttles on the dashboard (a 503 is a throttle or a timeout).`,
    );
    alarm(
      "http-latency",
      awsMetric("AWS/ApiGateway", "Latency", { ApiId: args.httpApi.apiId }),
      { statistic: "p99", threshold: settings.httpApiLatencyMs, above: true },
      `HTTP API: p99 latency above ${settings.httpApiLatencyMs} ms over 5 minutes. Cold starts (cold-starts query) or a slow function (duration-p99)?`,
    );
    const websocket = { ApiId: args.websocketApi.apiId, Stage: args.websocketApi.stage };
    for (const metric of ["IntegrationError", "ExecutionError"] as const) {
      alarm(
        `websocket-${metric === "IntegrationError" ? "integration" : "execution"}-errors`,
        awsMetric("AWS/ApiGateway", metric, websocket),
        { statistic: "Sum", threshold: settings.websocketErrors, above: true },
        `WebSocket API: ${settings.websocketErrors}+ ${metric}s in 5 minutes: the authorizer failing (issuer unreachable) or SendMessage refused. Read the API's execution log and ws-authorizer's errors.`,
      );
    }
    alarm(
      "queue-oldest-job",
      awsMetric("AWS/SQS", "ApproximateAgeOfOldestMessage", { QueueName: args.queue.name }),
      { statistic: "Maximum", threshold: settings.queueOldestMessageSeconds, above: true, period: 60 },
      `A job has waited ${settings.queueOldestMessageSeconds} s in the queue: the worker is failing, throttled, or at its maximum concurrency. Check the worker's row and jobs by outcome on the dashboard.`,
    );
    alarm(
      "dlq-not-empty",
      awsMetric("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: args.queue.deadLetterName }),
      { statistic: "Maximum", threshold: 1, above: true, period: 60 },
      "Jobs failed maxReceiveCount times and are parked in the DLQ. Read the worker's 'job message left for retry' lines, fix, then: npm run redrive -- --stack <stack>",
    );
    const proxy = { ProxyName: args.database.proxyName };
    alarm(
      "proxy-borrow-latency",
      awsMetric("AWS/RDS", "DatabaseConnectionsBorrowLatency", proxy),
      { statistic: "Average", threshold: settings.proxyBorrowLatencyMs * 1000, above: true }, // the metric is in microseconds
      `RDS Proxy takes ${settings.proxyBorrowLatencyMs} ms on average to hand out a connection: its pool is exhausted. Lower the functions' concurrency or raise maxConnectionsPercent or the instance class.`,
    );
    alarm(
      "proxy-client-connections",
      awsMetric("AWS/RDS", "ClientConnections", proxy),
      { statistic: "Maximum", threshold: settings.proxyClientConnections, above: true },
      `${settings.proxyClientConnections}+ client connections to RDS Proxy: functions are scaling out beyond what the database was sized for. Check concurrency (npm run concurrency) and the worker's maximumConcurrency.`,
    );
    const instance = { DBInstanceIdentifier: args.database.instanceId };
    alarm(
      "database-cpu",
      awsMetric("AWS/RDS", "CPUUtilization", instance),
      { statistic: "Average", threshold: settings.databaseCpuPercent, above: true, periods: 3 },
      `Database CPU above ${settings.databaseCpuPercent}% for 15 minutes. Find the expensive statements (Performance Insights), then a larger instance class or fewer concurrent workers.`,
    );
    const freeBytes = Math.floor((args.database.allocatedStorageGiB * 1024 ** 3 * settings.databaseFreeStoragePercent) / 100);
    alarm(
      "database-free-storage",
      awsMetric("AWS/RDS", "FreeStorageSpace", instance),
      { statistic: "Minimum", threshold: freeBytes, above: false },
      `Database free storage below ${settings.databaseFreeStoragePercent}% of its ${args.database.allocatedStorageGiB} GiB. Storage autoscaling stops at maxAllocatedStorage: raise it, or delete old jobs.`,
    );
    alarm(
      "tuning-failed",
      awsMetric("AWS/States", "ExecutionsFailed", { StateMachineArn: args.stateMachine.arn }),
      { statistic: "Sum", threshold: settings.stateMachineFailures, above: true },
      "A power-tuning execution failed. Its execution history names the state; cleanup ran in any case (the Catch routes every failure through it).",
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

/** A metric line of a widget: [namespace, name, dimension, value, ..., { stat, label }]. */
const line = (metric: MetricRef, options: { stat?: string; label?: string } = {}) => [
  metric.namespace,
  metric.name,
  ...Object.entries(metric.dimensions).flat(),
  ...(Object.keys(options).length ? [options] : []),
];
const appMetric = (namespace: string, name: AppMetricName, service: string, reason?: string): MetricRef => ({
  namespace,
  name,
  dimensions: reason === undefined ? { service } : { service, reason },
});
const graph = (
  title: string,
  metrics: unknown[][],
  region: pulumi.Input<string>,
  extra: { stat?: string; width?: number; limit?: { value: number; label: string } } = {},
) => ({
  type: "metric",
  width: extra.width ?? 8,
  height: 6,
  properties: {
    title,
    region,
    view: "timeSeries",
    stat: extra.stat ?? "Sum",
    period: 60,
    metrics,
    ...(extra.limit && { annotations: { horizontal: [extra.limit] } }),
  },
});
const heading = (markdown: string) => ({ type: "text", width: 24, height: 2, properties: { markdown } });

/** The dashboard: a row per function, the async path, the APIs, the database and proxy, power tuning, and the alarms. */
function dashboardBody(
  args: ObservabilityArgs,
  settings: AlarmSettings,
  region: pulumi.Input<string>,
  alarms: aws.cloudwatch.MetricAlarm[],
) {
  const ns = args.namespace;
  const worker = "worker";
  const perWidget = DASHBOARD_LIMITS.alarmsPerWidget;
  const alarmPages = Math.ceil(alarms.length / perWidget);
  const widgets: object[] = [
    heading(
      "# Functions\nInvocations, errors and throttles; duration p50/p99 against the timeout; concurrency against the limit (1-minute resolution: `npm run concurrency` has the 1-second peaks).",
    ),
  ];
  for (const fn of args.functions) {
    const variants = fn.variants.map((variant, index) => ({
      dimensions: { FunctionName: variant.name },
      suffix: index === 0 ? "" : " (twin)",
    }));
    widgets.push(
      graph(
        `${fn.name}: invocations, errors, throttles, cold starts`,
        [
          ...variants.flatMap(({ dimensions, suffix }) =>
            (["Invocations", "Errors", "Throttles"] as const).map((name) =>
              line(awsMetric("AWS/Lambda", name, dimensions), { label: `${name}${suffix}` }),
            ),
          ),
          line(appMetric(ns, "ColdStart", fn.name), { label: "ColdStart" }),
        ],
        region,
      ),
      graph(
        `${fn.name}: duration`,
        variants.flatMap(({ dimensions, suffix }) =>
          ["p50", "p99"].map((stat) => line(awsMetric("AWS/Lambda", "Duration", dimensions), { stat, label: `${stat}${suffix}` })),
        ),
        region,
        { stat: "p99", limit: { value: fn.timeoutSeconds * 1000, label: "timeout" } },
      ),
      graph(
        `${fn.name}: concurrent executions`,
        variants.map(({ dimensions, suffix }) =>
          line(awsMetric("AWS/Lambda", "ConcurrentExecutions", dimensions), { label: `concurrency${suffix}` }),
        ),
        region,
        { stat: "Maximum", ...(fn.concurrencyLimit !== undefined && { limit: { value: fn.concurrencyLimit, label: "limit" } }) },
      ),
    );
  }
  const queue = { QueueName: args.queue.name };
  const dlq = { QueueName: args.queue.deadLetterName };
  widgets.push(
    heading("# Async path\nWebSocket or POST /jobs -> queue -> worker -> PostgreSQL -> result pushed back."),
    graph(
      "Queue: depth and DLQ",
      [
        line(awsMetric("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue), { label: "waiting" }),
        line(awsMetric("AWS/SQS", "ApproximateNumberOfMessagesVisible", dlq), { label: "in the DLQ" }),
      ],
      region,
      { stat: "Maximum" },
    ),
    graph("Queue: oldest job, seconds", [line(awsMetric("AWS/SQS", "ApproximateAgeOfOldestMessage", queue), { label: "oldest" })], region, {
      stat: "Maximum",
      limit: { value: settings.queueOldestMessageSeconds, label: "alarm" },
    }),
    graph(
      "Jobs by outcome",
      [
        line(appMetric(ns, "JobsCompleted", worker), { label: "completed" }),
        ...JOB_FAILURE_REASONS.map((reason) => line(appMetric(ns, "JobsFailed", worker, reason), { label: `failed: ${reason}` })),
        line(appMetric(ns, "JobsRetried", worker), { label: "left for retry" }),
      ],
      region,
    ),
    graph(
      "Job duration (submitted to stored), ms",
      ["p50", "p99"].map((stat) => line(appMetric(ns, "JobDuration", worker), { stat, label: stat })),
      region,
      { stat: "p99" },
    ),
    graph(
      "Results pushed to clients",
      (["NotificationsDelivered", "NotificationsGone", "NotificationsFailed"] as const).map((name) => line(appMetric(ns, name, worker))),
      region,
    ),
    heading("# APIs"),
    graph(
      "HTTP API: requests and errors",
      (["Count", "4xx", "5xx"] as const).map((name) => line(awsMetric("AWS/ApiGateway", name, { ApiId: args.httpApi.apiId }))),
      region,
    ),
    graph(
      "HTTP API: latency, ms",
      ["p50", "p99"].map((stat) => line(awsMetric("AWS/ApiGateway", "Latency", { ApiId: args.httpApi.apiId }), { stat, label: stat })),
      region,
      { stat: "p99", limit: { value: settings.httpApiLatencyMs, label: "alarm" } },
    ),
    graph(
      "WebSocket API",
      (["ConnectCount", "MessageCount", "ClientError", "IntegrationError", "ExecutionError"] as const).map((name) =>
        line(awsMetric("AWS/ApiGateway", name, { ApiId: args.websocketApi.apiId, Stage: args.websocketApi.stage })),
      ),
      region,
    ),
    graph(
      "Connections refused, by reason",
      TOKEN_REJECTION_REASONS.map((reason) => line(appMetric(ns, "TokenRejections", "ws-authorizer", reason), { label: reason })),
      region,
    ),
    // example:begin number-fact's upstream
    graph(
      "number-fact upstream",
      [
        line(appMetric(ns, "UpstreamLatency", "number-fact"), { stat: "p99", label: "latency p99, ms" }),
        line(appMetric(ns, "UpstreamFailures", "number-fact"), { label: "failures" }),
      ],
      region,
    ),
    // example:end
    heading("# Database and RDS Proxy"),
    graph("Database: CPU %", [line(awsMetric("AWS/RDS", "CPUUtilization", { DBInstanceIdentifier: args.database.instanceId }))], region, {
      stat: "Average",
      limit: { value: settings.databaseCpuPercent, label: "alarm" },
    }),
    graph(
      "Database: free storage, bytes",
      [line(awsMetric("AWS/RDS", "FreeStorageSpace", { DBInstanceIdentifier: args.database.instanceId }))],
      region,
      {
        stat: "Minimum",
      },
    ),
    graph(
      "RDS Proxy: connections",
      (["ClientConnections", "DatabaseConnections"] as const).map((name) =>
        line(awsMetric("AWS/RDS", name, { ProxyName: args.database.proxyName })),
      ),
      region,
      { stat: "Maximum", limit: { value: settings.proxyClientConnections, label: "client alarm" } },
    ),
    graph(
      "RDS Proxy: borrow latency, µs",
      [line(awsMetric("AWS/RDS", "DatabaseConnectionsBorrowLatency", { ProxyName: args.database.proxyName }))],
      region,
      { stat: "Average" },
    ),
    heading("# Power tuning"),
    graph(
      "Executions",
      [
        ...(["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed"] as const).map((name) =>
          line(awsMetric("AWS/States", name, { StateMachineArn: args.stateMachine.arn })),
        ),
        line(appMetric(ns, "PowerTuningRuns", "power-tuning"), { label: "runs started" }),
      ],
      region,
    ),
    heading("# Alarms"),
    // An alarm status widget takes 1 to 100 alarms: as many widgets as that needs.
    ...Array.from({ length: alarmPages }, (_, page) => ({
      type: "alarm",
      width: 24,
      height: 8,
      properties: {
        title: alarmPages === 1 ? "Every alarm of the stack" : `Every alarm of the stack (${page + 1} of ${alarmPages})`,
        alarms: alarms.slice(page * perWidget, (page + 1) * perWidget).map((alarm) => alarm.arn),
      },
    })),
  );
  return { widgets };
}
