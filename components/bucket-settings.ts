// The Bucket component's settings (`graviton-platform:buckets.<name>`): no Pulumi here, so the config
// reads them without loading the engine.
import { z } from "zod";
import { flag, strictObject, wholeNumber } from "./settings-schema";

/** A bucket functions' presets may name (`graviton-platform:buckets.<name>`): one the stack owns, or an external one. */
export const bucketSettings = strictObject({
  external: flag()
    .default(false)
    .meta({ description: "the stack does not own it: `<name>` is the real bucket name, and its owner must allow the access too" }),
  intermediatePrefix: z
    .string({ error: "must be a key prefix" })
    .regex(/^[\w\-./]{1,200}\/$/, { error: 'must be a key prefix ending in "/", e.g. "intermediate/"' })
    .default("intermediate/")
    .meta({ description: "the key prefix of short-lived objects (a job's intermediate output)" }),
  intermediateExpirationDays: wholeNumber(1, 365, " (days)")
    .default(7)
    .meta({ description: "days after which objects under `intermediatePrefix` are deleted" }),
  forceDestroy: flag().default(false).meta({ description: "let `pulumi destroy` delete the bucket with its objects" }),
});
