/**
 * Runs an Amazon States Language definition locally, for the subset the power-tuning state machine
 * uses (Task with a Lambda resource, Map, Choice with BooleanEquals, Succeed, Fail; Parameters,
 * ItemSelector, ResultPath, OutputPath, Retry-free Catch on States.ALL, CausePath), so tests check the
 * definition's data flow, not only its shape. Task errors become {Error, Cause} as Step Functions makes
 * them for Lambda: Error is the error's name, Cause a JSON string of errorType and errorMessage.
 */
export type TaskRunner = (resource: string, input: unknown) => Promise<unknown>;

export type Outcome = { status: "SUCCEEDED"; output: unknown; path: string[] } | { status: "FAILED"; error: string; cause: string; path: string[] };

const read = (path: string, data: unknown, context: unknown): unknown => {
  const [root, ...keys] = path.split(".");
  const start = root === "$$" ? context : data;
  return keys.reduce<any>((node, key) => node?.[key], start);
};

const write = (path: string | null | undefined, data: any, value: unknown): unknown => {
  if (path === undefined || path === "$") return value;
  if (path === null) return data;
  const keys = path.split(".").slice(1);
  const copy = structuredClone(data ?? {});
  let node = copy;
  for (const key of keys.slice(0, -1)) node = node[key] ??= {};
  node[keys[keys.length - 1]] = value;
  return copy;
};

const select = (template: Record<string, unknown>, data: unknown, context: unknown): Record<string, unknown> =>
  Object.fromEntries(Object.entries(template).map(([key, value]) => (key.endsWith(".$") ? [key.slice(0, -2), read(value as string, data, context)] : [key, value])));

export async function runStateMachine(definition: any, input: unknown, runTask: TaskRunner, context: unknown = {}): Promise<Outcome> {
  const path: string[] = [];
  let name: string = definition.StartAt;
  let data: unknown = input;
  for (let step = 0; step < 1000; step++) {
    const state = definition.States[name];
    path.push(name);
    try {
      switch (state.Type) {
        case "Succeed":
          return { status: "SUCCEEDED", output: state.OutputPath ? read(state.OutputPath, data, context) : data, path };
        case "Fail":
          return { status: "FAILED", error: state.Error, cause: String(state.CausePath ? read(state.CausePath, data, context) : state.Cause), path };
        case "Choice": {
          const match = state.Choices.find((choice: any) => read(choice.Variable, data, context) === choice.BooleanEquals);
          name = match ? match.Next : state.Default;
          continue;
        }
        case "Task": {
          const result = await runTask(state.Resource, state.Parameters ? select(state.Parameters, data, context) : data);
          data = write(state.ResultPath, data, result);
          break;
        }
        case "Map": {
          const items = read(state.ItemsPath, data, context) as unknown[];
          const results = await Promise.all(
            items.map(async (item, index) => {
              const itemInput = select(state.ItemSelector, data, { Map: { Item: { Value: item, Index: index } } });
              const outcome = await runStateMachine(state.ItemProcessor, itemInput, runTask);
              if (outcome.status === "FAILED") throw Object.assign(new Error(outcome.cause), { name: outcome.error });
              return outcome.output;
            }),
          );
          data = write(state.ResultPath, data, results);
          break;
        }
        default:
          throw new Error(`runStateMachine does not support ${state.Type}`);
      }
      if (state.End) return { status: "SUCCEEDED", output: data, path };
      name = state.Next;
    } catch (error) {
      const handler = state.Catch?.find((candidate: any) => candidate.ErrorEquals.includes("States.ALL"));
      const failure = { Error: (error as Error).name, Cause: JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message }) };
      if (!handler) return { status: "FAILED", error: failure.Error, cause: failure.Cause, path };
      data = write(handler.ResultPath, data, failure);
      name = handler.Next;
    }
  }
  throw new Error("runStateMachine: more than 1000 transitions");
}
