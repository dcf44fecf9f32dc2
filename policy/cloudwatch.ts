import type { PolicyResource } from "@pulumi/policy";
import { GravitonPolicy, propsOf, TYPES } from "./definition";
import { queueSubscriptions } from "./sqs";

/** The stack's alarms by what they watch, indexed once: `alarmsOn(namespace, metric, dimension, value)` stays linear over a stack. */
function alarmIndex(resources: PolicyResource[]) {
  const index = new Map<string, PolicyResource[]>();
  const key = (namespace: unknown, metric: unknown, dimension: string, value: unknown) =>
    JSON.stringify([namespace, metric, dimension, value]);
  for (const alarm of resources.filter((resource) => resource.type === TYPES.metricAlarm))
    for (const [dimension, value] of Object.entries(alarm.props.dimensions ?? {})) {
      const entry = key(alarm.props.namespace, alarm.props.metricName, dimension, value);
      index.set(entry, [...(index.get(entry) ?? []), alarm]);
    }
  return (namespace: string, metric: string, dimension: string, value: unknown) =>
    value === undefined ? [] : (index.get(key(namespace, metric, dimension, value)) ?? []);
}

/** Log groups keep logs for a limited time (AWS Security Hub CloudWatch.16), not forever. */
export const cloudwatchPolicies: GravitonPolicy[] = [
  {
    name: "log-group-retention",
    description:
      "CloudWatch log groups have a retention period (AWS Security Hub CloudWatch.16; Checkov CKV_AWS_338), so logs do not pile up forever.",
    enforcementLevel: "mandatory",
    howToFix: "Set retentionInDays on the log group (graviton-platform:logRetentionDays for the platform's own).",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.logGroup);
      if (props && !(props.retentionInDays > 0)) report(`Log group ${props.name ?? args.name} never expires its logs.`);
    },
  },
  {
    name: "lambda-function-errors-alarm",
    description:
      "Every Lambda function (twins included) has an alarm on its Errors metric, so a failing function is noticed (cdk-monitoring-constructs' baseline).",
    enforcementLevel: "mandatory",
    howToFix: "Pass the function to the Observability component (index.ts does for every function of app/functions.ts).",
    validateStack: (args, report) => {
      const alarmsOn = alarmIndex(args.resources);
      for (const fn of args.resources.filter((resource) => resource.type === TYPES.lambdaFunction)) {
        if (alarmsOn("AWS/Lambda", "Errors", "FunctionName", fn.props.name).length === 0)
          report(`Function ${fn.props.name ?? fn.name} has no Errors alarm.`, fn.urn);
      }
    },
  },
  {
    name: "alarm-has-action",
    description: "Every alarm notifies someone (an alarm action), or it fires unseen.",
    enforcementLevel: "mandatory",
    howToFix: "Set alarmActions (the Observability component's SNS topic: alarmTopicArn).",
    validateResource: (args, report) => {
      const props = propsOf(args, TYPES.metricAlarm);
      if (props && !(props.alarmActions?.length > 0)) report(`Alarm ${props.name ?? args.name} has no action.`);
    },
  },
  {
    name: "sqs-consumed-queue-age-alarm",
    description:
      "Every queue a Lambda function consumes has an alarm on ApproximateAgeOfOldestMessage, so a stalled or throttled consumer is noticed before messages expire.",
    enforcementLevel: "mandatory",
    howToFix: "Pass the queue to the Observability component (alarms.queueOldestMessageSeconds sets the threshold).",
    validateStack: (args, report) => {
      const alarmsOn = alarmIndex(args.resources);
      for (const { queue } of queueSubscriptions(args.resources)) {
        if (queue && alarmsOn("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", queue.props.name).length === 0)
          report(`Queue ${queue.props.name ?? queue.name} is consumed by a function but has no oldest-message age alarm.`, queue.urn);
      }
    },
  },
];
