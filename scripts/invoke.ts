// npm run invoke -- <function> [--payload JSON | --event FILE] [--local [--env NAME=VALUE ...] | --stack NAME [--qualifier Q]]
// Invokes one function with an event (by default its sample, app/events/<function>.json) and prints the
// response, its logs and the REPORT line (init, duration, billed duration, memory):
//   --local   the function's bundle (or, for a function with its own Node.js image, its handler's module)
//             in a Lambda-like environment on this machine (dev/lambda/local-lambda.ts), like `sam local invoke`;
//             with `npm run dev` running, in the environment it gives that function there (its database,
//             issuer, WebSocket API, S3 buckets and the functions it may invoke), plus any --env;
//   --stack   the deployed function (Invoke with LogType: Tail), like seed 003's aws_actions.py: through its
//             live alias, as its callers invoke it, unless --qualifier names another alias or a version
//             (during a rollout the alias answers from either version: the output says which ran).
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AppFunctionName, appFunctions, LIVE_ALIAS } from "../app/functions";
import { parseReport } from "../app/tuning/report-line";
import { buildBundles, bundleOf } from "../dev/lambda/bundles";
import { DEFAULT_STATE_DIR, localEndpoints } from "../dev/local-endpoints";
import { LocalLambda } from "../dev/lambda/local-lambda";
import { metricsNamespace, telemetryEnvironment } from "../components/lambda-environment";
import { PROJECT, stackConfigFrom, type OwnImageFunctionConfig, readStackConfig, checkStackName } from "../config";
import { localHandlerOf } from "../dev/lambda/own-image-handler";
import { sampleEventPath } from "../components/function-settings";
import { runCommand } from "./run-command";
import { readStackOutputs, requiredOutput, StackOutputs } from "./stack-outputs";
import { COMMANDS, parseCommandLine } from "./command-line";

const USAGE = COMMANDS["invoke"].usage;

export interface InvokeDependencies {
  outputs(stack: string): StackOutputs;
  lambda: LambdaClient;
  /** Builds the bundles into LOCAL_DIST. @default app/build.mjs */
  build?: () => void;
  /** Each function's environment on the running local platform, if one runs. @default .dev/endpoints.json */
  localEnvironments?: () => Record<string, Record<string, string>> | undefined;
  /** A stack's functions with their own image, from its stack file. @default Pulumi.<stack>.yaml */
  ownFunctions?: (stack: string) => OwnImageFunctionConfig[];
}

export async function main(argv: string[], write: (text: string) => void, deps: InvokeDependencies): Promise<number> {
  let options;
  let name: string;
  let event: unknown;
  let own: OwnImageFunctionConfig | undefined;
  let handler: ReturnType<typeof localHandlerOf> | undefined;
  try {
    const parsed = parseCommandLine("invoke", argv);
    options = parsed.values;
    if (parsed.positionals.length !== 1) throw new Error("name one function");
    name = parsed.positionals[0];
    const base = name.replace(/-(arm64|x86_64)$/, "");
    if (Boolean(options.local) === Boolean(options.stack)) throw new Error("give --local or --stack NAME");
    // On a stack, any function it exports; locally, the app's bundles and the functions with their own Node.js image.
    const isApp = Object.hasOwn(appFunctions, base);
    if (options.stack) checkStackName(options.stack, { qualified: true });
    // Locally, the stack npm run dev runs (by default dev); on a stack, its own stack file, when the repository has one.
    const stack = options.stack?.split("/").at(-1) ?? localEndpoints.runningIn(DEFAULT_STATE_DIR)?.stack ?? "dev";
    const ownFunctions = isApp ? [] : (deps.ownFunctions ?? stackOwnFunctions)(stack);
    own = ownFunctions.find((fn) => fn.name === name);
    if (!isApp && !own && (options.local || !/^[a-z][a-z0-9-]{0,60}$/.test(name)))
      throw new Error(
        `there is no function "${name.slice(0, 80)}"${options.local ? " to run locally" : ""}; the functions are ${[...Object.keys(appFunctions), ...ownFunctions.map((fn) => fn.name)].join(", ")} (and twins, <function>-<architecture>, on a stack${options.local ? "" : ", and the stack's ownImageFunctions"})`,
      );
    handler = options.local && own ? localHandlerOf(own) : undefined;
    if (handler && "runsOnAStackOnly" in handler) throw new Error(`${name} runs on a stack only: ${handler.runsOnAStackOnly}`);
    const sampleFile = isApp || own ? sampleEventPath({ name: base, context: own?.context }) : undefined;
    const sample = sampleFile && existsSync(sampleFile) ? sampleFile : undefined;
    if (!sample && options.payload === undefined && options.event === undefined)
      throw new Error(
        `${name} has no sample event (app/events/<function>.json, or event.json in its build context): give --payload JSON or --event FILE`,
      );
    if (options.local && base !== name)
      throw new Error("a twin exists on a stack only; --local runs the function's bundle, which is the same for both architectures");
    if (options.payload !== undefined && options.event !== undefined) throw new Error("give --payload or --event, not both");
    if (options.qualifier !== undefined) {
      if (options.local) throw new Error("--qualifier is for a stack (--stack): locally there is one version, the bundle");
      if (!/^(\$LATEST|[A-Za-z0-9_-]{1,128})$/.test(options.qualifier))
        throw new Error(
          `--qualifier must be an alias or a version number (or $LATEST), got ${JSON.stringify(options.qualifier.slice(0, 80))}`,
        );
    }
    const text = options.payload ?? readFileSync(options.event ?? sample!, "utf8");
    try {
      event = JSON.parse(text);
    } catch (error) {
      throw new Error(`the event is not JSON: ${(error as Error).message}`);
    }
    for (const pair of options.env ?? [])
      if (!/^[A-Za-z][A-Za-z0-9_]*=/.test(pair)) throw new Error(`--env takes NAME=VALUE, got ${JSON.stringify(pair.slice(0, 80))}`);
  } catch (error) {
    write(`invoke: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }

  try {
    if (options.local) {
      const app = own ? undefined : appFunctions[name as AppFunctionName];
      if (app) (deps.build ?? buildBundles)();
      const { bundle, exportName } = app ? bundleOf(app.handler) : (handler as { bundle: string; exportName: string });
      const size = app ?? own!;
      if (!existsSync(bundle)) throw new Error(`no bundle ${bundle} after the build`);
      const platform = (deps.localEnvironments ?? runningPlatformEnvironments)();

      // What the stack sets on every function (the running platform's, when there is one), then --env.
      const environment = {
        ...telemetryEnvironment(name, metricsNamespace(PROJECT, "local")),
        ...platform?.[name],
        ...Object.fromEntries(
          ((options.env ?? []) as string[]).map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
        ),
      };
      const lambda = new LocalLambda({ name, bundle, exportName, memoryMb: size.memory, timeoutSeconds: size.timeout, environment });
      try {
        const invocation = await lambda.invoke(event);
        write(
          `${JSON.stringify(invocation.ok ? invocation.result : invocation.error, null, 2)}\n\n${invocation.logs}${invocation.report}\n`,
        );
        const needsPlatform = app
          ? "database" in app || "verifiesTokens" in app || "notifiesConnections" in app
          : own!.permissions.length > 0;
        if (!platform && needsPlatform)
          write("(npm run dev is not running, so this function got only the --env variables, none of its stack's)\n");
        return invocation.ok ? 0 : 1;
      } finally {
        lambda.stop();
      }
    }
    const outputs = deps.outputs(options.stack!);
    const base = name.replace(/-(arm64|x86_64)$/, "");
    const exported = Object.hasOwn(outputs.lambdaFunctions ?? {}, base) ? outputs.lambdaFunctions[base] : undefined;
    const physical =
      base === name
        ? exported?.name
        : exported?.twin?.architecture && name.endsWith(exported.twin.architecture)
          ? exported.twin.name
          : undefined;
    const functionName = physical ?? requiredOutput(outputs, `lambdaFunctions.${name}.name`, options.stack!);
    // As its callers invoke it: through the live alias, when the function serves traffic (a twin has none).
    const qualifier = options.qualifier ?? (base === name && exported?.liveAlias ? LIVE_ALIAS : undefined);
    const response = await deps.lambda.send(
      new InvokeCommand({ FunctionName: functionName, Qualifier: qualifier, Payload: Buffer.from(JSON.stringify(event)), LogType: "Tail" }),
    );
    write(`${functionName}${qualifier ? `:${qualifier}` : ""} ran version ${response.ExecutedVersion ?? "(unknown)"}\n`);
    const logTail = Buffer.from(response.LogResult ?? "", "base64").toString("utf8");
    const report = parseReport(logTail);
    write(`${Buffer.from(response.Payload ?? new Uint8Array()).toString("utf8")}\n\n${logTail}\n`);
    if (report) {
      write(
        `Duration ${report.durationMs} ms, billed ${report.billedDurationMs} ms, ${report.maxMemoryUsedMb} of ${report.memorySizeMb} MB` +
          `${report.initDurationMs === undefined ? " (warm)" : `, init ${report.initDurationMs} ms (cold)`}\n`,
      );
    }
    return response.FunctionError ? 1 : 0;
  } catch (error) {
    write(`invoke: ${(error as Error).message}\n`);
    return 1;
  }
}

const runningPlatformEnvironments = () => localEndpoints.runningIn(DEFAULT_STATE_DIR)?.functions;
const stackOwnFunctions = (stack: string) =>
  existsSync(join(__dirname, "..", `Pulumi.${stack}.yaml`))
    ? stackConfigFrom(readStackConfig(stack, join(__dirname, ".."))).ownImageFunctions
    : [];

if (require.main === module) {
  runCommand("invoke", (argv, write) => main(argv, write, { outputs: readStackOutputs, lambda: new LambdaClient({}) }));
}
