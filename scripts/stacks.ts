// npm run stacks [-- --json]
// The project's stacks: one per Pulumi.<stack>.yaml beside Pulumi.yaml. Tests, `npm run plan` and CI's
// plan matrix all read this list, so adding a stack is adding its file.
import { listStacks, policyConfigFor } from "../config/stack-files";
import { runCommand } from "./run-command";
import { parseCommandLine } from "./command-line";

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
