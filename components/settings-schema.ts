import { z } from "zod";

/**
 * The building blocks of the settings schemas. Each component owns the schema of its settings (beside
 * it, in its file): its args type, its defaults and its validation come from that schema, config/schema.ts
 * composes them into the stack's config, and the configuration reference (docs/configuration.md) is generated from it
 * (`npm run docs:config`). A field's `.meta({ description })` is its documentation everywhere.
 */

export const ARCHITECTURES = ["arm64", "x86_64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export function otherArchitecture(architecture: Architecture): Architecture {
  return architecture === "arm64" ? "x86_64" : "arm64";
}

/** The architectures a function runs on: its own, and the other one for its twin. */
export const architecturesOf = (fn: { architecture: Architecture; compareArchitectures: boolean }): Architecture[] =>
  fn.compareArchitectures ? [fn.architecture, otherArchitecture(fn.architecture)] : [fn.architecture];

export const architecture = z.enum(ARCHITECTURES, { error: 'must be "arm64" or "x86_64"' });

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const logRetention = z
  .literal(LOG_RETENTION_DAYS, { error: `must be one of CloudWatch's retention periods: ${LOG_RETENTION_DAYS.join(", ")}` })
  .default(14)
  .meta({ description: "days function, API, database and state machine logs are kept; a CloudWatch retention period" });

export const wholeNumber = (min: number, max: number, unit = "") =>
  z
    .int({ error: `must be a whole number from ${min} to ${max}${unit}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}${unit}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}${unit}` });

export const flag = () => z.boolean({ error: "must be true or false" });

/** A strict object: an unknown key is an error that lists the keys that are allowed. */
export const strictObject = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `has unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((key) => `"${key}"`).join(", ")}; allowed: ${Object.keys(shape).join(", ")}`
        : issue.code === "invalid_type"
          ? "must be an object (a YAML map)"
          : undefined,
  });

/** Route throttling of an API stage (HTTP and WebSocket alike). */
export const throttlingSettings = strictObject({
  burstLimit: wholeNumber(0, 5000)
    .default(100)
    .meta({ description: "default route burst limit (requests) of the HTTP API and the WebSocket API" }),
  rateLimit: wholeNumber(0, 10000)
    .default(50)
    .meta({ description: "default route steady rate (requests/s) of the HTTP API and the WebSocket API" }),
});
export type ThrottlingSettings = z.output<typeof throttlingSettings>;

/**
 * A component's settings from its args: the keys its schema owns, validated, with the schema's defaults
 * applied. The one place a component's defaults come from.
 */
export function settingsFrom<Schema extends z.ZodObject>(schema: Schema, args: object): z.output<Schema> {
  const own = Object.fromEntries(Object.entries(args).filter(([key, value]) => key in schema.shape && value !== undefined));
  return schema.parse(own);
}
