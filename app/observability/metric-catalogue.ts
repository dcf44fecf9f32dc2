/**
 * Every custom metric the functions emit, the one list the dashboard, the alarms and the tests read. They
 * go out as CloudWatch embedded metric format (EMF) records in the function's own log (Powertools Metrics),
 * never through PutMetricData (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
 * in the stack's namespace, with the dimension `service` = the function's name in app/functions.ts, and
 * for a metric with `reasons`, a second dimension `reason` that takes one of them.
 */

/** Why a job ended as failed: its request was not a valid job, or it ran and failed (or its result could not be stored). */
export const JOB_FAILURE_REASONS = ["invalid", "error"] as const;
export type JobFailureReason = (typeof JOB_FAILURE_REASONS)[number];

/** Why the WebSocket authorizer refused a token. */
export const TOKEN_REJECTION_REASONS = ["missing", "malformed", "expired", "signature", "unknown-key", "claims"] as const;
export type TokenRejectionReason = (typeof TOKEN_REJECTION_REASONS)[number];

type Unit = "Count" | "Milliseconds";
interface MetricSpec {
  unit: Unit;
  /** The functions that emit it; "every" for all of app/functions.ts. */
  emittedBy: "every" | readonly string[];
  reasons?: readonly string[];
  description: string;
  /** The graph it is charted in, on the row of each function that emits it (ColdStart: the invocations graph). */
  panel?: string;
}

export const APP_METRICS = {
  ColdStart: { unit: "Count", emittedBy: "every", description: "an invocation that started a new execution environment" },
  JobsCompleted: { unit: "Count", emittedBy: ["worker"], description: "jobs that succeeded", panel: "jobs by outcome" },
  JobsFailed: {
    unit: "Count",
    emittedBy: ["worker"],
    reasons: JOB_FAILURE_REASONS,
    description: "jobs stored as failed, by reason",
    panel: "jobs by outcome",
  },
  JobsRetried: {
    unit: "Count",
    emittedBy: ["worker"],
    description: "job messages left in the queue for another try",
    panel: "jobs by outcome",
  },
  JobDuration: {
    unit: "Milliseconds",
    emittedBy: ["worker"],
    description: "from a job's submission to its stored result",
    panel: "job duration (submitted to stored), ms",
  },
  NotificationsDelivered: {
    unit: "Count",
    emittedBy: ["worker"],
    description: "results pushed to the client's connection",
    panel: "results pushed to clients",
  },
  NotificationsGone: {
    unit: "Count",
    emittedBy: ["worker"],
    description: "results whose client had disconnected (410)",
    panel: "results pushed to clients",
  },
  NotificationsFailed: {
    unit: "Count",
    emittedBy: ["worker"],
    description: "results that could not be pushed (the record stays readable)",
    panel: "results pushed to clients",
  },
  TokenRejections: {
    unit: "Count",
    emittedBy: ["ws-authorizer"],
    reasons: TOKEN_REJECTION_REASONS,
    description: "WebSocket connections refused, by reason",
    panel: "connections refused, by reason",
  },
  // example:begin number-fact's upstream
  UpstreamLatency: { unit: "Milliseconds", emittedBy: ["number-fact"], description: "the numbers API's response time", panel: "upstream" },
  UpstreamFailures: {
    unit: "Count",
    emittedBy: ["number-fact"],
    description: "numbers API calls that failed or timed out",
    panel: "upstream",
  },
  // example:end
  PowerTuningRuns: { unit: "Count", emittedBy: ["power-tuning"], description: "power-tuning executions started", panel: "runs started" },
} as const satisfies Record<string, MetricSpec>;

export type AppMetricName = keyof typeof APP_METRICS;

/** The metric of each thing that can become of a result pushed to a WebSocket connection. */
export const NOTIFICATION_METRIC = {
  delivered: "NotificationsDelivered",
  gone: "NotificationsGone",
  failed: "NotificationsFailed",
} as const satisfies Record<string, AppMetricName>;

/** Records a metric: the handlers give the Powertools one, tests a recorder. Core code depends on this type only. */
export type RecordMetric = (name: AppMetricName, value?: number, reason?: string) => void;
