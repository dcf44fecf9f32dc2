// npm run stacks [-- --json]
// The project's stacks: one per Pulumi.<stack>.yaml beside Pulumi.yaml. Tests, `npm run plan` and CI's
// plan matrix all read this list, so adding a stack is adding its file.
import { readdirSync } from "node:fs";
import { runCommand } from "./run-command";
import { parseCommandLine } from "./command-line";

/** A Pulumi stack name: letters, digits, `-`, `_` and `.`, at most 100; with `qualified`, also `org/name` or `org/project/name`. */
const STACK_NAME = /^(?!\.)[A-Za-z0-9_.-]{1,100}$/;

/** Refuses a stack name Pulumi would refuse (and one like `../x` that would name a file elsewhere), saying why. */
export function checkStackName(name: string, options: { qualified?: boolean } = {}): string {
  const parts = name.split("/");
  if (parts.length > (options.qualified ? 3 : 1) || !parts.every((part) => STACK_NAME.test(part))) {
    throw new Error(
      `${JSON.stringify(name.slice(0, 120))} is not a stack name: letters, digits, -, _ and . (at most 100, not starting with .)${options.qualified ? ", optionally as org/name or org/project/name" : ""}`,
    );
  }
  return name;
}

/** The stacks of the project in `projectDir`, from its Pulumi.<stack>.yaml files, sorted. */
export function listStacks(projectDir = "."): string[] {
  return readdirSync(projectDir)
    .flatMap((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1] ?? [])
    .sort();
}

/** The policy configuration a stack is planned and previewed with: production stacks (`prod`, `prod-eu`, `eu-prod`) are held to policy/strict.json. */
export function policyConfigFor(stack: string): string | undefined {
  return /(^|[-_.])prod($|[-_.])/.test(stack) ? "policy/strict.json" : undefined;
}

if (require.main === module) {
  runCommand("stacks", async (argv, write) => {
    const { json } = parseCommandLine("stacks", argv).values;
    // For CI's matrices: the flag for npm run plan, and the file for pulumi preview.
    const stacks = listStacks().map((stack) => {
      const file = policyConfigFor(stack) ?? "";
      return { stack, "policy-config": file && `--policy-config ${file}`, "policy-file": file };
    });
    write(
      json ? `${JSON.stringify(stacks)}\n` : `${stacks.map((entry) => `${entry.stack} ${entry["policy-config"]}`.trim()).join("\n")}\n`,
    );
    return 0;
  });
}
