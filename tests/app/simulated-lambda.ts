import {
  CreateAliasCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ListAliasesCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateAliasCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";

/**
 * Lambda's control plane in memory (configuration, versions, aliases) and a duration model for
 * invocations, so the tuner's steps run as they would against AWS. CPU-bound work: duration falls with
 * memory until 1,769 MB (one vCPU), then flattens; arm64 runs `arm64Factor` of x86_64's time; below
 * `minimumMemoryMb` the function runs out of memory. REPORT lines come back in the log tail.
 */
export interface DurationModel {
  /** CPU work at one full vCPU, ms. */
  workMs: number;
  /** Time that does not shrink with CPU (I/O, runtime), ms. */
  overheadMs: number;
  arm64Factor: number;
  minimumMemoryMb: number;
  logFormat: "Text" | "JSON";
  /** Every invocation of functions on this architecture fails (a broken twin). */
  brokenArchitecture?: "arm64" | "x86_64";
}

interface FunctionState {
  architecture: "arm64" | "x86_64";
  memory: number;
  description: string;
  versions: Map<string, { memory: number; description: string }>;
  aliases: Map<string, string>;
  deletedVersions: number[];
  invocations: { qualifier: string; memory: number }[];
}

export const modelDuration = (model: DurationModel, memoryMb: number, architecture: "arm64" | "x86_64") =>
  (model.overheadMs + (model.workMs * 1769) / Math.min(memoryMb, 1769)) * (architecture === "arm64" ? model.arm64Factor : 1);

export class SimulatedLambda {
  readonly functions = new Map<string, FunctionState>();
  readonly mock = mockClient(LambdaClient);
  readonly calls: string[] = [];
  /** Makes the named command fail (once per listed call), to test failure paths. */
  failOn?: { command: string; afterCalls?: number; error: Error };

  constructor(readonly model: DurationModel) {
    // Like the real client: every call answers with a promise, failures included.
    const handle =
      <T>(name: string, run: (input: any) => T) =>
      async (input: any) => {
        this.calls.push(name);
        if (this.failOn?.command === name) {
          if ((this.failOn.afterCalls ?? 0) <= 0) throw this.failOn.error;
          this.failOn.afterCalls!--;
        }
        return run(input);
      };
    this.mock.on(GetFunctionConfigurationCommand).callsFake(
      handle("GetFunctionConfiguration", (input) => {
        const fn = this.fn(input.FunctionName);
        return { MemorySize: fn.memory, Description: fn.description, Architectures: [fn.architecture], PackageType: "Image" };
      }),
    );
    this.mock
      .on(GetFunctionCommand)
      .callsFake(handle("GetFunction", () => ({ Configuration: { State: "Active", LastUpdateStatus: "Successful" } })));
    this.mock.on(UpdateFunctionConfigurationCommand).callsFake(
      handle("UpdateFunctionConfiguration", (input) => {
        const fn = this.fn(input.FunctionName);
        if (input.MemorySize !== undefined) fn.memory = input.MemorySize;
        if (input.Description !== undefined) fn.description = input.Description;
        return {};
      }),
    );
    this.mock.on(PublishVersionCommand).callsFake(
      handle("PublishVersion", (input) => {
        const fn = this.fn(input.FunctionName);
        // As Lambda numbers them: one more than any version the function ever had, never reused.
        const version = String(Math.max(0, ...[...fn.versions.keys()].map(Number), ...fn.deletedVersions) + 1);
        fn.versions.set(version, { memory: fn.memory, description: fn.description });
        return { Version: version };
      }),
    );
    this.mock.on(CreateAliasCommand).callsFake(
      handle("CreateAlias", (input) => {
        const fn = this.fn(input.FunctionName);
        if (fn.aliases.has(input.Name))
          throw new ResourceConflictException({ message: `Alias already exists: ${input.Name}`, $metadata: {} });
        fn.aliases.set(input.Name, input.FunctionVersion);
        return {};
      }),
    );
    this.mock
      .on(UpdateAliasCommand)
      .callsFake(handle("UpdateAlias", (input) => void this.fn(input.FunctionName).aliases.set(input.Name, input.FunctionVersion)));
    this.mock.on(ListAliasesCommand).callsFake(
      handle("ListAliases", (input) => ({
        Aliases: [...this.fn(input.FunctionName).aliases].map(([Name, FunctionVersion]) => ({ Name, FunctionVersion })),
      })),
    );
    this.mock.on(ListVersionsByFunctionCommand).callsFake(
      handle("ListVersionsByFunction", (input) => ({
        Versions: [
          { Version: "$LATEST", Description: this.fn(input.FunctionName).description },
          ...[...this.fn(input.FunctionName).versions].map(([Version, { description }]) => ({ Version, Description: description })),
        ],
      })),
    );
    this.mock
      .on(DeleteAliasCommand)
      .callsFake(handle("DeleteAlias", (input) => void this.fn(input.FunctionName).aliases.delete(input.Name)));
    this.mock.on(DeleteFunctionCommand).callsFake(
      handle("DeleteFunction", (input) => {
        // As Lambda reads it: a version in the ARN (arn:aws:lambda:<region>:<account>:function:<name>:<version>) or in Qualifier.
        const parts = String(input.FunctionName).split(":");
        const [arn, qualifier] = parts.length === 8 ? [parts.slice(0, 7).join(":"), parts[7]] : [input.FunctionName, input.Qualifier];
        if (!qualifier) throw new Error("the tuner must never delete a whole function");
        this.fn(arn).versions.delete(qualifier);
        this.fn(arn).deletedVersions.push(Number(qualifier));
        return {};
      }),
    );
    this.mock.on(InvokeCommand).callsFake(handle("Invoke", (input) => this.invoke(input.FunctionName, input.Qualifier)));
  }

  addFunction(arn: string, architecture: "arm64" | "x86_64", memory = 1024, description = "the original description"): this {
    this.functions.set(arn, {
      architecture,
      memory,
      description,
      versions: new Map(),
      aliases: new Map([["live", "$LATEST"]]),
      deletedVersions: [],
      invocations: [],
    });
    return this;
  }

  private fn(arn: string): FunctionState {
    const fn = this.functions.get(arn);
    if (!fn) throw new ResourceNotFoundException({ message: `Function not found: ${arn}`, $metadata: {} });
    return fn;
  }

  private invoke(arn: string, qualifier: string) {
    const fn = this.fn(arn);
    const version = fn.aliases.get(qualifier);
    if (!version) throw new ResourceNotFoundException({ message: `Alias not found: ${qualifier}`, $metadata: {} });
    const memory = version === "$LATEST" ? fn.memory : fn.versions.get(version)!.memory;
    const cold = !fn.invocations.some((invocation) => invocation.qualifier === qualifier);
    fn.invocations.push({ qualifier, memory });
    const outOfMemory = memory < this.model.minimumMemoryMb || fn.architecture === this.model.brokenArchitecture;
    const duration = Math.round(modelDuration(this.model, memory, fn.architecture) * 100) / 100;
    const init = cold ? 250 : undefined;
    const log =
      this.model.logFormat === "JSON"
        ? `{"time":"2026-11-22T17:00:00Z","type":"platform.report","record":{"requestId":"r","metrics":${JSON.stringify({
            durationMs: duration,
            billedDurationMs: Math.ceil(duration),
            memorySizeMB: memory,
            maxMemoryUsedMB: Math.min(memory, 180),
            ...(init && { initDurationMs: init }),
          })},"status":"${outOfMemory ? "error" : "success"}"}}\n`
        : `START RequestId: r\nEND RequestId: r\nREPORT RequestId: r\tDuration: ${duration} ms\tBilled Duration: ${Math.ceil(duration)} ms\tMemory Size: ${memory} MB\tMax Memory Used: ${Math.min(memory, 180)} MB\t${init ? `Init Duration: ${init} ms\t` : ""}\n`;
    return {
      StatusCode: 200,
      LogResult: Buffer.from(log).toString("base64"),
      ...(outOfMemory && {
        FunctionError: "Unhandled",
        Payload: Buffer.from(
          JSON.stringify({ errorType: "Runtime.OutOfMemory", errorMessage: "Runtime exited with error: signal: killed" }),
        ),
      }),
    };
  }
}
