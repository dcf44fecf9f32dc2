// One Lambda-like execution environment (a fresh Node process, forked by dev/lambda/local-lambda.ts): it loads
// the function's bundle once, as the Lambda Node.js runtime does at INIT, then runs the handler for each
// event the parent sends, with a context like Lambda's. Plain JavaScript, so it starts as fast as Node.
import { pathToFileURL } from "node:url";

const [bundle, exportName, functionName, memoryMb, account] = process.argv.slice(2);
const errorOf = (error) => ({
  errorType: error?.name ?? "Error",
  errorMessage: String(error?.message ?? error),
  trace: String(error?.stack ?? "")
    .split("\n")
    .slice(1, 6)
    .map((line) => line.trim()),
});
const maxMemoryUsedMb = () => Math.ceil(process.resourceUsage().maxRSS / 1024);

// What the function writes (console.log and friends) is the invocation's log, sent with its outcome.
let logs = "";
for (const stream of [process.stdout, process.stderr]) stream.write = (chunk) => ((logs += String(chunk)), true);
const takeLogs = () => [logs, (logs = "")][0];

const initStarted = performance.now();
let handler;
try {
  handler = (await import(pathToFileURL(bundle).href))[exportName];
  if (typeof handler !== "function") throw new Error(`${bundle} exports no function "${exportName}"`);
} catch (error) {
  process.send({ type: "init-error", error: errorOf(error), logs: takeLogs() });
  process.exit(1);
}
process.send({ type: "ready", initDurationMs: performance.now() - initStarted, logs: takeLogs() });

// The platform that forked this environment is gone (Ctrl-C, a crash): so is the environment.
process.on("disconnect", () => process.exit(0));

process.on("message", async ({ requestId, event, deadline }) => {
  const context = {
    awsRequestId: requestId,
    functionName,
    functionVersion: "$LATEST",
    memoryLimitInMB: memoryMb,
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:${account}:function:${functionName}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const started = performance.now();
  try {
    const result = await handler(event, context);
    const durationMs = performance.now() - started;
    process.send({ type: "result", requestId, result: result ?? null, durationMs, maxMemoryUsedMb: maxMemoryUsedMb(), logs: takeLogs() });
  } catch (error) {
    const durationMs = performance.now() - started;
    process.send({ type: "error", requestId, error: errorOf(error), durationMs, maxMemoryUsedMb: maxMemoryUsedMb(), logs: takeLogs() });
  }
});
