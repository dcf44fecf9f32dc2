// npm run stacks [-- --json]
// The project's stacks: one per Pulumi.<stack>.yaml beside Pulumi.yaml. Tests, `npm run plan` and CI's
// plan matrix all read this list, so adding a stack is adding its file.
import { readdirSync } from "node:fs";
import { runCommand } from "./run-command";

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
  runCommand(async (argv, write) => {
    // For CI's matrices: the flag for npm run plan, and the file for pulumi preview.
    const stacks = listStacks().map((stack) => {
      const file = policyConfigFor(stack) ?? "";
      return { stack, "policy-config": file && `--policy-config ${file}`, "policy-file": file };
    });
    write(
      argv.includes("--json")
        ? `${JSON.stringify(stacks)}\n`
        : `${stacks.map((entry) => `${entry.stack} ${entry["policy-config"]}`.trim()).join("\n")}\n`,
    );
    return 0;
  });
}
