import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { APP_METRICS, type AppMetricName, type RecordMetric } from "./metric-catalogue";

// INIT, once per execution environment (each handler's bundle has its own): the service name and the
// metrics namespace come from POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE, which the stack
// sets on every function (components/lambda-environment.ts).

/** Structured JSON logs; inside an instrumented handler every line carries the request id and cold start. */
export const logger = new Logger();
const metrics = new Metrics();

/** Records one of the catalogue's metrics; it goes out as EMF when the invocation ends. */
export const recordMetric: RecordMetric = (name: AppMetricName, value = 1, reason?: string) => {
  const { unit } = APP_METRICS[name];
  if (reason === undefined) return void metrics.addMetric(name, unit, value);
  const single = metrics.singleMetric(); // its own record: the reason dimension applies to this value only
  single.addDimension("reason", reason);
  single.addMetric(name, unit, value);
};

/**
 * A handler with the platform's telemetry: the logger gets the invocation's context (request id, cold
 * start), a cold start is counted, and the metrics recorded during the invocation are flushed at its
 * end, also when it fails.
 */
export function instrumented<Event, Result>(
  handler: (event: Event, context: Context) => Promise<Result>,
): (event: Event, context: Context) => Promise<Result> {
  return async (event, context) => {
    logger.addContext(context);
    metrics.captureColdStartMetric();
    try {
      return await handler(event, context);
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}
