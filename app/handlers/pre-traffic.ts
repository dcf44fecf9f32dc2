import { CodeDeployClient, GetDeploymentCommand, PutLifecycleEventHookExecutionStatusCommand } from "@aws-sdk/client-codedeploy";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { Context } from "aws-lambda";
import { z } from "zod";
import { CHECK_CALL_LIMITS, CHECK_CALL_WORST_MS, hookTargetOf, verdictOf } from "../core/pre-traffic";
import { instrumented, logger } from "../observability/telemetry";

// INIT: the clients, and the sample event the stack gave this hook (the function's own, app/events/<name>.json
// or event.json in its build context). CodeDeploy's calls give up in time to report: a hung GetDeployment
// must still end in Failed, not in the hook's timeout.
const codedeploy = new CodeDeployClient({
  maxAttempts: CHECK_CALL_LIMITS.maxAttempts,
  requestHandler: { connectionTimeout: CHECK_CALL_LIMITS.connectionTimeoutMs, requestTimeout: CHECK_CALL_LIMITS.requestTimeoutMs },
});
const lambda = new LambdaClient({});
const sampleEvent = process.env.PRE_TRAFFIC_EVENT ?? "null";

/** What CodeDeploy sends a lifecycle hook (https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html). */
const hookEvent = z.object({ DeploymentId: z.string().min(1), LifecycleEventHookExecutionId: z.string().min(1) });

/** Time kept back to report the verdict to CodeDeploy after the trial invocation gives up: the report's longest call. */
const REPORT_MARGIN_MS = CHECK_CALL_WORST_MS;

/**
 * BeforeAllowTraffic: invokes the version being rolled out with the function's sample event, before any
 * traffic moves to it, and reports Succeeded or Failed to CodeDeploy; Failed rolls the deployment back.
 * Whatever goes wrong is reported as Failed: a check that cannot run must not let a version through.
 */
export const handler = instrumented(async (rawEvent: unknown, context: Context) => {
  const event = hookEvent.parse(rawEvent);
  let status: "Succeeded" | "Failed" = "Failed";
  try {
    const { deploymentInfo } = await codedeploy.send(new GetDeploymentCommand({ deploymentId: event.DeploymentId }));
    const target = hookTargetOf(deploymentInfo?.revision?.appSpecContent?.content);
    const answer = await lambda.send(
      new InvokeCommand({ FunctionName: target.functionName, Qualifier: target.targetVersion, Payload: Buffer.from(sampleEvent) }),
      { abortSignal: AbortSignal.timeout(Math.max(1_000, context.getRemainingTimeInMillis() - REPORT_MARGIN_MS)) },
    );
    const verdict = verdictOf({ functionError: answer.FunctionError, payload: Buffer.from(answer.Payload ?? []).toString("utf8") });
    logger.info(
      `${target.functionName} version ${target.targetVersion} ${verdict.passed ? "may have traffic" : "may not have traffic"}: ${verdict.reason}`,
    );
    if (verdict.passed) status = "Succeeded";
  } catch (error) {
    logger.error("the before-traffic check could not run: the version gets no traffic", error as Error);
  }
  await codedeploy.send(
    new PutLifecycleEventHookExecutionStatusCommand({
      deploymentId: event.DeploymentId,
      lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
      status,
    }),
  );
  return { status };
});
