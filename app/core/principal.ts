import { unstorableText } from "./job-bounds";

/** The longest principal (a token's `sub`) a job may be owned by: the `jobs.owner` column's bound. */
export const MAX_PRINCIPAL_LENGTH = 256;

/**
 * Why `sub` cannot own jobs, or undefined when it can: a non-blank string of at most 256 characters with
 * no control characters and nothing PostgreSQL cannot store. Checked where a principal enters (the
 * authorizer, GET /jobs, the worker), so a hostile issuer's claim never reaches a statement.
 */
export function principalProblem(sub: unknown): string | undefined {
  if (typeof sub !== "string") return `must be a string, got ${sub === null ? "null" : typeof sub}`;
  if (sub.trim() === "") return "must not be empty or blank";
  if (sub.length > MAX_PRINCIPAL_LENGTH) return `must be at most ${MAX_PRINCIPAL_LENGTH} characters, got ${sub.length}`;
  if (/[\u0000-\u001f\u007f]/.test(sub)) return "must not hold control characters";
  if (unstorableText(sub)) return "must be valid Unicode (no unpaired surrogates)";
  return undefined;
}
