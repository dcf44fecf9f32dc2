import type { PolicyResource } from "@pulumi/policy";
import { GravitonPolicy, TYPES } from "./definition";
import { statementsOf } from "./iam-document";

/**
 * The stack's buckets that no resource of `type` configures as `satisfies` asks (matched by the bucket's
 * id, which for S3 is its name). A bucket whose name is not known before deploy is left to the deploy.
 */
function bucketsWithout(resources: PolicyResource[], type: string, satisfies: (props: Record<string, any>) => boolean): PolicyResource[] {
  return resources.filter(
    (bucket) =>
      bucket.type === TYPES.s3Bucket &&
      typeof bucket.props.bucket === "string" &&
      !resources.some((resource) => resource.type === type && resource.props.bucket === bucket.props.bucket && satisfies(resource.props)),
  );
}

export const s3Policies: GravitonPolicy[] = [
  {
    name: "s3-public-access-blocked",
    description: "Every S3 bucket blocks every kind of public access (AWS Security Hub S3.8; Checkov CKV2_AWS_6).",
    enforcementLevel: "mandatory",
    howToFix: "Create the bucket with the Bucket component (a BucketPublicAccessBlock with all four settings true).",
    validateStack: (args, report) => {
      const allBlocked = (props: Record<string, any>) =>
        props.blockPublicAcls && props.blockPublicPolicy && props.ignorePublicAcls && props.restrictPublicBuckets;
      for (const bucket of bucketsWithout(args.resources, TYPES.s3PublicAccessBlock, allBlocked))
        report(`Bucket ${bucket.props.bucket} does not block all public access.`, bucket.urn);
    },
  },
  {
    name: "s3-tls-only",
    description: "Every S3 bucket refuses requests that do not use TLS (AWS Security Hub S3.5).",
    enforcementLevel: "mandatory",
    howToFix: 'Give the bucket a policy that denies s3:* when "aws:SecureTransport" is "false" (the Bucket component does).',
    validateStack: (args, report) => {
      const deniesPlainHttp = (props: Record<string, any>) =>
        statementsOf(props.policy).some(
          (statement) => statement.effect === "Deny" && String(statement.conditions.Bool?.["aws:SecureTransport"]) === "false",
        );
      for (const bucket of bucketsWithout(args.resources, TYPES.s3BucketPolicy, deniesPlainHttp))
        report(`Bucket ${bucket.props.bucket} accepts requests without TLS.`, bucket.urn);
    },
  },
];
