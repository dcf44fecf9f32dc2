import { PROJECT } from "./project";
import { z } from "zod";
import { describeValue } from "../app/core/describe-value";

/** The stack configuration is wrong; the message lists every problem with the key, the value and what is allowed. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (value, key) => (value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined),
    input,
  );
}

export function describeIssue(input: unknown, issue: z.core.$ZodIssue): string {
  const key = [PROJECT, ...issue.path.map(String)].join(".").replace(".", ":");
  if (issue.code === "unrecognized_keys") return `${key} ${issue.message}`;
  const value = valueAt(input, issue.path);
  return `${key} ${issue.message}, got ${describeValue(value)}`;
}
