import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { strictObject } from "./settings-schema";

/**
 * What a function with its own image may do, named as presets in the stack file
 * (`ownImageFunctions.<name>.permissions`). Each preset becomes IAM statements scoped to the resources
 * it names, never "*", with a Sid a reviewer can read in the plan.
 */

/** S3's bucket naming rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). */
export const bucketName = z
  .string({ error: "must be a bucket name" })
  .regex(/^(?!xn--|sthree-|amzn-s3-demo-)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
    error: "must be an S3 bucket name: 3 to 63 lowercase letters, digits, . and -",
  });

const prefix = z
  .string({ error: "must be a key prefix" })
  .regex(/^[\w\-./]{1,200}\/$/, { error: 'must be a key prefix ending in "/", e.g. "input/"' })
  .optional()
  .meta({ description: "the key prefix the preset is limited to (ending in /); unset = the whole bucket" });

const functionName = z.string({ error: "must be function names" }).regex(/^[a-z][a-z0-9-]{0,39}$/, { error: "must be function names" });

export const QUEUES = ["jobs", "jobs-dlq"] as const;
/** `https://sqs.<region>.amazonaws.com[.cn]/<account>/<name>`, a queue name being at most 80 characters. */
const QUEUE_URL_MAX_BYTES = 160;

export const permissionPreset = z.discriminatedUnion(
  "preset",
  [
    strictObject({ preset: z.literal("s3-read"), bucket: bucketName, prefix }),
    strictObject({ preset: z.literal("s3-write"), bucket: bucketName, prefix }),
    strictObject({
      preset: z.literal("invoke"),
      functions: z.array(functionName, { error: "must be a list of function names" }).min(1).max(20),
    }),
    strictObject({
      preset: z.literal("sqs-send"),
      queue: z.enum(QUEUES, { error: `must be one of the stack's queues: ${QUEUES.join(", ")}` }),
    }),
    strictObject({
      preset: z.literal("secret-read"),
      secretArn: z
        .string({ error: "must be a secret's ARN" })
        .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]{1,512}$/, {
          error: "must be a Secrets Manager secret's ARN",
        }),
    }),
  ],
  {
    error: "must be a permission preset: s3-read, s3-write (bucket, prefix), invoke (functions), sqs-send (queue), secret-read (secretArn)",
  },
);
export type PermissionPreset = z.output<typeof permissionPreset>;

/** An ARN a preset names: known now (a string), or once AWS assigns it (an Output). */
type Arn = string | pulumi.Output<string>;

/** The ARNs (and names) the presets name, from the stack: its buckets (own or external), functions and queues. */
export interface PresetTargets {
  bucketArn(bucket: string): Arn;
  bucketName(bucket: string): pulumi.Input<string>;
  functionName(name: string): pulumi.Input<string>;
  /** A function's ARNs: the function and its twin. */
  functionArns(name: string): pulumi.Input<string>[];
  queueArn(queue: (typeof QUEUES)[number]): pulumi.Input<string>;
  queueUrl(queue: (typeof QUEUES)[number]): pulumi.Input<string>;
}

/** The targets of a stack's presets, from its buckets (a name it does not own is an external bucket's), functions and queues. */
export function presetTargetsOf(stack: {
  buckets: Record<string, { arn: Arn; bucketName: pulumi.Input<string> }>;
  functions: Record<string, { arns: pulumi.Input<string>[]; functionName: pulumi.Input<string> }>;
  queues: Record<(typeof QUEUES)[number], { arn: pulumi.Input<string>; url: pulumi.Input<string> }>;
}): PresetTargets {
  return {
    bucketArn: (name) => stack.buckets[name]?.arn ?? `arn:aws:s3:::${name}`,
    bucketName: (name) => stack.buckets[name]?.bucketName ?? name,
    functionArns: (name) => stack.functions[name].arns,
    functionName: (name) => stack.functions[name].functionName,
    queueArn: (queue) => stack.queues[queue].arn,
    queueUrl: (queue) => stack.queues[queue].url,
  };
}

/** `map-data` -> `MAP_DATA`: a name as part of an environment variable's. */
const variablePart = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]+/g, "_");

/** A variable the presets set for the function's code: where a resource they name is, and its longest value. */
export interface PresetVariable {
  /**
   * BUCKET_<NAME> (the bucket's real name), FUNCTION_<NAME> (the physical name of a function it may
   * invoke) or QUEUE_<NAME> (the URL of a queue it may send to).
   */
  name: string;
  kind: "bucket" | "function" | "queue";
  /** The bucket or function, as the stack file names it. */
  resource: string;
  /** S3 bucket names have at most 63 characters, function names 64, queue URLs about 140: for Lambda's 4 KB check. */
  maxBytes: number;
}

export function presetVariables(presets: PermissionPreset[]): PresetVariable[] {
  return presets.flatMap((preset): PresetVariable[] =>
    preset.preset === "s3-read" || preset.preset === "s3-write"
      ? [{ name: `BUCKET_${variablePart(preset.bucket)}`, kind: "bucket", resource: preset.bucket, maxBytes: 63 }]
      : preset.preset === "invoke"
        ? preset.functions.map((name) => ({ name: `FUNCTION_${variablePart(name)}`, kind: "function", resource: name, maxBytes: 64 }))
        : preset.preset === "sqs-send"
          ? [{ name: `QUEUE_${variablePart(preset.queue)}`, kind: "queue", resource: preset.queue, maxBytes: QUEUE_URL_MAX_BYTES }]
          : [],
  );
}

/** The presets' variables with their values, for the function's environment. */
export function presetEnvironment(presets: PermissionPreset[], targets: PresetTargets): Record<string, pulumi.Input<string>> {
  return Object.fromEntries(
    presetVariables(presets).map(({ name, kind, resource }) => [
      name,
      kind === "bucket"
        ? targets.bucketName(resource)
        : kind === "function"
          ? targets.functionName(resource)
          : targets.queueUrl(resource as (typeof QUEUES)[number]),
    ]),
  );
}

const sid = (...parts: string[]) => parts.join("-").replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/** `<arn>/<prefix>*`: a plain string when the ARN is one (for the size estimate), else an Output. */
const under = (arn: Arn, prefix = "") => (typeof arn === "string" ? `${arn}/${prefix}*` : arn.apply((value) => `${value}/${prefix}*`));

/** The IAM statements of a function's presets. */
export function presetStatements(presets: PermissionPreset[], targets: PresetTargets): pulumi.Input<object>[] {
  return presets.flatMap((preset, index): pulumi.Input<object>[] => {
    const n = String(index + 1);
    switch (preset.preset) {
      case "s3-read": {
        const arn = targets.bucketArn(preset.bucket);
        return [
          {
            Sid: sid("s3 read", preset.bucket, n),
            Effect: "Allow",
            Action: ["s3:GetObject"],
            Resource: under(arn, preset.prefix),
          },
          {
            Sid: sid("s3 list", preset.bucket, n),
            Effect: "Allow",
            Action: ["s3:ListBucket"],
            Resource: arn,
            ...(preset.prefix && { Condition: { StringLike: { "s3:prefix": [`${preset.prefix}*`] } } }),
          },
        ];
      }
      case "s3-write":
        return [
          {
            Sid: sid("s3 write", preset.bucket, n),
            Effect: "Allow",
            Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
            Resource: under(targets.bucketArn(preset.bucket), preset.prefix),
          },
        ];
      case "invoke":
        return [
          {
            Sid: sid("invoke", n),
            Effect: "Allow",
            Action: ["lambda:InvokeFunction"],
            Resource: preset.functions.flatMap((name) => targets.functionArns(name)),
          },
        ];
      case "sqs-send":
        return [
          { Sid: sid("send", preset.queue, n), Effect: "Allow", Action: ["sqs:SendMessage"], Resource: targets.queueArn(preset.queue) },
        ];
      case "secret-read":
        return [{ Sid: sid("read secret", n), Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: preset.secretArn }];
    }
  });
}

/**
 * IAM allows 10,240 characters (whitespace aside) of inline policies per role
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html); the function's base
 * policy (its logs and X-Ray) takes under 1,000 of them, so its presets get the rest less a margin.
 */
export const PRESETS_POLICY_MAX_CHARACTERS = 8_192;

/** The longest ARNs and names the presets' targets can have: every partition, region and name at its longest. */
const LONGEST = {
  arn: (service: string, resource: string) => `arn:aws-us-gov:${service}:us-gov-west-1:123456789012:${resource}`,
  name: (length: number) => "x".repeat(length),
};
const LONGEST_TARGETS: PresetTargets = {
  bucketArn: () => `arn:aws-us-gov:s3:::${LONGEST.name(63)}`,
  bucketName: () => LONGEST.name(63),
  functionName: () => LONGEST.name(64),
  functionArns: () => [LONGEST.arn("lambda", `function:${LONGEST.name(64)}`), LONGEST.arn("lambda", `function:${LONGEST.name(64)}`)],
  queueArn: () => LONGEST.arn("sqs", LONGEST.name(80)),
  queueUrl: () => `https://sqs.us-gov-west-1.amazonaws.com/123456789012/${LONGEST.name(80)}`,
};

/** The most characters the presets' policy can take, whatever the stack's account, region and names. */
export const presetsPolicyCharacters = (presets: PermissionPreset[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: presetStatements(presets, LONGEST_TARGETS) }).length;
