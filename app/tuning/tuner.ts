import {
  CreateAliasCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ListAliasesCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  ResourceConflictException,
  UpdateAliasCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { LambdaArchitecture } from "../core/architecture";
import { generatePayloads, summarize, type InvocationResult, type Measurement, type PointStatistics } from "./analysis";
import { parseTuningInput, targetsOf, type TuningInput } from "./input";
import { parseReport } from "./report-line";

/** Aliases this tuner creates start with this; cleanup removes exactly these. */
export const ALIAS_PREFIX = "graviton-tuning-";
/** Versions this tuner publishes carry a description starting with this; cleanup removes exactly these. */
export const VERSION_MARK = "power tuning ";

export interface Target {
  functionArn: string;
  architecture: LambdaArchitecture;
  originalMemoryMb: number;
  originalDescription: string;
}

/** What Initialize hands to every later step. */
export interface TuningPlan {
  input: TuningInput;
  targets: Target[];
  region: string;
  /** Marks this run's versions (their description), so each published version is new. */
  runId: string;
}

/** One memory value of one target (its index in plan.targets), as the Map state fans them out: a few bytes each. */
export interface TuningPoint {
  target: number;
  memoryMb: number;
}

const regionOf = (arn: string) => arn.split(":")[3];
const aliasName = (memoryMb: number, copy?: number) => `${ALIAS_PREFIX}${memoryMb}${copy === undefined ? "" : `-${copy}`}`;

/** Validates the input and records each function's configuration, to restore it afterwards. */
export async function initialize(lambda: LambdaClient, rawInput: unknown): Promise<TuningPlan> {
  const input = parseTuningInput(rawInput);
  const targets = await Promise.all(
    targetsOf(input).map(async ({ architecture, functionArn }): Promise<Target> => {
      const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionArn }));
      const actual = (config.Architectures?.[0] ?? "x86_64") as LambdaArchitecture;
      if (architecture && actual !== architecture) {
        throw new Error(`Invalid input: lambdaARNs.${architecture} names ${functionArn}, which runs on ${actual}`);
      }
      return {
        functionArn,
        architecture: actual,
        originalMemoryMb: config.MemorySize ?? 128,
        originalDescription: config.Description ?? "",
      };
    }),
  );
  return { input, targets, region: regionOf(targets[0].functionArn), runId: randomUUID().slice(0, 8) };
}

/** The points the Map state measures: every memory value of every target. */
export function pointsOf(plan: TuningPlan): TuningPoint[] {
  return plan.targets.flatMap((_, target) => plan.input.powerValues.map((memoryMb) => ({ target, memoryMb })));
}

/**
 * For every target, one version per memory value (num of them with onlyColdStarts, each a cold start)
 * and an alias to it. In series per function: one configuration update at a time. Returns only how many
 * it made: with onlyColdStarts that can be 128,000, far too many to list in the execution's state.
 */
export async function publish(lambda: LambdaClient, plan: TuningPlan): Promise<{ versions: number }> {
  let versions = 0;
  for (const point of pointsOf(plan)) {
    const { memoryMb } = point;
    const target = plan.targets[point.target];
    const copies = plan.input.onlyColdStarts ? Array.from({ length: plan.input.num }, (_, copy) => copy) : [undefined];
    for (const copy of copies) {
      const alias = aliasName(memoryMb, copy);
      await lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: target.functionArn,
          MemorySize: memoryMb,
          Description: `${VERSION_MARK}${plan.runId}: ${alias}`,
        }),
      );
      await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 300, minDelay: 1 }, { FunctionName: target.functionArn });
      const { Version } = await lambda.send(new PublishVersionCommand({ FunctionName: target.functionArn }));
      await pointAlias(lambda, target.functionArn, alias, Version!); // an interrupted run may have left it
      versions++;
    }
  }
  return { versions };
}

/**
 * Invokes one memory value `num` times, reads each invocation's REPORT line, and returns the point's
 * statistics: summarized here, as the original's executor does, so the state carries a few hundred bytes
 * per point whatever num is, never every invocation's report.
 */
export async function measure(lambda: LambdaClient, plan: TuningPlan, point: TuningPoint): Promise<PointStatistics> {
  const { input } = plan;
  const target = plan.targets[point.target];
  const payloads = generatePayloads(input.dryRun ? 1 : input.num, input.payload);
  const invoke = async (payload: string, index: number): Promise<InvocationResult> => {
    const qualifier = aliasName(point.memoryMb, input.onlyColdStarts ? index : undefined);
    const response = await lambda.send(
      new InvokeCommand({ FunctionName: target.functionArn, Qualifier: qualifier, Payload: Buffer.from(payload), LogType: "Tail" }),
    );
    const report = parseReport(Buffer.from(response.LogResult ?? "", "base64").toString("utf8"));
    if (!response.FunctionError) return { report };
    let detail = response.FunctionError;
    try {
      const body = JSON.parse(Buffer.from(response.Payload ?? new Uint8Array()).toString("utf8"));
      detail = `${body.errorType ?? response.FunctionError}: ${body.errorMessage ?? ""}`.trim();
    } catch {
      // keep FunctionError ("Unhandled")
    }
    return { report, error: detail };
  };
  const invocations: InvocationResult[] = [];
  if (input.parallelInvocation) {
    invocations.push(...(await Promise.all(payloads.map(invoke))));
  } else {
    for (const [index, payload] of payloads.entries()) {
      if (index > 0 && input.sleepBetweenRunsMs > 0) await sleep(input.sleepBetweenRunsMs);
      invocations.push(await invoke(payload, index));
    }
  }
  const measurement: Measurement = { memoryMb: point.memoryMb, architecture: target.architecture, invocations };
  return summarize(measurement, { discardTopBottom: input.discardTopBottom, region: plan.region });
}

/** Every page of a Lambda list call. */
async function listAll<T>(fetch: (marker?: string) => Promise<{ items?: T[]; next?: string }>): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  do {
    const page = await fetch(marker);
    all.push(...(page.items ?? []));
    marker = page.next;
  } while (marker);
  return all;
}

/**
 * Removes every alias this tuner made (by its prefix) and every version it published (by its
 * description mark), an interrupted run's included, and puts the functions' memory and description
 * back. Tries everything before reporting what failed.
 */
export async function cleanUp(lambda: LambdaClient, plan: TuningPlan): Promise<{ aliases: number; versions: number }> {
  const problems: string[] = [];
  let aliases = 0;
  let versions = 0;
  const attempt = (what: string, call: Promise<unknown>, onSuccess: () => void) =>
    call.then(onSuccess, (error: Error) => void problems.push(`${what}: ${error.message}`));
  for (const target of plan.targets) {
    const FunctionName = target.functionArn;
    try {
      const ourAliases = (
        await listAll((Marker) =>
          lambda.send(new ListAliasesCommand({ FunctionName, Marker })).then((page) => ({ items: page.Aliases, next: page.NextMarker })),
        )
      ).filter((alias) => alias.Name?.startsWith(ALIAS_PREFIX));
      for (const alias of ourAliases)
        await attempt(`alias ${alias.Name}`, lambda.send(new DeleteAliasCommand({ FunctionName, Name: alias.Name })), () => aliases++);
      const ourVersions = (
        await listAll((Marker) =>
          lambda
            .send(new ListVersionsByFunctionCommand({ FunctionName, Marker }))
            .then((page) => ({ items: page.Versions, next: page.NextMarker })),
        )
      ).filter((version) => version.Version !== "$LATEST" && version.Description?.startsWith(VERSION_MARK));
      // The version is named in the ARN itself, so the request's resource is the qualified ARN the role
      // may delete (${arn}:*), never the function: https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunction.html
      for (const version of ourVersions) {
        await attempt(
          `version ${version.Version}`,
          lambda.send(new DeleteFunctionCommand({ FunctionName: `${FunctionName}:${version.Version}` })),
          () => versions++,
        );
      }
    } catch (error) {
      problems.push(`listing what ${FunctionName} holds: ${(error as Error).message}`);
    }
    try {
      await lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName,
          MemorySize: target.originalMemoryMb,
          Description: target.originalDescription,
        }),
      );
      await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 300, minDelay: 1 }, { FunctionName });
    } catch (error) {
      problems.push(`restoring ${FunctionName} to ${target.originalMemoryMb} MB: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new Error(`Cleanup left work undone (fix by hand): ${problems.join("; ")}`);
  return { aliases, versions };
}

/** Applies the recommendation: the memory on the function, and optionally an alias to a version with it. */
export async function applyRecommendation(
  lambda: LambdaClient,
  plan: TuningPlan,
  choice: { functionArn: string; memoryMb: number },
): Promise<{ version?: string }> {
  await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: choice.functionArn, MemorySize: choice.memoryMb }));
  await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 300, minDelay: 1 }, { FunctionName: choice.functionArn });
  if (!plan.input.autoOptimizeAlias) return {};
  const { Version } = await lambda.send(new PublishVersionCommand({ FunctionName: choice.functionArn }));
  await pointAlias(lambda, choice.functionArn, plan.input.autoOptimizeAlias, Version!);
  return { version: Version };
}

/** Points the alias at the version, creating the alias if it does not exist yet. */
async function pointAlias(lambda: LambdaClient, functionArn: string, name: string, version: string): Promise<void> {
  const alias = { FunctionName: functionArn, Name: name, FunctionVersion: version };
  try {
    await lambda.send(new CreateAliasCommand(alias));
  } catch (error) {
    if (!(error instanceof ResourceConflictException)) throw error;
    await lambda.send(new UpdateAliasCommand(alias));
  }
}
