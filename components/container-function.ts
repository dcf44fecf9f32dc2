import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Architecture, architecture, flag, logRetention, otherArchitecture, strictObject, wholeNumber } from "./settings-schema";
import type { DatabaseGrant } from "./database";
import { z } from "zod";
import { checkEnvironmentSize, environmentVariables } from "./lambda-environment";
import { rolePolicy, trustedService } from "./iam";
import { AWS_LIMITS } from "./aws-limits";
import { stackScopedName } from "./stack-name";
import { containerImageSettings } from "./container-image";
import { permissionPreset } from "./permission-presets";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * What a stack may set per function (`graviton-platform:functions.<name>`); unset fields fall back to
 * app/functions.ts and the global keys.
 */
export const functionSettings = strictObject({
  architecture: architecture.optional().meta({ description: "this function's architecture, over the global `architecture`" }),
  memory: wholeNumber(AWS_LIMITS.lambdaMemoryMB.min, AWS_LIMITS.lambdaMemoryMB.max, " (MB)")
    .optional()
    .meta({ description: "MB, over app/functions.ts; CPU grows with memory, 1,769 MB = 1 vCPU" }),
  timeout: wholeNumber(AWS_LIMITS.lambdaTimeoutSeconds.min, AWS_LIMITS.lambdaTimeoutSeconds.max, " (seconds)")
    .optional()
    .meta({ description: "seconds, over app/functions.ts" }),
  reservedConcurrency: wholeNumber(0, 10000)
    .optional()
    .meta({ description: "concurrency reserved for, and capping, the function; unset = unreserved" }),
  environment: environmentVariables.optional().meta({
    description:
      "extra environment variables (quote numbers; Lambda's reserved names and the ones the stack sets are refused; 4 KB in all, the stack's own variables included)",
  }),
  compareArchitectures: flag()
    .optional()
    .meta({ description: "also deploy a twin on the other architecture (for power tuning); default false" }),
  expectedRps: z
    .number({ error: "must be a number of requests per second" })
    .positive({ error: "must be above 0" })
    .optional()
    .meta({ description: "declared peak requests per second; with `expectedDurationMs`, checked by the capacity policy" }),
  expectedDurationMs: z
    .number({ error: "must be a number of milliseconds" })
    .positive({ error: "must be above 0" })
    .optional()
    .meta({ description: "declared average duration of one request, ms; set together with `expectedRps`" }),
}).refine((settings) => (settings.expectedRps === undefined) === (settings.expectedDurationMs === undefined), {
  error: "must set expectedRps and expectedDurationMs together (concurrency = requests per second x duration)",
});

const imageArguments = (what: string) =>
  z
    .array(z.string({ error: "must be strings" }).min(1, { error: "must not be empty strings" }).max(1024), {
      error: `must be a list of strings (the image's ${what})`,
    })
    .min(1)
    .max(32)
    .optional()
    .meta({ description: `overrides the image's ${what}; default: the Dockerfile's` });

/** A path of the project, whatever the working directory (Pulumi runs the program in the project's). */
export const inProject = (path: string) => join(__dirname, "..", path);

/**
 * An HTTP API route key as API Gateway takes it ("Working with routes for HTTP APIs"): a method, then a
 * path of non-empty segments, each literal or a whole path variable (`{id}`); a greedy variable
 * (`{proxy+}`) only as the last segment. So `GET /a//b`, `GET /a{b}c` and `GET /{proxy+}/tail` are refused.
 */
const ROUTE_SEGMENT = String.raw`(?:[\w\-.~]+|\{[A-Za-z_]\w*\})`;
const ROUTE_KEY = new RegExp(
  String.raw`^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) \/(?:${ROUTE_SEGMENT}(?:\/${ROUTE_SEGMENT})*(?:\/\{[A-Za-z_]\w*\+\})?|\{[A-Za-z_]\w*\+\})?$`,
);
// API Gateway documents no length for a route key; this keeps its resource names (and source ARNs) short.
const ROUTE_KEY_MAX = 210;
const ROUTE_KEY_RULE =
  'must be an HTTP API route key, "METHOD /path": non-empty segments, each a name or a whole {variable}; a greedy {proxy+} only last';

/** A relative path inside the project: no absolute paths, no `..`, no NUL or control characters. */
const projectPath = z.string({ error: "must be a path (a string)" }).regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[\w.\/-]{1,200}$/, {
  error: "must be a relative path inside the project (letters, digits, . _ - /; no ..)",
});

/**
 * A function that brings its own image (`graviton-platform:ownImageFunctions.<name>`): its own build
 * context and Dockerfile (vSwarm's `docker/Dockerfile.Lambda` works as is), so any runtime; its own ECR
 * repository; the same per-function settings as the app's functions.
 */
export const ownImageFunctionSettings = functionSettings.safeExtend({
  context: projectPath
    .refine((path) => existsSync(inProject(path)) && statSync(inProject(path)).isDirectory(), {
      error: "must be a directory of the project (the build context)",
    })
    .meta({ description: "the build context, a directory of the project" }),
  dockerfile: projectPath.optional().meta({ description: "the Dockerfile, relative to the project; default `<context>/Dockerfile`" }),
  command: imageArguments("CMD"),
  entryPoint: imageArguments("ENTRYPOINT"),
  route: z
    .string({ error: ROUTE_KEY_RULE })
    .max(ROUTE_KEY_MAX, { error: `must be at most ${ROUTE_KEY_MAX} characters` })
    .regex(ROUTE_KEY, { error: ROUTE_KEY_RULE })
    .optional()
    .meta({ description: "serve this route of the HTTP API" }),
  authorized: flag()
    .optional()
    .meta({ description: "the route requires a valid access token (the API's JWT authorizer, as for GET /jobs/{id}); default false" }),
  prebuiltImages: containerImageSettings.shape.prebuilt,
  permissions: z.array(permissionPreset, { error: "must be a list of permission presets" }).max(20).optional().meta({
    description:
      "what it may do, as presets scoped to named resources: s3-read / s3-write (bucket, prefix), invoke (functions), sqs-send (queue), secret-read (secretArn)",
  }),
});
export type OwnImageFunctionSettings = z.output<typeof ownImageFunctionSettings>;

/**
 * The final stage of a Dockerfile's text: the image it is built FROM, and the platform it pins
 * (`FROM --platform=linux/amd64 ...`), if it pins one. `$BUILDPLATFORM`/`$TARGETPLATFORM` pin nothing.
 */
export function finalStage(dockerfileText: string): { image?: string; platform?: string } {
  const [, platform, image] = [...dockerfileText.matchAll(/^\s*FROM\s+(?:--platform=(\S+)\s+)?(\S+)/gim)].at(-1) ?? [];
  return { image, platform: platform && !platform.startsWith("$") ? platform : undefined };
}

/** The platform a Dockerfile of the project pins its final stage to: a function on another architecture cannot run what it builds. */
export const pinnedPlatform = (dockerfile: string): string | undefined => finalStage(readFileSync(inProject(dockerfile), "utf8")).platform;

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
   * subnets and security group, may rds-db:connect as that user only, and gets the connection settings.
   * @default undefined
   */
  database?: DatabaseGrant;
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

  /** Lets the function (and its twin) do what `statements` allow: an inline policy `name` of its role. */
  allow(name: string, statements: pulumi.Input<object>[]): aws.iam.RolePolicy {
    return rolePolicy(name, this.role, statements, { parent: this });
  }

  private grantDatabase(name: string, grant: DatabaseGrant): aws.iam.RolePolicy {
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
