// npm run tune -- --stack dev --function <name> [--compare-architectures] [--num 20] [--payload JSON]
//                [--strategy cost|speed|balanced] [--power-values 128,512,1024] [--chart FILE]
// npm run tune -- --from-output FILE [--chart FILE] [--stack <name> --function <name> [--apply]]
// Starts the stack's power-tuning state machine on a function (and its twin, to compare architectures),
// shows progress, then prints a table (memory x architecture), the recommendation and the links, and
// writes an SVG chart. --from-output renders an existing execution output (ours, or AWS Lambda Power
// Tuning's) without AWS. With a stack and a function it prints the recommendation as the change to the
// stack file, and --apply writes it (comments and layout kept), for the next pulumi up to roll out.
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describeValue } from "../app/core/describe-value";
import { parseTuningInput } from "../app/tuning/input";
import { runCommand } from "./run-command";
import { readStackOutputs, requiredOutput, StackOutputs } from "./stack-outputs";
import { chartSvg, pointsOfOutput, recommendationOf, tableOf } from "./tuning-report";
import { COMMANDS, parseCommandLine } from "./command-line";
import { PROJECT, stackConfigFrom, stackConfigOfText, stackFileOf } from "../config";
import { ALL_AT_ONCE } from "../components/rollout-settings";
import { editFunctionSettings } from "./stack-file-edit";

const USAGE = COMMANDS["tune"].usage;

export interface TuneDependencies {
  outputs(stack: string): StackOutputs;
  sfn: SFNClient;
  /** Between progress checks. @default 5 s */
  pollIntervalMs?: number;
  /** Progress checks before giving up watching. @default 720 (an hour at 5 s) */
  maxPolls?: number;
  /** Where the stack files are. @default the project */
  projectDir?: string;
}

export async function main(argv: string[], write: (text: string) => void, deps: TuneDependencies): Promise<number> {
  let options;
  try {
    options = parseCommandLine("tune", argv).values;
    if (!options["from-output"] && (!options.stack || !options.function))
      throw new Error("--stack and --function are required (or --from-output FILE)");
    if ((options.apply || options["from-output"]) && Boolean(options.stack) !== Boolean(options.function))
      throw new Error("--stack and --function go together: the stack file to change and the function whose settings change");
    if (options.apply && !options.stack) throw new Error("--apply needs --stack and --function: the stack file to write, and the function");
    if (!/^\d{1,4}$/.test(options.num!)) throw new Error(`--num must be a whole number of invocations, got ${describeValue(options.num)}`);
    if (options["power-values"] !== undefined && !/^(ALL|\d{3,5}(,\d{3,5})*)$/.test(options["power-values"])) {
      throw new Error(
        `--power-values must be memory sizes in MB separated by commas (128,512,1024) or ALL, got ${describeValue(options["power-values"])}`,
      );
    }
    if (options.payload !== undefined) {
      try {
        JSON.parse(options.payload);
      } catch (error) {
        throw new Error(`--payload must be JSON (quote it for the shell: --payload '{"max": 1000}'): ${(error as Error).message}`);
      }
    }
    // The state machine's own rules on what the flags set, before the stack is read (a bad flag is
    // named even without the Pulumi CLI); the function's ARN is the stack's, checked again below.
    if (!options["from-output"]) parseTuningInput({ lambdaARN: FLAG_CHECK_ARN, ...tuningSettings(options) });
  } catch (error) {
    write(`tune: ${(error as Error).message.replace(/^Invalid input: /, "")}\n${USAGE}\n`);
    return 2;
  }

  let output: any;
  let name = options.function ?? "function";
  try {
    if (options["from-output"]) {
      const text = readFileSync(options["from-output"], "utf8");
      try {
        output = JSON.parse(text);
      } catch (error) {
        throw new Error(`--from-output ${options["from-output"]} is not JSON: ${(error as Error).message}`);
      }
      name = options["from-output"].replace(/.*\//, "").replace(/\.json$/, "");
    } else {
      const outputs = deps.outputs(options.stack!);
      const input = executionInput(options, outputs, options.stack!);
      try {
        parseTuningInput(input); // the state machine's own rules, before an execution is started
      } catch (error) {
        write(`tune: ${(error as Error).message.replace(/^Invalid input: /, "")}\n${USAGE}\n`);
        return 2;
      }
      const stateMachineArn = requiredOutput(outputs, "tuningStateMachineArn", options.stack!);
      const { executionArn } = await deps.sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }));
      write(`Started ${executionArn}\n`);
      output = await waitForOutput(deps, executionArn!, write);
      if (output === undefined) return 1;
    }
    const points = pointsOfOutput(output);
    write(`\n${tableOf(points)}\n\n${recommendationOf(output)}\n`);
    const chart = options.chart ?? `tuning-${name}.svg`;
    // The chart names the function the output is of (its ARN), else what the command was told.
    const tuned = typeof output?.functionArn === "string" ? output.functionArn.split(":")[6] : undefined;
    const recommended = { memoryMb: output.power, series: typeof output.architecture === "string" ? output.architecture : undefined };
    writeFileSync(chart, await chartSvg(points, `Power tuning: ${tuned ?? name}`, recommended));
    write(`Chart written to ${chart}\n`);
    if (options.stack && options.function)
      write(stackFileChange(output, options.stack, options.function, Boolean(options.apply), deps.projectDir ?? join(__dirname, "..")));
    return 0;
  } catch (error) {
    write(`tune: ${(error as Error).message}\n`);
    return 1;
  }
}

/**
 * The recommendation (memory, and the architecture when both were measured) as the change to the function's
 * settings in the stack file: printed, and written with `apply`. Settings already at the recommendation
 * are left as they are; the edited file must still be a valid stack config, or nothing is written.
 */
function stackFileChange(
  output: { power: number; architecture?: unknown },
  stack: string,
  name: string,
  apply: boolean,
  projectDir: string,
): string {
  const file = stackFileOf(stack, projectDir);
  const text = readFileSync(file, "utf8");
  const fn = stackConfigFrom(stackConfigOfText(text, file)).everyFunction.find((candidate) => candidate.name === name);
  if (!fn)
    throw new Error(
      `${file} has no function ${name} to change (a twin takes its settings from its function: use --function ${name.replace(/-(arm64|x86_64)$/, "")})`,
    );
  const settings: Record<string, string | number> = {};
  if (output.power !== fn.memory) settings.memory = output.power;
  if ((output.architecture === "arm64" || output.architecture === "x86_64") && output.architecture !== fn.architecture)
    settings.architecture = output.architecture;
  const shown = file.replace(`${projectDir}/`, "");
  if (Object.keys(settings).length === 0) return `\n${shown} already sets what the tuning recommends for ${name}: nothing to change.\n`;
  const group = `${PROJECT}:${fn.image === "app" ? "functions" : "ownImageFunctions"}`;
  const edited = editFunctionSettings(text, { group, name, settings });
  stackConfigFrom(stackConfigOfText(edited.text, file)); // still a stack the program accepts, or this throws naming the key
  const current: Record<string, unknown> = { memory: fn.memory, architecture: fn.architecture };
  const lines = Object.entries(settings).map(([key, value]) => `  ${group}.${name}.${key}: ${current[key]} -> ${value}`);
  const rollout = fn.live
    ? fn.live.deploymentConfig === ALL_AT_ONCE
      ? "all at once"
      : `through ${fn.live.deploymentConfig}`
    : "on its next invocation";
  const next = apply
    ? `Written to ${shown} (comments and layout kept). pulumi up --stack ${stack} rolls it out ${rollout}.`
    : `Not written: add --apply to write it to ${shown}, then pulumi up --stack ${stack} rolls it out ${rollout}.`;
  if (apply) writeFileSync(file, edited.text);
  return `\nThe stack-file change (${shown}):\n${lines.join("\n")}\n${next}\n`;
}

/** A function ARN of the shape the stack's outputs hold, for checking the flags before they are read. */
const FLAG_CHECK_ARN = "arn:aws:lambda:us-east-1:123456789012:function:flag-check";

/** What the flags set in the execution input: everything but the functions' ARNs. */
function tuningSettings(options: Record<string, any>) {
  const powerValues =
    options["power-values"] === undefined
      ? undefined
      : options["power-values"] === "ALL"
        ? "ALL"
        : String(options["power-values"]).split(",").map(Number);
  return {
    num: Number(options.num),
    ...(options.payload !== undefined && { payload: JSON.parse(options.payload) }),
    strategy: options.strategy,
    includeOutputResults: true,
    ...(powerValues && { powerValues }),
  };
}

/** The execution input for a function of the stack (and its twin), from the stack's outputs. */
function executionInput(options: Record<string, any>, outputs: StackOutputs, stack: string) {
  const fn = Object.hasOwn(outputs.lambdaFunctions ?? {}, options.function) ? outputs.lambdaFunctions[options.function] : undefined;
  if (!fn)
    throw new Error(
      `Stack "${stack}" has no function ${options.function}; it has ${Object.keys(outputs.lambdaFunctions ?? {}).join(", ")}`,
    );
  const common = tuningSettings(options);
  if (!options["compare-architectures"]) return { lambdaARN: fn.arn, ...common };
  if (!fn.twin) {
    throw new Error(
      `${options.function} has no twin on the other architecture: set graviton-platform:functions.${options.function}.compareArchitectures to true and pulumi up`,
    );
  }
  return { lambdaARNs: { [fn.architecture]: fn.arn, [fn.twin.architecture]: fn.twin.arn }, ...common };
}

async function waitForOutput(deps: TuneDependencies, executionArn: string, write: (text: string) => void): Promise<any> {
  const started = Date.now();
  for (let poll = 0; poll < (deps.maxPolls ?? 720); poll++) {
    const execution = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status === "SUCCEEDED") return JSON.parse(execution.output ?? "{}");
    if (execution.status !== "RUNNING") {
      write(`The execution ended ${execution.status}: ${execution.error ?? ""} ${execution.cause ?? ""}\n`);
      return undefined;
    }
    write(`  running, ${Math.round((Date.now() - started) / 1000)} s\n`);
    await sleep(deps.pollIntervalMs ?? 5000);
  }
  write(`Still running; follow it in the Step Functions console: ${executionArn}\n`);
  return undefined;
}

if (require.main === module) runCommand("tune", (argv, write) => main(argv, write, { outputs: readStackOutputs, sfn: new SFNClient({}) }));
