import { execFileSync } from "node:child_process";
import { checkStackName } from "../config/stack-files";

/** A deployed stack's outputs (index.ts's exports), read the way operators read them: with the Pulumi CLI. */
export type StackOutputs = Record<string, any>;

export function readStackOutputs(stack: string): StackOutputs {
  checkStackName(stack, { qualified: true });
  try {
    return JSON.parse(
      execFileSync("pulumi", ["stack", "output", "--json", "--stack", stack], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
    );
  } catch (error) {
    const detail =
      (error as { code?: string; stderr?: string }).code === "ENOENT"
        ? "the Pulumi CLI is not installed"
        : String((error as { stderr?: string }).stderr ?? error).trim();
    throw new Error(
      `Could not read the outputs of stack "${stack}" (${detail}). This command works on a deployed stack: pulumi up --stack ${stack} first.`,
    );
  }
}

/** The output at `path` (e.g. "jobs.deadLetterQueueUrl"), or an error naming it. */
export function requiredOutput(outputs: StackOutputs, path: string, stack: string): string {
  const value = path.split(".").reduce<any>((node, key) => node?.[key], outputs);
  if (typeof value !== "string" || value === "") {
    throw new Error(
      `Stack "${stack}" has no output ${path}; was it deployed from this version of the program? (pulumi up --stack ${stack})`,
    );
  }
  return value;
}
