/**
 * The power-tuning state machine (Amazon States Language), built here so tests can run it:
 * Initialize -> Publish (one version and alias per memory value, in series) -> Measure (a Map over
 * every memory value, summarized where measured) -> CleanUp -> Analyze -> optionally Optimize. Every
 * failure after Initialize cleans up first, then fails the execution with the error's cause; it never
 * succeeds with an empty output.
 *
 * The state stays small whatever the input allows (Step Functions refuses a state over 256 KiB with
 * States.DataLimitExceeded, which no Catch handles, so cleanup would never run): Initialize replaces the
 * execution input with the plan, points are indexes, Publish returns a count, and each Map iteration
 * returns one point's statistics. https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
export function powerTuningDefinition(taskFunctionArn: string, options: { maxConcurrency?: number } = {}): object {
  // Throttling and transient service errors of the task function itself are retried.
  const retry = [
    {
      ErrorEquals: ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"],
      IntervalSeconds: 2,
      MaxAttempts: 6,
      BackoffRate: 2,
    },
  ];
  const task = (
    step: string,
    parameters: Record<string, string>,
    resultPath: string | undefined,
    next: string,
    onError: { next: string; resultPath?: string },
  ) => ({
    Type: "Task",
    Resource: taskFunctionArn,
    Parameters: { step, ...parameters },
    ...(resultPath && { ResultPath: resultPath }),
    Retry: retry,
    Catch: [{ ErrorEquals: ["States.ALL"], ...(onError.resultPath && { ResultPath: onError.resultPath }), Next: onError.next }],
    Next: next,
  });
  const plan = { "plan.$": "$.plan" };
  const failed = { next: "CleanUpAfterFailure", resultPath: "$.error" };

  return {
    Comment:
      "Power tuning for container-image Lambda functions: memory x architecture, compatible with AWS Lambda Power Tuning's input and output",
    StartAt: "Initialize",
    States: {
      // The result ({plan, points}) replaces the input, and an error replaces it too (no ResultPath: "$"),
      // so any input, a string or null included, fails here with a readable cause.
      Initialize: task("initialize", { "input.$": "$" }, undefined, "Publish", { next: "InitializeFailed" }),
      // Invalid input, or a function that cannot be read: nothing has been changed yet.
      InitializeFailed: { Type: "Fail", Error: "InitializeFailed", CausePath: "$.Cause" },
      Publish: task("publish", plan, "$.published", "Measure", failed),
      Measure: {
        Type: "Map",
        ItemsPath: "$.points",
        ItemSelector: { "plan.$": "$.plan", "point.$": "$$.Map.Item.Value" },
        // No more at once than the task function may run (its reserved concurrency); 0 = no limit.
        MaxConcurrency: options.maxConcurrency ?? 0,
        ItemProcessor: {
          ProcessorConfig: { Mode: "INLINE" },
          StartAt: "MeasurePoint",
          States: {
            MeasurePoint: {
              Type: "Task",
              Resource: taskFunctionArn,
              Parameters: { step: "measure", "plan.$": "$.plan", "point.$": "$.point" },
              Retry: retry,
              End: true,
            },
          },
        },
        ResultPath: "$.measurements",
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "CleanUpAfterFailure" }],
        Next: "CleanUp",
      },
      CleanUp: task("cleanup", plan, "$.cleanup", "Analyze", { next: "CleanUpFailed", resultPath: "$.cleanupError" }),
      Analyze: task("analyze", { ...plan, "measurements.$": "$.measurements" }, "$.result", "AutoOptimize?", {
        next: "AnalysisFailed",
        resultPath: "$.error",
      }),
      "AutoOptimize?": {
        Type: "Choice",
        Choices: [{ Variable: "$.plan.input.autoOptimize", BooleanEquals: true, Next: "Optimize" }],
        Default: "Done",
      },
      Optimize: task("optimize", { ...plan, "result.$": "$.result" }, "$.optimized", "Done", {
        next: "OptimizeFailed",
        resultPath: "$.error",
      }),
      Done: { Type: "Succeed", OutputPath: "$.result" },
      CleanUpAfterFailure: task("cleanup", plan, "$.cleanup", "TuningFailed", { next: "CleanUpFailed", resultPath: "$.cleanupError" }),
      TuningFailed: { Type: "Fail", Error: "TuningFailed", CausePath: "$.error.Cause" },
      CleanUpFailed: { Type: "Fail", Error: "CleanUpFailed", CausePath: "$.cleanupError.Cause" },
      AnalysisFailed: { Type: "Fail", Error: "AnalysisFailed", CausePath: "$.error.Cause" },
      OptimizeFailed: { Type: "Fail", Error: "OptimizeFailed", CausePath: "$.error.Cause" },
    },
  };
}
