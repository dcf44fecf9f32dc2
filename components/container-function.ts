import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Architecture, logRetention, otherArchitecture } from "./settings-schema";
import type { DatabaseGrant } from "./database";
import type { LiveSettings } from "./function-settings";
import { checkEnvironmentSize } from "./lambda-environment";
import { rolePolicy, trustedService } from "./iam";
import { AWS_LIMITS } from "./aws-limits";
import { stackScopedName } from "./stack-name";
import { LIVE_ALIAS } from "../app/functions";

export interface ImageSource {
  imageUri(architecture: Architecture): pulumi.Output<string>;
}

export interface ContainerFunctionArgs {
  /** The images to run; the function runs the one built for its own architecture. */
  image: ImageSource;
  /** `imageConfig.command`: the handler inside the image, e.g. `["get-job.handler"]`; unset = the image's CMD. */
  command?: string[];
  /** `imageConfig.entryPoint`; unset = the image's ENTRYPOINT. */
  entryPoint?: string[];
  /** The function's architecture; decides `architectures` and which image it runs. */
  architecture: Architecture;
  /** Also deploy a twin on the other architecture, running that architecture's image. @default false */
  compareArchitectures?: boolean;
  /** Memory in MB (1,769 MB = 1 vCPU). @default 128 @example 1769 */
  memory?: number;
  /** Timeout in seconds. @default 3 */
  timeout?: number;
  /** Reserved concurrency of the function (not of its twin); unset = unreserved. @default undefined */
  reservedConcurrency?: number;
  /** Environment variables. @default {} @example { LOG_LEVEL: "debug" } */
  environment?: Record<string, pulumi.Input<string>>;
  /** Days the function's logs are kept. @default 14 */
  logRetentionDays?: number;
  /** @default "" */
  description?: string;
  /** Declared peak traffic, recorded as tags for the capacity policy. @default undefined @example { rps: 200, durationMs: 150 } */
  expectedTraffic?: { rps: number; durationMs: number };
  /**
   * Connect to the database as one user (Database.grantConnect): the function runs in the database's
   * subnets and security group, may rds-db:connect as that user only, and gets the connection settings
   * (DB_USER among them: the grant's user needs no other mention here).
   * @default undefined
   */
  database?: Omit<DatabaseGrant, "user">;
  /**
   * Serves traffic: publish a version on every change and give callers the `live` alias. With `codeDeploy`,
   * CodeDeploy moves the alias (Rollouts): Pulumi creates it and then leaves its version and weights alone.
   * @default undefined
   */
  live?: Pick<LiveSettings, "codeDeploy">;
  /** Execution environments kept initialized on the live alias (only with `live`). @default undefined */
  provisionedConcurrency?: number;
}

/** What a caller invokes: the function's live alias when it serves traffic (`qualifier` set), else the function. */
export interface InvokeTarget {
  /** The function's name (a permission's `function`; with `qualifier` it applies to the alias only). */
  name: pulumi.Input<string>;
  /** The ARN to invoke: the alias's qualified ARN, or the function's. */
  arn: pulumi.Input<string>;
  qualifier?: string;
}

const DESCRIPTION_MAX = AWS_LIMITS.lambdaDescriptionCharacters.max;

/**
 * A function's description within Lambda's 256 characters: `text` cut short with "..." where it and
 * `suffix` would not fit (a long name and Dockerfile path), the suffix (" (x86_64 twin)") always kept.
 */
export function lambdaDescription(text: string, suffix = ""): string {
  const room = DESCRIPTION_MAX - suffix.length;
  return `${text.length > room ? `${text.slice(0, room - 3)}...` : text}${suffix}`;
}

/** Tags every function carries, so policies and operators can tell what it is without the program. */
export const FUNCTION_TAGS = {
  name: "graviton:function",
  /** "primary", or "twin" for the other-architecture copy made by compareArchitectures. */
  variant: "graviton:variant",
  expectedRps: "graviton:expected-rps",
  expectedDurationMs: "graviton:expected-duration-ms",
} as const;

/** One deployed Lambda function of a given architecture. */
export interface DeployedFunction {
  name: pulumi.Output<string>;
  arn: pulumi.Output<string>;
  architecture: Architecture;
  imageUri: pulumi.Output<string>;
  logGroupName: pulumi.Output<string>;
}

/**
 * A container-image Lambda function with its own least-privilege role and a log group (with
 * retention) that exists before the function does; optionally a twin on the other architecture.
 */
export class ContainerFunction extends pulumi.ComponentResource {
  readonly functionName: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  readonly architecture: Architecture;
  readonly imageUri: pulumi.Output<string>;
  readonly role: aws.iam.Role;
  /** The other-architecture twin, when compareArchitectures is on. */
  readonly twin?: DeployedFunction;
  /** The function and its twin, if any: what is monitored and tuned. */
  readonly variants: DeployedFunction[];
  /** The function's ARN, and its twin's when it has one. */
  readonly arns: pulumi.Output<string>[];
  /** What its callers invoke: the live alias when it serves traffic, else the function itself. */
  readonly caller: InvokeTarget;
  /** The live alias and the version each `pulumi up` publishes, when it serves traffic. */
  readonly live?: { alias: aws.lambda.Alias; version: pulumi.Output<string> };
  /** The underlying resources, for a fork to read or extend (see "Changing a component" in docs/extending.md). */
  readonly nodes: { functions: aws.lambda.Function[]; logGroups: aws.cloudwatch.LogGroup[]; role: aws.iam.Role };

  constructor(name: string, args: ContainerFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("graviton:lambda:ContainerFunction", name, {}, opts);
    const settings = {
      memory: args.memory ?? 128,
      timeout: args.timeout ?? 3,
      environment: args.environment ?? {},
      logRetentionDays: logRetention.parse(args.logRetentionDays),
      description: args.description ?? "",
    };
    const architectures = args.compareArchitectures ? [args.architecture, otherArchitecture(args.architecture)] : [args.architecture];
    const variantName = (architecture: Architecture) => (architecture === args.architecture ? name : `${name}-${architecture}`);

    this.role = new aws.iam.Role(`${name}-role`, { assumeRolePolicy: trustedService("lambda.amazonaws.com") }, { parent: this });

    const logGroups = architectures.map(
      (architecture) =>
        new aws.cloudwatch.LogGroup(
          variantName(architecture),
          {
            name: `/aws/lambda/${stackScopedName([variantName(architecture)], "/")}`,
            retentionInDays: settings.logRetentionDays,
          },
          { parent: this },
        ),
    );

    // Only what every function needs: write its own logs and its X-Ray segments. X-Ray's write actions
    // support no resource-level permissions, so they name "*" (AWSXRayDaemonWriteAccess does the same).
    const basePolicy = rolePolicy(
      `${name}-base`,
      this.role,
      [
        {
          Sid: "WriteOwnLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: logGroups.map((group) => pulumi.interpolate`${group.arn}:*`),
        },
        { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
      ],
      { parent: this },
    );

    const databasePolicy = args.database && this.grantDatabase(name, args.database);

    const lambdas: aws.lambda.Function[] = [];
    const deployed = architectures.map((architecture, index): DeployedFunction => {
      const logGroup = logGroups[index];
      const imageUri = args.image.imageUri(architecture);
      const fn = new aws.lambda.Function(
        variantName(architecture),
        {
          packageType: "Image",
          imageUri,
          // A serving function publishes a version on every change; its live alias moves to it (Rollouts).
          publish: architecture === args.architecture && args.live !== undefined,
          architectures: [architecture],
          imageConfig: args.command || args.entryPoint ? { commands: args.command, entryPoints: args.entryPoint } : undefined,
          role: this.role.arn,
          memorySize: settings.memory,
          timeout: settings.timeout,
          // A twin exists to be measured, not to serve traffic: it reserves nothing from the account.
          reservedConcurrentExecutions: architecture === args.architecture ? args.reservedConcurrency : undefined,
          // Lambda's 4 KB counts every variable, the stack's own included: checked once their values are known.
          environment: {
            variables: pulumi
              .output({ ...settings.environment, ...args.database?.environment })
              .apply((variables) => checkEnvironmentSize(name, variables)),
          },
          vpcConfig: args.database && { subnetIds: args.database.subnetIds, securityGroupIds: args.database.securityGroupIds },
          loggingConfig: { logFormat: "JSON", logGroup: logGroup.name, applicationLogLevel: "INFO", systemLogLevel: "INFO" },
          tracingConfig: { mode: "Active" },
          description: lambdaDescription(settings.description, architecture === args.architecture ? "" : ` (${architecture} twin)`),
          tags: {
            [FUNCTION_TAGS.name]: name,
            [FUNCTION_TAGS.variant]: architecture === args.architecture ? "primary" : "twin",
            ...(args.expectedTraffic && {
              [FUNCTION_TAGS.expectedRps]: String(args.expectedTraffic.rps),
              [FUNCTION_TAGS.expectedDurationMs]: String(args.expectedTraffic.durationMs),
            }),
          },
        },
        { parent: this, dependsOn: [logGroup, basePolicy, ...(databasePolicy ? [databasePolicy] : [])] },
      );
      lambdas.push(fn);
      return { name: fn.name, arn: fn.arn, architecture, imageUri, logGroupName: logGroup.name };
    });

    const [primary, twin] = deployed;
    if (args.live) this.live = this.liveAlias(name, lambdas[0], args.live.codeDeploy, args.provisionedConcurrency);
    this.caller = this.live
      ? { name: primary.name, arn: this.live.alias.arn, qualifier: LIVE_ALIAS }
      : { name: primary.name, arn: primary.arn };
    this.variants = deployed;
    this.functionName = primary.name;
    this.arn = primary.arn;
    this.architecture = primary.architecture;
    this.imageUri = primary.imageUri;
    this.twin = twin;
    this.arns = deployed.map((variant) => variant.arn);
    this.nodes = { functions: lambdas, logGroups, role: this.role };
    this.registerOutputs({
      functionName: this.functionName,
      arn: this.arn,
      architecture: this.architecture,
      imageUri: this.imageUri,
      twin: this.twin,
    });
  }

  /**
   * The `live` alias on the version just published, and its provisioned concurrency. An alias CodeDeploy
   * moves is CodeDeploy's once created: Pulumi ignores its version and weights, so no `up` undoes a rollout
   * (or a rollback) in progress. Weighted aliases need two published versions with the same role and
   * dead-letter config (https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html): the
   * function has one role and no DLQ of its own, whatever its architecture, so every pair qualifies.
   */
  private liveAlias(name: string, fn: aws.lambda.Function, codeDeploy: boolean, provisionedConcurrency?: number) {
    const alias = new aws.lambda.Alias(
      `${name}-${LIVE_ALIAS}`,
      { name: LIVE_ALIAS, functionName: fn.name, functionVersion: fn.version, description: "What every caller invokes" },
      { parent: this, ignoreChanges: codeDeploy ? ["functionVersion", "routingConfig"] : [] },
    );
    if (provisionedConcurrency !== undefined)
      new aws.lambda.ProvisionedConcurrencyConfig(
        `${name}-${LIVE_ALIAS}`,
        { functionName: fn.name, qualifier: alias.name, provisionedConcurrentExecutions: provisionedConcurrency },
        { parent: this },
      );
    return { alias, version: fn.version };
  }

  /** Lets the function (and its twin) do what `statements` allow: an inline policy `name` of its role. */
  allow(name: string, statements: pulumi.Input<object>[]): aws.iam.RolePolicy {
    return rolePolicy(name, this.role, statements, { parent: this });
  }

  private grantDatabase(name: string, grant: Omit<DatabaseGrant, "user">): aws.iam.RolePolicy {
    return rolePolicy(
      `${name}-database`,
      this.role,
      [
        { Sid: "ConnectAsOneUser", Effect: "Allow", Action: "rds-db:connect", Resource: grant.connectArn },
        {
          // Lambda's network interfaces in the VPC. These actions support no resource-level
          // permissions (the AWSLambdaVPCAccessExecutionRole managed policy also names "*").
          Sid: "NetworkInterfaces",
          Effect: "Allow",
          Action: [
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSubnets",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
          ],
          Resource: "*",
        },
      ],
      { parent: this },
    );
  }
}
