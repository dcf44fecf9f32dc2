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

/** The most log groups one Logs Insights query can search (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html). */
export const MAX_QUERY_LOG_GROUPS = 50;
