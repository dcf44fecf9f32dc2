/**
 * The part of IAM policy evaluation the local services need: does a function's own policy (the
 * statements its permission presets become, exactly as the stack deploys them) allow an action on a
 * resource? Only Allow statements exist, so anything not allowed is denied, as in AWS
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 * Supported: Action and Resource as a string or list, with * and ? wildcards; Condition StringLike.
 */
export interface LocalStatement {
  Effect: "Allow";
  Action: string | string[];
  Resource: string | string[];
  Condition?: { StringLike?: Record<string, string[]> };
}

const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** IAM's wildcard match: * any run of characters, ? one character, the rest literal; case-sensitive. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "s").test(value);
}

/** True when a statement allows `action` on `resource`, given the request's condition keys (e.g. s3:prefix). */
export function allows(statements: LocalStatement[], action: string, resource: string, context: Record<string, string> = {}): boolean {
  return statements.some(
    (statement) =>
      statement.Effect === "Allow" &&
      list(statement.Action).some((pattern) => wildcardMatch(pattern.toLowerCase(), action.toLowerCase())) &&
      list(statement.Resource).some((pattern) => wildcardMatch(pattern, resource)) &&
      Object.entries(statement.Condition?.StringLike ?? {}).every(
        ([key, patterns]) => context[key] !== undefined && patterns.some((pattern) => wildcardMatch(pattern, context[key])),
      ),
  );
}
