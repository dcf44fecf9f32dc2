import type { PolicyResource } from "@pulumi/policy";
import { GravitonPolicy, TYPES } from "./definition";

/** The stack's buckets whose name (their id) is known; before deploy an unnamed bucket cannot be matched yet. */
const namedBuckets = (resources: PolicyResource[]) =>
  resources.filter((resource) => resource.type === TYPES.s3Bucket && typeof resource.props.bucket === "string");

/** The resources of `type` that configure `bucket` (by its id, which for S3 is its name). */
const configuring = (resources: PolicyResource[], type: string, bucket: PolicyResource) =>
  resources.filter((resource) => resource.type === type && resource.props.bucket === bucket.props.bucket);

export const s3Policies: GravitonPolicy[] = [
  {
    name: "s3-public-access-blocked",
    description: "Every S3 bucket blocks every kind of public access (AWS Security Hub S3.8; Checkov CKV2_AWS_6).",
    enforcementLevel: "mandatory",
    howToFix: "Create the bucket with the Bucket component (a BucketPublicAccessBlock with all four settings true).",
    validateStack: (args, report) => {
      for (const bucket of namedBuckets(args.resources)) {
        const blocked = configuring(args.resources, TYPES.s3PublicAccessBlock, bucket).some(
          ({ props }) => props.blockPublicAcls && props.blockPublicPolicy && props.ignorePublicAcls && props.restrictPublicBuckets,
        );
        if (!blocked) report(`Bucket ${bucket.props.bucket ?? bucket.name} does not block all public access.`, bucket.urn);
      }
    },
  },
  {
    name: "s3-tls-only",
    description: "Every S3 bucket refuses requests that do not use TLS (AWS Security Hub S3.5).",
    enforcementLevel: "mandatory",
    howToFix: 'Give the bucket a policy that denies s3:* when "aws:SecureTransport" is "false" (the Bucket component does).',
    validateStack: (args, report) => {
      for (const bucket of namedBuckets(args.resources)) {
        const denies = configuring(args.resources, TYPES.s3BucketPolicy, bucket).some(({ props }) => {
          const statements = (typeof props.policy === "string" ? JSON.parse(props.policy) : props.policy)?.Statement ?? [];
          return statements.some(
            (statement: any) => statement.Effect === "Deny" && String(statement.Condition?.Bool?.["aws:SecureTransport"]) === "false",
          );
        });
        if (!denies) report(`Bucket ${bucket.props.bucket ?? bucket.name} accepts requests without TLS.`, bucket.urn);
      }
    },
  },
];
