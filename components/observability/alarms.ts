import type { AlarmSettings, ObservabilityArgs } from "./settings";
import { awsMetric, type MetricRef } from "./metrics";

/** One alarm: what it watches, when it fires, and (its description) why it matters and what to do. */
export interface AlarmSpec {
  id: string;
  metric: MetricRef;
  condition: { statistic: string; threshold: number; above: boolean; period?: number; periods?: number };
  description: string;
}

/**
 * Every alarm of the stack, as records (the component creates one CloudWatch alarm each, in this order):
 * per function and twin its errors, throttles, duration near its timeout and concurrency near its limit;
 * both APIs; the queue and its DLQ; RDS Proxy and the database; the power-tuning state machine.
 * Adding an alarm is adding its record here.
 */
export function alarmSpecs(args: ObservabilityArgs, settings: AlarmSettings): AlarmSpec[] {
  const specs: AlarmSpec[] = [];
  const alarm = (id: string, metric: MetricRef, condition: AlarmSpec["condition"], description: string) =>
    void specs.push({ id, metric, condition, description });
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
    `HTTP API: p99 latency above ${settings.httpApiLatencyMs} ms over 5 minutes. Cold starts or a slow function? Check the cold-starts and duration-p99 queries, then the functions' rows on the dashboard.`,
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
    "A power-tuning execution failed. Read its execution history (Step Functions console), which names the failed state and its cause; cleanup ran in any case (the Catch routes every failure through it).",
  );
  return specs;
}
