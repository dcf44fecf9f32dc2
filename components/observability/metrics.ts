import * as pulumi from "@pulumi/pulumi";

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
export type AwsNamespace = keyof typeof AWS_METRICS;

/** A metric as alarms and widgets name it. */
export interface MetricRef {
  namespace: string;
  name: string;
  dimensions: Record<string, pulumi.Input<string>>;
}
export const awsMetric = <N extends AwsNamespace>(
  namespace: N,
  name: (typeof AWS_METRICS)[N][number],
  dimensions: MetricRef["dimensions"],
): MetricRef => ({
  namespace,
  name,
  dimensions,
});
