import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { strictObject, wholeNumber } from "../settings-schema";

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
