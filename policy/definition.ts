import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

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
} as const;
