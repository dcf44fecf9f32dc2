import { evaluate } from "../mock-engine";
import { Registered } from "../registered";
import { Observability, type ObservabilityArgs } from "../../components/observability";

// The Observability component's tests' arguments: two functions (one with a twin) and the stack's parts.
export const NAMESPACE = "graviton-platform/test";
export const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
export const DASHBOARD = "aws:cloudwatch/dashboard:Dashboard";
export const QUERY = "aws:cloudwatch/queryDefinition:QueryDefinition";

export const ARGS: ObservabilityArgs = {
  namespace: NAMESPACE,
  functions: [
    {
      name: "primes",
      variants: [
        { name: "primes-arm64", logGroupName: "/aws/lambda/primes-arm64" },
        { name: "primes-x86_64", logGroupName: "/aws/lambda/primes-x86_64" },
      ],
      timeoutSeconds: 10,
    },
    { name: "worker", variants: [{ name: "worker-fn", logGroupName: "/aws/lambda/worker-fn" }], timeoutSeconds: 60, concurrencyLimit: 10 },
  ],
  httpApi: { apiId: "http-id" },
  websocketApi: { apiId: "ws-id", stage: "live" },
  queue: { name: "jobs-q", deadLetterName: "jobs-dlq-q" },
  database: { instanceId: "db-instance", proxyName: "db-proxy", allocatedStorageGiB: 20 },
  stateMachine: { arn: "arn:aws:states:us-east-1:123456789012:stateMachine:tuning" },
};

export async function deploy(overrides: Partial<ObservabilityArgs> = {}) {
  const { resources } = await evaluate(() => void new Observability("observe", { ...ARGS, ...overrides }));
  return new Registered(resources);
}
