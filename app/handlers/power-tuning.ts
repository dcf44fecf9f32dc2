import { LambdaClient } from "@aws-sdk/client-lambda";
import type { PointStatistics } from "../tuning/analysis";
import { instrumented, recordMetric } from "../observability/telemetry";
import { tuningResult, type TuningResult } from "../tuning/result";
import { applyRecommendation, cleanUp, initialize, measure, pointsOf, publish, type TuningPlan, type TuningPoint } from "../tuning/tuner";

// INIT: one Lambda client per execution environment; retries cover throttling of the control-plane API.
const lambda = new LambdaClient({ maxAttempts: 10 });

/** What the state machine passes to each step (components/power-tuning-definition.ts builds it). */
export type TuningStep =
  | { step: "initialize"; input: unknown }
  | { step: "publish"; plan: TuningPlan }
  | { step: "measure"; plan: TuningPlan; point: TuningPoint }
  | { step: "cleanup"; plan: TuningPlan }
  | { step: "analyze"; plan: TuningPlan; measurements: PointStatistics[] }
  | { step: "optimize"; plan: TuningPlan; result: TuningResult };

/** Every task of the power-tuning state machine: one function, one role, the step named in the event. */
export const handler = instrumented(async (event: TuningStep) => {
  switch (event?.step) {
    case "initialize": {
      const plan = await initialize(lambda, event.input);
      recordMetric("PowerTuningRuns");
      return { plan, points: pointsOf(plan) };
    }
    case "publish":
      return publish(lambda, event.plan);
    case "measure":
      return measure(lambda, event.plan, event.point);
    case "cleanup":
      return cleanUp(lambda, event.plan);
    case "analyze":
      return tuningResult(event.plan, event.measurements);
    case "optimize":
      return applyRecommendation(lambda, event.plan, { functionArn: event.result.functionArn, memoryMb: event.result.power });
    default:
      throw new Error(
        `Unknown step ${JSON.stringify((event as { step?: unknown } | null)?.step)}: the state machine and the function are from different versions`,
      );
  }
});
