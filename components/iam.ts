import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** A trust policy that lets exactly one AWS service (e.g. "lambda.amazonaws.com") assume the role. */
export function trustedService(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

/** An inline policy of `role` made of `statements` (each with a Sid a reviewer can read in the plan). */
export function rolePolicy(
  name: string,
  role: aws.iam.Role,
  statements: pulumi.Input<object>[],
  opts: pulumi.CustomResourceOptions,
): aws.iam.RolePolicy {
  return new aws.iam.RolePolicy(
    name,
    { role: role.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }) },
    opts,
  );
}

/** An IAM role one AWS service assumes, with its one inline policy: `name` for the role and the policy. */
export function serviceRole(
  name: string,
  service: string,
  statements: pulumi.Input<object>[],
  opts: pulumi.CustomResourceOptions,
): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
  const role = new aws.iam.Role(name, { assumeRolePolicy: trustedService(service) }, opts);
  return { role, policy: rolePolicy(name, role, statements, opts) };
}
