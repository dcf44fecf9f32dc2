// What power tuning's task function may do to the functions it tunes, and so how many one stack can tune
// at IAM's limits: no Pulumi here (the component hands in the ARNs), so the config checks the count
// without loading the engine.
import { AWS_LIMITS, iamPolicyCharacters } from "./aws-limits";

/**
 * What the task function may do to tuned functions: configure, version and alias them; invoke and delete
 * only versions (`versionArns`: each ARN with `:*`).
 */
export function tunePolicyDocument<Arn>(arns: Arn[], versionArns: Arn[]) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ConfigureVersionAndAlias",
        Effect: "Allow",
        Action: [
          "lambda:GetFunction",
          "lambda:GetFunctionConfiguration",
          "lambda:UpdateFunctionConfiguration",
          "lambda:PublishVersion",
          "lambda:ListAliases",
          "lambda:ListVersionsByFunction",
          "lambda:CreateAlias",
          "lambda:UpdateAlias",
          "lambda:DeleteAlias",
        ],
        Resource: arns,
      },
      // Qualified ARNs only: versions and aliases, never the function itself.
      {
        Sid: "InvokeAndDeleteTheVersionsItMade",
        Effect: "Allow",
        Action: ["lambda:InvokeFunction", "lambda:DeleteFunction"],
        Resource: versionArns,
      },
    ],
  };
}

/**
 * The longest a function ARN can be, whatever the Region, partition or name: `arn:aws-us-gov:lambda:`,
 * a Region of up to 20 characters (the longest today has 15), `:<account>:function:` and Lambda's
 * 64-character name. Counting every ARN at this length keeps each policy within IAM's 6,144 characters.
 */
const LONGEST_FUNCTION_ARN = "arn:aws-us-gov:lambda:".length + 20 + ":123456789012:function:".length + 64;
/** Tuned function ARNs one managed policy holds: each is named twice, `"<arn>",` and `"<arn>:*",`. */
export const TUNED_ARNS_PER_POLICY = Math.floor(
  (AWS_LIMITS.iamManagedPolicyCharacters.max - iamPolicyCharacters(JSON.stringify(tunePolicyDocument([], [])))) /
    (2 * LONGEST_FUNCTION_ARN + 8),
);
/** The most functions (twins included) one stack can tune, at IAM's managed policies per role. */
export const MAX_TUNED_ARNS = TUNED_ARNS_PER_POLICY * AWS_LIMITS.iamManagedPoliciesPerRole.max;
