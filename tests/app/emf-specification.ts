/**
 * The CloudWatch embedded metric format, as its specification states it
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * a root object with `_aws` metadata (Timestamp in ms, CloudWatchMetrics directives), each directive with
 * a Namespace, Dimensions (sets of at most 30 names, each a root member holding a string) and Metrics (at
 * most 100 definitions, each naming a root member that holds a number or at most 100 numbers, with a
 * CloudWatch unit and a storage resolution of 1 or 60).
 */
export const EMF_UNITS = [
  "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits",
  "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
  "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
  "Terabits/Second", "Count/Second", "None",
]; // prettier-ignore

/** Whether a log line is an EMF record (CloudWatch looks for the `_aws` member). */
export const isEmf = (line: unknown): line is Record<string, any> => typeof line === "object" && line !== null && "_aws" in line;

/** What in `record` breaks the specification; none for a valid record. */
export function emfProblems(record: Record<string, any>): string[] {
  const problems: string[] = [];
  const { _aws: metadata } = record;
  if (typeof metadata !== "object" || metadata === null) return ["_aws is not an object"];
  if (!Number.isInteger(metadata.Timestamp) || metadata.Timestamp <= 0) problems.push("_aws.Timestamp is not ms since the epoch");
  if (!Array.isArray(metadata.CloudWatchMetrics) || metadata.CloudWatchMetrics.length === 0)
    return [...problems, "_aws.CloudWatchMetrics is not a non-empty list"];
  for (const directive of metadata.CloudWatchMetrics) {
    if (typeof directive.Namespace !== "string" || !/^[\w.\-/#:]{1,255}$/.test(directive.Namespace))
      problems.push(`Namespace ${JSON.stringify(directive.Namespace)} is not a CloudWatch namespace`);
    if (!Array.isArray(directive.Dimensions)) problems.push("Dimensions is not a list");
    for (const set of directive.Dimensions ?? []) {
      if (!Array.isArray(set) || set.length > 30) problems.push(`dimension set ${JSON.stringify(set)} is not a list of at most 30`);
      for (const name of Array.isArray(set) ? set : [])
        if (typeof record[name] !== "string" || record[name].length === 0 || record[name].length > 1024)
          problems.push(`dimension ${name} has no string value (1 to 1024 characters) in the record`);
    }
    if (!Array.isArray(directive.Metrics) || directive.Metrics.length === 0 || directive.Metrics.length > 100)
      problems.push("Metrics is not a list of 1 to 100 definitions");
    for (const metric of directive.Metrics ?? []) {
      const value = record[metric.Name];
      const values = Array.isArray(value) ? value : [value];
      if (typeof metric.Name !== "string" || metric.Name.length === 0 || metric.Name.length > 255)
        problems.push(`metric name ${JSON.stringify(metric.Name)} is not 1 to 255 characters`);
      if (values.length === 0 || values.length > 100 || !values.every((v) => typeof v === "number" && Number.isFinite(v)))
        problems.push(`metric ${metric.Name} has no number (or list of at most 100 numbers) in the record`);
      if (metric.Unit !== undefined && !EMF_UNITS.includes(metric.Unit)) problems.push(`metric ${metric.Name} has unit ${metric.Unit}`);
      if (metric.StorageResolution !== undefined && ![1, 60].includes(metric.StorageResolution))
        problems.push(`metric ${metric.Name} has storage resolution ${metric.StorageResolution}`);
    }
  }
  return problems;
}
