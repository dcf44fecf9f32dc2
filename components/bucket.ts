import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { settingsFrom } from "./settings-schema";
import { bucketSettings } from "./bucket-settings";

/**
 * An S3 bucket for a function's data: encrypted with KMS (S3 Bucket Keys, so not every object costs a KMS
 * call), every kind of public access blocked, ACLs off (the bucket owner owns every object), TLS-only
 * access, and a lifecycle rule that deletes the intermediate objects and the incomplete multipart uploads.
 */
export class Bucket extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  /** The underlying resources, for a fork to read or extend (see "Changing a component" in docs/extending.md). */
  readonly nodes: { bucket: aws.s3.Bucket };

  constructor(name: string, args: z.input<typeof bucketSettings> = {}, opts?: pulumi.ComponentResourceOptions) {
    super("graviton:storage:Bucket", name, {}, opts);
    const settings = settingsFrom(bucketSettings, args);
    const parent = { parent: this };
    const bucket = new aws.s3.Bucket(name, { forceDestroy: settings.forceDestroy }, parent);
    new aws.s3.BucketServerSideEncryptionConfiguration(
      name,
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }] },
      parent,
    );
    new aws.s3.BucketPublicAccessBlock(
      name,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      parent,
    );
    new aws.s3.BucketOwnershipControls(name, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, parent);
    new aws.s3.BucketPolicy(
      name,
      {
        bucket: bucket.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        }),
      },
      parent,
    );
    new aws.s3.BucketLifecycleConfiguration(
      name,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-intermediate",
            status: "Enabled",
            filter: { prefix: settings.intermediatePrefix },
            expiration: { days: settings.intermediateExpirationDays },
          },
          { id: "abort-incomplete-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } },
        ],
      },
      parent,
    );
    this.bucketName = bucket.bucket;
    this.arn = bucket.arn;
    this.nodes = { bucket };
    this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
  }
}
