import * as pulumi from "@pulumi/pulumi";

/**
 * `<project>-<stack>`, then `parts` joined with `separator`: the prefix of every name this stack gives
 * explicitly (log groups, the RDS identifier), so two stacks of the project never collide.
 */
export function stackScopedName(parts: string[], separator = "-"): string {
  return [`${pulumi.getProject()}-${pulumi.getStack()}`, ...parts].join(separator);
}
