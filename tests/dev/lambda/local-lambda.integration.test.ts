import { strict as assert } from "node:assert";
import { join } from "node:path";
import { parseReport } from "../../../app/tuning/report-line";
import { LocalLambda } from "../../../dev/lambda/local-lambda";

const fixtures = join(__dirname, "..", "fixtures", "handlers.mjs");
const local = (exportName: string, timeoutSeconds = 3) =>
  new LocalLambda({ name: "fixture", bundle: fixtures, exportName, memoryMb: 256, timeoutSeconds, environment: { GREETING: "hi" } });

describe("local Lambda runtime (a fresh Node process per execution environment)", function () {
  this.timeout(20_000);

  it("runs INIT once, then warm invocations, with Lambda's context and a REPORT line the tuning parser reads", async () => {
    const lambda = local("echo");
    try {
      const cold = await lambda.invoke({ n: 1 });
      const warm = await lambda.invoke({ n: 2 });
      assert.deepEqual([cold.ok, (cold.result as any).invocations, (warm.result as any).invocations], [true, 1, 2]);
      assert.deepEqual((warm.result as any).event, { n: 2 });
      assert.equal((cold.result as any).functionName, "fixture");
      assert.ok((cold.result as any).remainingMs > 2000 && (cold.result as any).remainingMs <= 3000);
      assert.match(cold.logs, /^INIT ran once\ninvocation 1\n$/);
      assert.equal(warm.logs, "invocation 2\n");
      const [coldReport, warmReport] = [parseReport(cold.report)!, parseReport(warm.report)!];
      assert.equal(coldReport.memorySizeMb, 256);
      assert.ok(coldReport.initDurationMs! > 0, "a cold start reports its init duration");
      assert.equal(warmReport.initDurationMs, undefined, "a warm one does not");
      assert.equal(coldReport.billedDurationMs, Math.ceil(coldReport.durationMs) || 1);
      assert.ok(coldReport.maxMemoryUsedMb > 10);
    } finally {
      lambda.stop();
    }
  });

  it("gives the function its own environment and Lambda's variables, not this process's", async () => {
    const lambda = local("environment");
    process.env.THIS_PROCESS_ONLY = "leaked";
    try {
      const { result } = await lambda.invoke({});
      const env = result as Record<string, string>;
      assert.equal(env.GREETING, "hi");
      assert.deepEqual(
        [env.AWS_LAMBDA_FUNCTION_NAME, env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, env.AWS_REGION],
        ["fixture", "256", "us-east-1"],
      );
      assert.equal(env.HOME, undefined);
      assert.equal(env.THIS_PROCESS_ONLY, undefined);
    } finally {
      delete process.env.THIS_PROCESS_ONLY;
      lambda.stop();
    }
  });

  it("ends an invocation whose environment is stopped during INIT at once, not at the init timeout", async () => {
    const timeoutSeconds = 30;
    const lambda = new LocalLambda({
      name: "slow",
      bundle: join(__dirname, "..", "fixtures", "slow-init.mjs"),
      memoryMb: 128,
      timeoutSeconds,
      environment: {},
    });
    const started = Date.now();
    const pending = lambda.invoke({});
    await new Promise((resolve) => setTimeout(resolve, 300));
    lambda.stop(); // what npm run dev's Ctrl-C and a reload do
    const outcome = await pending;
    assert.equal(outcome.error?.errorType, "Runtime.ExitError");
    assert.ok(Date.now() - started < (timeoutSeconds * 1000) / 2, `${Date.now() - started} ms`);
  });

  it("enforces the timeout as Lambda does: the invocation fails, the environment is discarded, the next one is cold", async () => {
    const lambda = local("hang", 1);
    try {
      const started = Date.now();
      const timedOut = await lambda.invoke({});
      assert.ok(Date.now() - started < 3000);
      assert.deepEqual(
        [timedOut.ok, timedOut.error],
        [false, { errorType: "Sandbox.Timedout", errorMessage: "Task timed out after 1.00 seconds" }],
      );
      const again = await lambda.invoke({});
      assert.ok(parseReport(again.report)!.initDurationMs! > 0, "a fresh environment");
    } finally {
      lambda.stop();
    }
  });

  it("reports a handler's error as Lambda does (errorType, errorMessage)", async () => {
    const lambda = local("fail");
    try {
      const failed = await lambda.invoke({});
      assert.equal(failed.ok, false);
      assert.deepEqual([failed.error?.errorType, failed.error?.errorMessage], ["JobError", "the job went wrong"]);
    } finally {
      lambda.stop();
    }
  });

  it("reports a bundle that cannot load as an INIT error", async () => {
    const lambda = local("noSuchExport");
    const failed = await lambda.invoke({});
    assert.equal(failed.ok, false);
    assert.match(failed.error!.errorMessage, /exports no function "noSuchExport"/);
  });
});
