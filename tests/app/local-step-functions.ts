import { StateMachine } from "aws-local-stepfunctions";

// aws-local-stepfunctions uses Promise.withResolvers (Node 22); these machines run Node 20.
const promiseWithResolvers = Promise as unknown as { withResolvers?: () => unknown };
promiseWithResolvers.withResolvers ??= () => {
  let resolve!: (value: unknown) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise((done, fail) => ((resolve = done), (reject = fail)));
  return { promise, resolve, reject };
};

export type Outcome = { path: string[]; maxStateBytes: number } & (
  { status: "SUCCEEDED"; output: any } | { status: "FAILED"; error: string; cause: string }
);

/** Every Task state of a definition, Map iterations' included. */
function taskStates(definition: any): string[] {
  return Object.entries<any>(definition.States).flatMap(([name, state]) => [
    ...(state.Type === "Task" ? [name] : []),
    ...(state.ItemProcessor ? taskStates(state.ItemProcessor) : []),
  ]);
}

/**
 * Runs an Amazon States Language definition unchanged on aws-local-stepfunctions (a maintained
 * interpreter with Step Functions' Retry, Catch, ResultPath and Map semantics), every Task handled by
 * `runTask` with its effective input, as Lambda would receive it (JSON). Reports the states passed, the
 * outcome, and the largest state input or output in UTF-8 bytes, to hold against the 256 KiB limit.
 */
export async function runDefinition(
  definition: object,
  input: unknown,
  runTask: (parameters: unknown) => Promise<unknown>,
): Promise<Outcome> {
  const tasks = taskStates(definition);
  const run = (parameters: unknown) =>
    runTask(JSON.parse(JSON.stringify(parameters))).then((result) => JSON.parse(JSON.stringify(result ?? null)));
  const execution = new StateMachine(definition as never).run(input as never, {
    overrides: {
      taskResourceLocalHandlers: Object.fromEntries(tasks.map((name) => [name, run])),
      retryIntervalOverrides: Object.fromEntries(tasks.map((name) => [name, 0])),
    },
  });
  const path: string[] = [];
  let maxStateBytes = 0;
  let failure: { error: string; cause: string } | undefined;
  const measure = (value: unknown) => (maxStateBytes = Math.max(maxStateBytes, Buffer.byteLength(JSON.stringify(value ?? null))));
  const logs = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === "StateEntered") {
        path.push(event.state.name);
        measure(event.state.input);
      } else if (event.type === "StateExited") measure(event.state.output);
      else if (event.type === "ExecutionFailed") failure = { error: event.Error, cause: String(event.Cause) };
    }
  })();
  let output: unknown;
  try {
    output = await execution.result;
  } catch {
    // the ExecutionFailed event says why
  }
  await logs;
  measure(output);
  return failure ? { status: "FAILED", ...failure, path, maxStateBytes } : { status: "SUCCEEDED", output, path, maxStateBytes };
}
