// A second stack of the same product (docs/scaling.md): an area with its own functions, built from the
// platform's components, sharing the platform stack's database, job queue and alarm topic through a stack
// reference to its `shared` output. Its resources are its own: a change here never plans the platform.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import { ContainerFunction } from "../../components/container-function";
import { ContainerImage } from "../../components/container-image";
import type { DatabaseGrant } from "../../components/database-settings";
import { metricsNamespace, telemetryEnvironment } from "../../components/lambda-environment";

/** The platform stack's `shared` output (index.ts), as a stack reference reads it. */
interface Shared {
  database: { user: string; connectArn: string; environment: Record<string, string>; subnetIds: string[]; securityGroupIds: string[] };
  jobs: { queueArn: string; queueUrl: string };
  alarmTopicArn: string;
}

const config = new pulumi.Config();
const platform = new pulumi.StackReference(config.require("platformStack"));
const shared = platform.requireOutput("shared") as pulumi.Output<Shared>;

// The platform's grant, as ContainerFunction takes one: the proxy's address and the app user (DB_USER), its subnets and security group.
const database: Omit<DatabaseGrant, "user"> = {
  connectArn: shared.database.connectArn,
  environment: Object.fromEntries(
    ["DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_IDLE_TIMEOUT_MS"].map((name) => [
      name,
      shared.database.environment.apply((env) => env[name]),
    ]),
  ),
  subnetIds: shared.database.subnetIds,
  securityGroupIds: [shared.database.securityGroupIds[0]],
};

const image = new ContainerImage("reports", { context: join(__dirname, "reports"), architectures: ["arm64"], forceDelete: true });
const reports = new ContainerFunction("reports", {
  image,
  architecture: "arm64",
  memory: 256,
  timeout: 10,
  environment: telemetryEnvironment("reports", metricsNamespace(pulumi.getProject(), pulumi.getStack())),
  database,
  description: "An area's function on the platform stack's database",
});
// Its failures page whoever the platform's alarms page.
new aws.cloudwatch.MetricAlarm("reports-errors", {
  alarmDescription: "reports (an area of the product): failed invocations in 5 minutes. Read its log group.",
  namespace: "AWS/Lambda",
  metricName: "Errors",
  dimensions: { FunctionName: reports.functionName },
  statistic: "Sum",
  period: 300,
  evaluationPeriods: 1,
  threshold: 1,
  comparisonOperator: "GreaterThanOrEqualToThreshold",
  treatMissingData: "notBreaching",
  alarmActions: [shared.alarmTopicArn],
});

export const functionName = reports.functionName;
