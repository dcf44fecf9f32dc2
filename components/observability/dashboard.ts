import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { APP_METRICS, type AppMetricName } from "../../app/observability/metric-catalogue";
import type { AlarmSettings, ObservabilityArgs, ObservedFunction } from "./settings";
import { awsMetric, type MetricRef } from "./metrics";

/**
 * CloudWatch's dashboard limits (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html):
 * at most 500 widgets, and an alarm status widget names 1 to 100 alarms. PutDashboard takes a body of
 * at most 1 MB.
 */
export const DASHBOARD_LIMITS = { widgets: 500, alarmsPerWidget: 100, bodyBytes: 1024 * 1024 } as const;

/** A metric line of a widget: [namespace, name, dimension, value, ..., { stat, label }]. */
export const line = (metric: MetricRef, options: { stat?: string; label?: string } = {}) => [
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
export const graph = (
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
export const heading = (markdown: string) => ({ type: "text", width: 24, height: 2, properties: { markdown } });

/**
 * The graphs a function adds to its own row: one per panel of the app metrics it emits (the catalogue's
 * `panel`), a line per reason, durations at p50 and p99. A metric added to the catalogue is charted on
 * the row of every function that emits it, with no change here.
 */
function contributedPanels(fn: ObservedFunction, namespace: string, region: pulumi.Input<string>) {
  const panels = new Map<string, unknown[][]>();
  for (const [name, spec] of Object.entries(APP_METRICS) as [AppMetricName, (typeof APP_METRICS)[AppMetricName]][]) {
    if (!("panel" in spec) || !(spec.emittedBy as readonly string[]).includes(fn.name)) continue;
    const reasons: readonly (string | undefined)[] = "reasons" in spec ? spec.reasons : [undefined];
    const lines = reasons.flatMap((reason) => {
      const metric = appMetric(namespace, name, fn.name, reason);
      const label = reason === undefined ? name : `${name}: ${reason}`;
      return spec.unit === "Milliseconds"
        ? ["p50", "p99"].map((stat) => line(metric, { stat, label: `${label} ${stat}` }))
        : [line(metric, { label })];
    });
    panels.set(spec.panel, [...(panels.get(spec.panel) ?? []), ...lines]);
  }
  return [...panels].map(([panel, lines]) => graph(`${fn.name}: ${panel}`, lines, region));
}

const FUNCTIONS_HEADING =
  "Invocations, errors and throttles; duration p50/p99 against the timeout; concurrency against the limit (1-minute resolution: `npm run concurrency` has the 1-second peaks); then the graphs of the metrics it emits.";

/**
 * The stack's dashboards: the first holds the async path, the APIs, the database and proxy, power tuning
 * and every alarm, then a row per function (with what it adds) while it has room; the rows that do not fit
 * go on further dashboards, each within CloudWatch's 500 widgets, a row never split.
 */
export function dashboardBodies(
  args: ObservabilityArgs,
  settings: AlarmSettings,
  region: pulumi.Input<string>,
  alarms: aws.cloudwatch.MetricAlarm[],
): { widgets: object[] }[] {
  const stack = stackWidgets(args, settings, region, alarms);
  const rows = args.functions.map((fn) => functionRow(fn, args.namespace, region));
  const pages: object[][] = [[...stack, heading(`# Functions\n${FUNCTIONS_HEADING}`)]];
  for (const row of rows) {
    if (pages.at(-1)!.length + row.length > DASHBOARD_LIMITS.widgets) pages.push([heading(`# Functions, continued\n${FUNCTIONS_HEADING}`)]);
    pages.at(-1)!.push(...row);
  }
  return pages.map((widgets) => ({ widgets }));
}

/** A function's row: invocations, duration and concurrency of it and its twin, then the panels of the metrics it emits. */
function functionRow(fn: ObservedFunction, ns: string, region: pulumi.Input<string>): object[] {
  const variants = fn.variants.map((variant, index) => ({
    dimensions: { FunctionName: variant.name },
    suffix: index === 0 ? "" : " (twin)",
  }));
  return [
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
    ...contributedPanels(fn, ns, region),
  ];
}

/** What the stack has besides its functions: the async path, the APIs, the database and proxy, power tuning, every alarm. */
function stackWidgets(
  args: ObservabilityArgs,
  settings: AlarmSettings,
  region: pulumi.Input<string>,
  alarms: aws.cloudwatch.MetricAlarm[],
) {
  const perWidget = DASHBOARD_LIMITS.alarmsPerWidget;
  const alarmPages = Math.ceil(alarms.length / perWidget);
  const widgets: object[] = [];
  const queue = { QueueName: args.queue.name };
  const dlq = { QueueName: args.queue.deadLetterName };
  widgets.push(
    heading(
      "# Async path\nWebSocket or POST /jobs -> queue -> worker -> PostgreSQL -> result pushed back (the jobs' outcomes are on the worker's row).",
    ),
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
      (["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed"] as const).map((name) =>
        line(awsMetric("AWS/States", name, { StateMachineArn: args.stateMachine.arn })),
      ),
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
  return widgets;
}
