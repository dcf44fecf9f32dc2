import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

/** A CrossGuard policy of this pack, plus the fix the offline plan prints beside each violation. */
export type GravitonPolicy = (ResourceValidationPolicy | StackValidationPolicy) & {
  /** What to change so the violation goes away. */
  howToFix: string;
};

/** The props of a resource of `type`, or undefined for any other type. */
export function propsOf(args: { type: string; props: Record<string, any> }, type: string): Record<string, any> | undefined {
  return args.type === type ? args.props : undefined;
}

/** Pulumi type tokens the policies look at. */
export const TYPES = {
  lambdaFunction: "aws:lambda/function:Function",
  lambdaPermission: "aws:lambda/permission:Permission",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  ecrRepository: "aws:ecr/repository:Repository",
  ecrLifecyclePolicy: "aws:ecr/lifecyclePolicy:LifecyclePolicy",
  ecrRepositoryPolicy: "aws:ecr/repositoryPolicy:RepositoryPolicy",
  iamRole: "aws:iam/role:Role",
  iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamPolicy: "aws:iam/policy:Policy",
  httpStage: "aws:apigatewayv2/stage:Stage",
  apiRoute: "aws:apigatewayv2/route:Route",
  sqsQueue: "aws:sqs/queue:Queue",
  eventSourceMapping: "aws:lambda/eventSourceMapping:EventSourceMapping",
  stateMachine: "aws:sfn/stateMachine:StateMachine",
  rdsInstance: "aws:rds/instance:Instance",
  rdsProxy: "aws:rds/proxy:Proxy",
  s3Bucket: "aws:s3/bucket:Bucket",
  s3PublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  s3BucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  securityGroupIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  provisionedConcurrency: "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig",
  deploymentGroup: "aws:codedeploy/deploymentGroup:DeploymentGroup",
  /** The platform's rollout of a function's new version (components/rollout-resource.ts), a dynamic resource. */
  rollout: "pulumi-nodejs:dynamic/graviton:Rollout:Resource",
} as const;

/**
 * A function reference as Lambda takes it (a name, `name:qualifier`, a function ARN, or one with a
 * version or alias) split into the function (its name or unqualified ARN) and the qualifier, if any.
 */
export function splitQualifier(reference: string): { function: string; qualifier?: string } {
  const parts = reference.split(":");
  if (reference.startsWith("arn:")) return { function: parts.slice(0, 7).join(":"), qualifier: parts[7] };
  return { function: parts[0], qualifier: parts[1] };
}

/**
 * Finds the function resource a reference (name or ARN, qualified or not) names, if the stack has it:
 * an index of the stack's functions built once, so a policy over every permission or mapping stays linear.
 */
export function functionFinder(resources: PolicyResource[]): (reference: string) => PolicyResource | undefined {
  const byReference = new Map<unknown, PolicyResource>();
  for (const resource of resources)
    if (resource.type === TYPES.lambdaFunction)
      for (const key of [resource.props.arn, resource.props.name])
        if (key !== undefined && !byReference.has(key)) byReference.set(key, resource);
  return (reference) => byReference.get(splitQualifier(reference).function);
}
