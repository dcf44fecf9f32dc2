import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { LOCAL_AWS } from "../iam/local-account";

/**
 * Lambda's payload limits: 6 MB each way for a synchronous invocation (which also bounds an event source
 * mapping's batch), 1 MB for an asynchronous one (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 */
export const INVOKE_LIMITS = { requestResponseBytes: 6 * 1024 * 1024, eventBytes: 1024 * 1024 } as const;

/** A function as the local runtime runs it: its bundle and export, its size and its environment. */
export interface LocalFunctionSpec {
  name: string;
  /** The bundle the image holds (app/dist/<file>.mjs). */
  bundle: string;
  /** The bundle's export that is the handler. @default "handler" */
  exportName?: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** The function's environment variables; Lambda's own (AWS_LAMBDA_*, AWS_REGION) are added. */
  environment?: Record<string, string>;
}

/** One invocation: the response or the error, the logs it wrote, and Lambda's REPORT line. */
export interface LocalInvocation {
  requestId: string;
  ok: boolean;
  result?: unknown;
  error?: { errorType: string; errorMessage: string; trace?: string[] };
  logs: string;
  report: string;
  durationMs: number;
  billedDurationMs: number;
  maxMemoryUsedMb: number;
  /** On a cold start only, as in Lambda. */
  initDurationMs?: number;
}

type HostMessage = { logs: string } & (
  | { type: "ready"; initDurationMs: number }
  | { type: "init-error"; error: NonNullable<LocalInvocation["error"]> }
  | { type: "result"; requestId: string; result: unknown; durationMs: number; maxMemoryUsedMb: number }
  | { type: "error"; requestId: string; error: NonNullable<LocalInvocation["error"]>; durationMs: number; maxMemoryUsedMb: number }
);

/**
 * Runs one function's bundle the way Lambda does, on this machine: a fresh Node process per execution
 * environment (INIT once, then warm invocations), the function's environment and nothing of this
 * process's, a context with the remaining time, the timeout enforced (the environment is killed and the
 * next invocation starts cold: "Task timed out after N.NN seconds"), the V8 heap capped at the memory
 * size, and a REPORT line in Lambda's text format for every invocation.
 */
export class LocalLambda {
  private host?: ChildProcess;
  private logs = "";

  constructor(readonly spec: LocalFunctionSpec) {}

  async invoke(event: unknown): Promise<LocalInvocation> {
    const requestId = randomUUID();
    const cold = !this.host;
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    this.logs = "";
    const ready = cold ? await this.start() : { initDurationMs: undefined };
    if ("error" in ready) return this.finish(requestId, { ok: false, error: ready.error, durationMs: 0, maxMemoryUsedMb: 0 }, undefined);
    const host = this.host;
    if (!host || host.exitCode !== null || host.signalCode !== null)
      return this.finish(
        requestId,
        {
          ok: false,
          error: { errorType: "Runtime.ExitError", errorMessage: "Runtime exited before the invocation" },
          durationMs: 0,
          maxMemoryUsedMb: 0,
        },
        undefined,
      );
    const outcome = await new Promise<{
      ok: boolean;
      result?: unknown;
      error?: LocalInvocation["error"];
      durationMs: number;
      maxMemoryUsedMb: number;
    }>((done) => {
      const started = performance.now();
      const timer = setTimeout(
        () => {
          host.off("message", onMessage);
          host.off("exit", onExit);
          this.stop();
          done({
            ok: false,
            error: { errorType: "Sandbox.Timedout", errorMessage: `Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds` },
            durationMs: performance.now() - started,
            maxMemoryUsedMb: 0,
          });
        },
        Math.max(0, deadline - Date.now()),
      );
      const onMessage = (message: HostMessage) => {
        if (!("requestId" in message) || message.requestId !== requestId) return;
        clearTimeout(timer);
        host.off("message", onMessage);
        host.off("exit", onExit);
        this.logs += message.logs;
        done(message.type === "result" ? { ok: true, ...message } : { ok: false, ...message });
      };
      // The environment died under the invocation (out of memory, process.exit, killed): Lambda's Runtime.ExitError.
      const onExit = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        host.off("message", onMessage);
        done({
          ok: false,
          error: {
            errorType: "Runtime.ExitError",
            errorMessage: `Runtime exited with error: ${signal ? `signal: ${signal}` : `exit status ${code}`}`,
          },
          durationMs: performance.now() - started,
          maxMemoryUsedMb: 0,
        });
      };
      host.on("message", onMessage);
      host.once("exit", onExit);
      host.send({ requestId, event, deadline });
    });
    return this.finish(requestId, outcome, ready.initDurationMs);
  }

  /** Ends the execution environment (the next invocation starts cold). */
  stop(): void {
    this.host?.kill("SIGKILL");
    this.host = undefined;
  }

  private start(): Promise<{ initDurationMs: number } | { error: NonNullable<LocalInvocation["error"]> }> {
    const { spec } = this;
    const host = fork(
      join(__dirname, "lambda-host.mjs"),
      [spec.bundle, spec.exportName ?? "handler", spec.name, String(spec.memoryMb), LOCAL_AWS.account],
      {
        env: {
          PATH: process.env.PATH ?? "",
          TZ: ":UTC",
          // Lambda runs Node.js 22, where the SDK has nothing to warn about; this machine may run Node 20.
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
          AWS_REGION: LOCAL_AWS.region,
          AWS_DEFAULT_REGION: LOCAL_AWS.region,
          ...spec.environment,
          AWS_LAMBDA_FUNCTION_NAME: spec.name,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
          AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
          AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
          AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
          AWS_LAMBDA_LOG_STREAM_NAME: "local",
          AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
        },
        execArgv: [`--max-old-space-size=${spec.memoryMb}`, "--enable-source-maps"],
        stdio: ["ignore", "pipe", "pipe", "ipc"],
      },
    );
    this.host = host;
    // Only what escapes the host's own capture (a crash of the process itself) arrives here.
    for (const stream of [host.stdout!, host.stderr!]) stream.on("data", (chunk) => (this.logs += chunk));
    host.once("exit", () => host === this.host && (this.host = undefined));
    return new Promise((done) => {
      const timer = setTimeout(() => {
        this.stop();
        done({ error: { errorType: "Runtime.InitTimeout", errorMessage: `INIT took longer than ${spec.timeoutSeconds} s` } });
      }, spec.timeoutSeconds * 1000);
      // Ended during INIT (stopped, or it crashed): the invocation fails now, not at the init timeout.
      host.once("exit", (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        done({
          error: {
            errorType: "Runtime.ExitError",
            errorMessage: `Runtime exited during INIT: ${signal ? `signal: ${signal}` : `exit status ${code}`}`,
          },
        });
      });
      host.once("message", (message: HostMessage) => {
        clearTimeout(timer);
        this.logs += message.logs;
        if (message.type === "ready") done({ initDurationMs: message.initDurationMs });
        else if (message.type === "init-error") {
          this.stop();
          done({ error: message.error });
        }
      });
    });
  }

  private finish(
    requestId: string,
    outcome: { ok: boolean; result?: unknown; error?: LocalInvocation["error"]; durationMs: number; maxMemoryUsedMb: number },
    initDurationMs: number | undefined,
  ): LocalInvocation {
    const billedDurationMs = Math.max(1, Math.ceil(outcome.durationMs));
    const report =
      `REPORT RequestId: ${requestId}\tDuration: ${outcome.durationMs.toFixed(2)} ms\tBilled Duration: ${billedDurationMs} ms\t` +
      `Memory Size: ${this.spec.memoryMb} MB\tMax Memory Used: ${outcome.maxMemoryUsedMb} MB` +
      (initDurationMs === undefined ? "" : `\tInit Duration: ${initDurationMs.toFixed(2)} ms`);
    return {
      requestId,
      ok: outcome.ok,
      ...(outcome.ok ? { result: outcome.result } : { error: outcome.error }),
      logs: this.logs,
      report,
      durationMs: outcome.durationMs,
      billedDurationMs,
      maxMemoryUsedMb: outcome.maxMemoryUsedMb,
      ...(initDurationMs !== undefined && { initDurationMs }),
    };
  }
}
