import { appSpec, rolloutDescription, type RolloutRequest } from "../../components/rollout-deployment";
import type { RegisteredResource } from "../mock-engine";

/**
 * What the AWS provider sends for each resource the program registers: the API operations that create
 * it, with the request built from the resource's inputs. Keys are passed on as Pulumi names them and
 * matched to the model's members (validate-request.ts); only what Pulumi names differently, or nests
 * differently, is written out here. `notSent` lists the inputs that are no part of any request (the
 * provider's own switches), each type's by name, so an input that maps to nothing is never passed over
 * silently: a new one fails the conformance test until it is mapped here or listed with its reason.
 */

export interface ApiRequest {
  service: string;
  operation: string;
  request: Record<string, unknown>;
}

interface Mapping {
  requests: (inputs: Record<string, any>, resource: RegisteredResource) => ApiRequest[];
  /** Inputs the provider acts on itself, sent in no request of this resource. */
  notSent?: string[];
}

/** Pulumi's auto-name: the logical name, a dash and 7 random characters (the longest it can be). */
export const autoName = (resource: RegisteredResource) => resource.inputs.name ?? `${resource.name}-a1b2c3d`;

/** The inputs without `keys`, so that only the rest is matched generically. */
function without(inputs: Record<string, any>, ...keys: string[]): Record<string, any> {
  return Object.fromEntries(Object.entries(inputs).filter(([key]) => !keys.includes(key)));
}

/**
 * Ids the cloud assigns are the mock engine's (`users-id`); where the model holds an id to AWS's own form,
 * the request carries one of that form, since no value of the program's is in it.
 */
const COGNITO_POOL_ID = "us-east-1_AbCdEf123";

/** A repository's name as another resource reads it: the mock engine's is the logical name, AWS's the auto-name. */
const AUTONAMED_OUTPUT = (mockName: string) => `${mockName}-a1b2c3d`;

const one = (service: string, operation: string, request: Record<string, unknown>): ApiRequest[] => [{ service, operation, request }];

/** Provider-level tags (default tags) go with every create request; inputs' own `tags` are matched like any member. */
export const MAPPINGS: Record<string, Mapping> = {
  "aws:lambda/function:Function": {
    requests: (inputs, resource) => [
      {
        service: "lambda",
        operation: "CreateFunction",
        request: {
          ...without(inputs, "imageUri", "reservedConcurrentExecutions", "name", "imageConfig"),
          FunctionName: autoName(resource),
          Code: { ImageUri: inputs.imageUri },
          ImageConfig: inputs.imageConfig && { Command: inputs.imageConfig.commands, EntryPoint: inputs.imageConfig.entryPoints },
        },
      },
      ...(inputs.reservedConcurrentExecutions === undefined
        ? []
        : one("lambda", "PutFunctionConcurrency", {
            FunctionName: autoName(resource),
            ReservedConcurrentExecutions: inputs.reservedConcurrentExecutions,
          })),
    ],
  },
  "aws:lambda/permission:Permission": {
    requests: (inputs) =>
      one("lambda", "AddPermission", {
        ...without(inputs, "function", "statementId"),
        FunctionName: inputs.function,
        StatementId: inputs.statementId ?? "a1b2c3d4e5f6a1b2c3d4e5f6a1",
      }),
  },
  "aws:lambda/eventSourceMapping:EventSourceMapping": {
    requests: (inputs) => one("lambda", "CreateEventSourceMapping", inputs),
  },
  "aws:lambda/alias:Alias": {
    requests: (inputs) =>
      one("lambda", "CreateAlias", { ...without(inputs, "functionName", "name"), FunctionName: inputs.functionName, Name: inputs.name }),
  },
  "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": {
    requests: (inputs) => one("lambda", "PutProvisionedConcurrencyConfig", without(inputs, "skipDestroy")),
    notSent: ["skipDestroy"],
  },
  "aws:codedeploy/application:Application": {
    requests: (inputs, resource) =>
      one("codedeploy", "CreateApplication", { ...without(inputs, "name"), applicationName: autoName(resource) }),
  },
  "aws:codedeploy/deploymentConfig:DeploymentConfig": {
    // Pulumi names the canary's and the linear's fields alike; the API prefixes them.
    requests: (inputs) => {
      const routing = inputs.trafficRoutingConfig;
      const steps = (kind: "canary" | "linear", block?: { percentage: number; interval: number }) =>
        block && { [`${kind}Percentage`]: block.percentage, [`${kind}Interval`]: block.interval };
      return one("codedeploy", "CreateDeploymentConfig", {
        ...without(inputs, "trafficRoutingConfig"),
        trafficRoutingConfig: routing && {
          type: routing.type,
          timeBasedCanary: steps("canary", routing.timeBasedCanary),
          timeBasedLinear: steps("linear", routing.timeBasedLinear),
        },
      });
    },
  },
  "aws:codedeploy/deploymentGroup:DeploymentGroup": {
    requests: (inputs) =>
      one("codedeploy", "CreateDeploymentGroup", {
        ...without(inputs, "appName", "alarmConfiguration"),
        applicationName: inputs.appName,
        alarmConfiguration: inputs.alarmConfiguration && {
          ...inputs.alarmConfiguration,
          alarms: inputs.alarmConfiguration.alarms?.map((name: string) => ({ name })),
        },
      }),
  },
  "pulumi-nodejs:dynamic/graviton:Rollout:Resource": {
    // The rollout's own calls (components/rollout-deployment.ts), as it makes them on pulumi up: through
    // CodeDeploy when it has a deployment group, then the version clean-up and the report of what is live.
    requests: (inputs) => {
      const request = inputs as RolloutRequest;
      const function_ = { FunctionName: request.functionName };
      const group = { applicationName: request.application, deploymentGroupName: request.deploymentGroup };
      return [
        ...(request.deploymentGroup
          ? [
              ...one("codedeploy", "ListDeployments", { ...group, includeOnlyStatuses: ["Created", "InProgress"] }),
              ...one("lambda", "GetAlias", { ...function_, Name: request.alias }),
              ...one("codedeploy", "CreateDeployment", {
                ...group,
                description: rolloutDescription(request, String(Number(request.targetVersion) - 1)),
                revision: { revisionType: "AppSpecContent", appSpecContent: { content: appSpec(request, "1") } },
              }),
            ]
          : []),
        ...one("lambda", "ListVersionsByFunction", function_),
        ...one("lambda", "ListAliases", function_),
        ...one("lambda", "DeleteFunction", { ...function_, Qualifier: "1" }),
        ...one("lambda", "GetFunctionConfiguration", { ...function_, Qualifier: request.targetVersion }),
      ];
    },
  },
  "aws:lambda/invocation:Invocation": {
    requests: (inputs) => one("lambda", "Invoke", { ...without(inputs, "input", "triggers"), Payload: inputs.input }),
    notSent: ["triggers"],
  },
  "aws:iam/role:Role": {
    requests: (inputs, resource) => [
      ...one("iam", "CreateRole", {
        ...without(inputs, "name", "assumeRolePolicy", "managedPolicyArns"),
        RoleName: autoName(resource),
        AssumeRolePolicyDocument: inputs.assumeRolePolicy,
      }),
      ...(inputs.managedPolicyArns ?? []).flatMap((arn: string) =>
        one("iam", "AttachRolePolicy", { RoleName: autoName(resource), PolicyArn: arn }),
      ),
    ],
  },
  "aws:iam/policy:Policy": {
    requests: (inputs, resource) =>
      one("iam", "CreatePolicy", { ...without(inputs, "name", "policy"), PolicyName: autoName(resource), PolicyDocument: inputs.policy }),
  },
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
    requests: (inputs) => one("iam", "AttachRolePolicy", { RoleName: inputs.role, PolicyArn: inputs.policyArn }),
  },
  "aws:iam/rolePolicy:RolePolicy": {
    requests: (inputs, resource) =>
      one("iam", "PutRolePolicy", { RoleName: inputs.role, PolicyName: autoName(resource), PolicyDocument: inputs.policy }),
  },
  "aws:cloudwatch/logGroup:LogGroup": {
    requests: (inputs, resource) => [
      ...one("logs", "CreateLogGroup", { ...without(inputs, "name", "retentionInDays"), logGroupName: autoName(resource) }),
      ...(inputs.retentionInDays === undefined
        ? []
        : one("logs", "PutRetentionPolicy", { logGroupName: autoName(resource), retentionInDays: inputs.retentionInDays })),
    ],
  },
  "aws:cloudwatch/queryDefinition:QueryDefinition": {
    requests: (inputs) => one("logs", "PutQueryDefinition", inputs),
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": {
    requests: (inputs, resource) => one("cloudwatch", "PutMetricAlarm", { ...without(inputs, "name"), AlarmName: autoName(resource) }),
  },
  "aws:cloudwatch/dashboard:Dashboard": {
    requests: (inputs) => one("cloudwatch", "PutDashboard", inputs),
  },
  "aws:sns/topic:Topic": {
    requests: (inputs, resource) => one("sns", "CreateTopic", { ...without(inputs, "name"), Name: autoName(resource) }),
  },
  "aws:sns/topicSubscription:TopicSubscription": {
    requests: (inputs) => one("sns", "Subscribe", { ...without(inputs, "topic"), TopicArn: inputs.topic }),
  },
  "aws:sqs/queue:Queue": {
    requests: (inputs, resource) => one("sqs", "CreateQueue", { QueueName: autoName(resource), Attributes: queueAttributes(inputs) }),
  },
  "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": {
    requests: (inputs) =>
      one("sqs", "SetQueueAttributes", { QueueUrl: inputs.queueUrl, Attributes: { RedriveAllowPolicy: inputs.redriveAllowPolicy } }),
  },
  "aws:apigatewayv2/api:Api": {
    requests: (inputs, resource) => one("apigatewayv2", "CreateApi", { ...without(inputs, "name"), Name: autoName(resource) }),
  },
  "aws:apigatewayv2/stage:Stage": {
    requests: (inputs, resource) => one("apigatewayv2", "CreateStage", { ...without(inputs, "name"), StageName: autoName(resource) }),
  },
  "aws:apigatewayv2/route:Route": { requests: (inputs) => one("apigatewayv2", "CreateRoute", inputs) },
  "aws:apigatewayv2/routeResponse:RouteResponse": { requests: (inputs) => one("apigatewayv2", "CreateRouteResponse", inputs) },
  "aws:apigatewayv2/integration:Integration": {
    // Pulumi lists response parameters per status code; the API takes a map of status code to mappings.
    requests: (inputs) =>
      one("apigatewayv2", "CreateIntegration", {
        ...without(inputs, "responseParameters"),
        ResponseParameters:
          inputs.responseParameters &&
          Object.fromEntries(inputs.responseParameters.map((entry: any) => [entry.statusCode, entry.mappings])),
      }),
  },
  "aws:apigatewayv2/integrationResponse:IntegrationResponse": {
    requests: (inputs) => one("apigatewayv2", "CreateIntegrationResponse", inputs),
  },
  "aws:apigatewayv2/authorizer:Authorizer": {
    requests: (inputs, resource) => one("apigatewayv2", "CreateAuthorizer", { ...without(inputs, "name"), Name: autoName(resource) }),
  },
  "aws:apigatewayv2/model:Model": { requests: (inputs) => one("apigatewayv2", "CreateModel", inputs) },
  "aws:apigateway/account:Account": {
    // UpdateAccount takes JSON patch operations; the one this stack sends:
    requests: (inputs) =>
      one("apigateway", "UpdateAccount", {
        patchOperations: [{ op: "replace", path: "/cloudwatchRoleArn", value: inputs.cloudwatchRoleArn }],
      }),
  },
  "aws:ecr/repository:Repository": {
    requests: (inputs, resource) =>
      one("ecr", "CreateRepository", {
        ...without(inputs, "name", "forceDelete", "encryptionConfigurations"),
        repositoryName: autoName(resource),
        encryptionConfiguration: inputs.encryptionConfigurations?.[0],
      }),
    notSent: ["forceDelete"],
  },
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": {
    requests: (inputs) =>
      one("ecr", "PutLifecyclePolicy", { repositoryName: AUTONAMED_OUTPUT(inputs.repository), lifecyclePolicyText: inputs.policy }),
  },
  "docker:index/image:Image": {
    // Not an AWS resource, but its tag is pushed to ECR, where PutImage's ImageTag rules apply.
    requests: (inputs) => {
      const [, repository, tag] = /^[^/]+\/(.+):([^:/]+)$/.exec(inputs.imageName) ?? [];
      return one("ecr", "PutImage", { repositoryName: AUTONAMED_OUTPUT(repository), imageTag: tag, imageManifest: "{}" });
    },
    notSent: ["build", "buildOnPreview", "registry", "skipPush", "imageName"],
  },
  "aws:s3/bucket:Bucket": {
    requests: (inputs, resource) => one("s3", "CreateBucket", { Bucket: inputs.bucket ?? `${resource.name}-a1b2c3d` }),
    notSent: ["forceDestroy", "bucket"],
  },
  "aws:s3/bucketPolicy:BucketPolicy": { requests: (inputs) => one("s3", "PutBucketPolicy", inputs) },
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {
    requests: (inputs) => one("s3", "PutBucketOwnershipControls", { Bucket: inputs.bucket, OwnershipControls: { Rules: [inputs.rule] } }),
  },
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
    requests: (inputs) =>
      one("s3", "PutPublicAccessBlock", { Bucket: inputs.bucket, PublicAccessBlockConfiguration: without(inputs, "bucket") }),
  },
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
    requests: (inputs) =>
      one("s3", "PutBucketEncryption", { Bucket: inputs.bucket, ServerSideEncryptionConfiguration: { Rules: inputs.rules } }),
  },
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
    requests: (inputs) =>
      one("s3", "PutBucketLifecycleConfiguration", {
        Bucket: inputs.bucket,
        LifecycleConfiguration: { Rules: inputs.rules.map((rule: any) => ({ ...without(rule, "id"), ID: rule.id })) },
      }),
  },
  "aws:kms/key:Key": {
    requests: (inputs) => [
      ...one("kms", "CreateKey", without(inputs, "enableKeyRotation", "deletionWindowInDays")),
      ...(inputs.enableKeyRotation ? one("kms", "EnableKeyRotation", { KeyId: "1234abcd-12ab-34cd-56ef-1234567890ab" }) : []),
      ...(inputs.deletionWindowInDays === undefined
        ? []
        : one("kms", "ScheduleKeyDeletion", {
            KeyId: "1234abcd-12ab-34cd-56ef-1234567890ab",
            PendingWindowInDays: inputs.deletionWindowInDays,
          })),
    ],
  },
  "aws:secretsmanager/secret:Secret": {
    requests: (inputs, resource) => one("secretsmanager", "CreateSecret", { ...without(inputs, "name"), Name: autoName(resource) }),
  },
  "aws:secretsmanager/secretVersion:SecretVersion": { requests: (inputs) => one("secretsmanager", "PutSecretValue", inputs) },
  "aws:cognito/userPool:UserPool": {
    requests: (inputs, resource) =>
      one("cognito-idp", "CreateUserPool", {
        ...without(inputs, "name", "passwordPolicy", "softwareTokenMfaConfiguration", "mfaConfiguration"),
        PoolName: autoName(resource),
        Policies: inputs.passwordPolicy && { PasswordPolicy: inputs.passwordPolicy },
        MfaConfiguration: inputs.mfaConfiguration,
      }),
  },
  "aws:cognito/userPoolClient:UserPoolClient": {
    requests: (inputs, resource) =>
      one("cognito-idp", "CreateUserPoolClient", {
        ...without(inputs, "name", "userPoolId"),
        ClientName: autoName(resource),
        UserPoolId: COGNITO_POOL_ID,
      }),
  },
  "aws:ec2/securityGroup:SecurityGroup": {
    requests: (inputs, resource) => one("ec2", "CreateSecurityGroup", { ...without(inputs, "name"), GroupName: autoName(resource) }),
  },
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
    requests: (inputs) => one("ec2", "AuthorizeSecurityGroupIngress", securityGroupRule(inputs)),
  },
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
    requests: (inputs) => one("ec2", "AuthorizeSecurityGroupEgress", securityGroupRule(inputs)),
  },
  "aws:rds/instance:Instance": {
    requests: (inputs) =>
      one("rds", "CreateDBInstance", {
        ...without(
          inputs,
          "identifier",
          "instanceClass",
          "username",
          "parameterGroupName",
          "skipFinalSnapshot",
          "multiAz",
          "kmsKeyId",
          "backupRetentionPeriod",
          "finalSnapshotIdentifier",
          "caCertIdentifier",
          "enabledCloudwatchLogsExports",
          "iamDatabaseAuthenticationEnabled",
          "performanceInsightsEnabled",
        ),
        DBInstanceIdentifier: inputs.identifier,
        DBInstanceClass: inputs.instanceClass,
        MasterUsername: inputs.username,
        DBParameterGroupName: inputs.parameterGroupName,
        MultiAZ: inputs.multiAz,
        KmsKeyId: inputs.kmsKeyId,
        BackupRetentionPeriod: inputs.backupRetentionPeriod,
        CACertificateIdentifier: inputs.caCertIdentifier,
        EnableCloudwatchLogsExports: inputs.enabledCloudwatchLogsExports,
        EnableIAMDatabaseAuthentication: inputs.iamDatabaseAuthenticationEnabled,
        EnablePerformanceInsights: inputs.performanceInsightsEnabled,
      }),
    // Sent on delete (DeleteDBInstance), not on create:
    notSent: ["skipFinalSnapshot", "finalSnapshotIdentifier"],
  },
  "aws:rds/parameterGroup:ParameterGroup": {
    requests: (inputs, resource) => [
      ...one("rds", "CreateDBParameterGroup", {
        DBParameterGroupName: autoName(resource),
        DBParameterGroupFamily: inputs.family,
        Description: inputs.description,
      }),
      ...one("rds", "ModifyDBParameterGroup", {
        DBParameterGroupName: autoName(resource),
        Parameters: (inputs.parameters ?? []).map((parameter: any) => ({
          ParameterName: parameter.name,
          ParameterValue: parameter.value,
          ApplyMethod: parameter.applyMethod ?? "immediate",
        })),
      }),
    ],
  },
  "aws:rds/subnetGroup:SubnetGroup": {
    requests: (inputs, resource) =>
      one("rds", "CreateDBSubnetGroup", {
        DBSubnetGroupName: autoName(resource),
        DBSubnetGroupDescription: inputs.description,
        SubnetIds: inputs.subnetIds,
      }),
  },
  "aws:rds/proxy:Proxy": {
    requests: (inputs, resource) =>
      one("rds", "CreateDBProxy", {
        ...without(inputs, "name", "auths", "requireTls"),
        DBProxyName: autoName(resource),
        Auth: inputs.auths,
        RequireTLS: inputs.requireTls,
      }),
  },
  "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": {
    requests: (inputs) =>
      one("rds", "ModifyDBProxyTargetGroup", {
        TargetGroupName: "default",
        DBProxyName: inputs.dbProxyName,
        ConnectionPoolConfig: inputs.connectionPoolConfig,
      }),
  },
  "aws:rds/proxyTarget:ProxyTarget": {
    requests: (inputs) =>
      one("rds", "RegisterDBProxyTargets", {
        DBProxyName: inputs.dbProxyName,
        TargetGroupName: inputs.targetGroupName,
        DBInstanceIdentifiers: [inputs.dbInstanceIdentifier],
      }),
  },
  "aws:sfn/stateMachine:StateMachine": {
    requests: (inputs, resource) =>
      one("stepfunctions", "CreateStateMachine", {
        ...without(inputs, "name", "loggingConfiguration"),
        name: autoName(resource),
        loggingConfiguration: inputs.loggingConfiguration && {
          ...without(inputs.loggingConfiguration, "logDestination"),
          destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: inputs.loggingConfiguration.logDestination } }],
        },
      }),
  },
};

/** Types that make no AWS request of their own: components, providers, and what runs on the engine only. */
export const NOT_AWS_REQUESTS: Record<string, string> = {
  "pulumi:providers:aws": "the provider's own settings",
  "random:index/randomPassword:RandomPassword": "made by the Pulumi engine, sent nowhere",
  "awsx:ec2:Vpc": "a remote component: its VPC, subnets and gateways are registered by awsx's own provider, not by this program",
};

/** CreateQueue's Attributes: Pulumi's typed fields as the SQS attribute names and string values. */
function queueAttributes(inputs: Record<string, any>): Record<string, string> {
  const names: Record<string, string> = {
    visibilityTimeoutSeconds: "VisibilityTimeout",
    messageRetentionSeconds: "MessageRetentionPeriod",
    maxMessageSize: "MaximumMessageSize",
    delaySeconds: "DelaySeconds",
    receiveWaitTimeSeconds: "ReceiveMessageWaitTimeSeconds",
    redrivePolicy: "RedrivePolicy",
    sqsManagedSseEnabled: "SqsManagedSseEnabled",
    kmsMasterKeyId: "KmsMasterKeyId",
    policy: "Policy",
  };
  return Object.fromEntries(
    Object.entries(inputs).flatMap(([key, value]) =>
      key in names ? [[names[key], String(value)]] : [[`(unmapped ${key})`, String(value)]],
    ),
  );
}

function securityGroupRule(inputs: Record<string, any>): Record<string, unknown> {
  return {
    GroupId: inputs.securityGroupId,
    IpPermissions: [
      {
        IpProtocol: inputs.ipProtocol,
        FromPort: inputs.fromPort,
        ToPort: inputs.toPort,
        IpRanges: inputs.cidrIpv4 ? [{ CidrIp: inputs.cidrIpv4, Description: inputs.description }] : undefined,
        UserIdGroupPairs: inputs.referencedSecurityGroupId
          ? [{ GroupId: inputs.referencedSecurityGroupId, Description: inputs.description }]
          : undefined,
      },
    ],
  };
}
