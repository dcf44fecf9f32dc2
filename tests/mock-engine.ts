import * as pulumi from "@pulumi/pulumi";
import { getMonitor } from "@pulumi/pulumi/runtime/settings";
import { readStackConfig } from "../config/stack-files";
import { createHash } from "node:crypto";
import { join } from "node:path";

/** Account and region the mock engine pretends to deploy into. */
export const MOCK_ACCOUNT = "123456789012";

/** One resource the program registered, as the engine saw it. */
export interface RegisteredResource {
  type: string;
  name: string;
  urn: string;
  /** Inputs as the program sent them (after Pulumi resolved their dependencies). */
  inputs: Record<string, any>;
  /** Top-level inputs the program marked secret (their values are still in `inputs`, unwrapped). */
  secretInputs: string[];
  /** Inputs plus the outputs this mock engine made up for it. */
  state: Record<string, any>;
  custom: boolean;
  /** URN of the parent (the component that owns it), if any. */
  parent?: string;
  /** URNs of the resources it depends on (explicit dependsOn and outputs it consumed). */
  dependencies: string[];
  /** The explicit provider it was registered with (`<urn>::<id>`); none for a default provider. */
  provider?: string;
  /** Its aliases, as the program gave them: a full URN, or the parts that differ (a parent's URN, a name). */
  aliases: { urn?: string; parentUrn?: string; name?: string }[];
  /** The inputs the engine leaves alone on updates (its ignoreChanges option). */
  ignoreChanges: string[];
}

/** How the Pulumi engine protocol marks a secret value: `{[SECRET_SIGNATURE]: SECRET_SENTINEL, value}`. */
const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";
const SECRET_SENTINEL = "1b47061264138c4ac30d75fd1eb44270";

function isSecret(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as any)[SECRET_SIGNATURE] === SECRET_SENTINEL;
}

/** Replaces every secret wrapper in `value` by the value it wraps. */
function unwrapSecrets(value: any): any {
  if (isSecret(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unwrapSecrets(inner)]));
  }
  return value;
}

/** Types whose physical `name` Pulumi auto-assigns (logical name + random suffix) when none is given. */
const AUTONAMED = new Set([
  "aws:ecr/repository:Repository",
  "aws:iam/role:Role",
  "aws:iam/policy:Policy",
  "aws:lambda/function:Function",
  "aws:apigatewayv2/api:Api",
  "aws:ec2/securityGroup:SecurityGroup",
  "aws:rds/subnetGroup:SubnetGroup",
  "aws:rds/parameterGroup:ParameterGroup",
  "aws:rds/proxy:Proxy",
  "aws:secretsmanager/secret:Secret",
  "aws:sqs/queue:Queue",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
  "aws:codedeploy/application:Application",
]);

const shortHash = (...parts: string[]) => createHash("sha256").update(parts.join("\0")).digest("hex");

/**
 * Pulumi mocks that stand in for AWS and Docker: every resource gets a deterministic id and the outputs
 * the program reads (ARNs, URLs, digests), derived from its name and inputs so tests can follow links
 * between resources. Nothing here talks to a cloud.
 */
export class MockCloud implements pulumi.runtime.Mocks {
  readonly resources: RegisteredResource[] = [];
  /** Set by the engine hook just before newResource: what only the raw registration request knows. */
  private registration?: Pick<RegisteredResource, "urn" | "parent" | "dependencies" | "aliases" | "ignoreChanges">;
  /**
   * @param region the region the program deploys to
   * @param inventOutputs give resources the cloud-assigned outputs (ARNs, URLs, digests) tests follow;
   *   when false, only the provider-assigned `name` is known and every other output stays unknown,
   *   as in a real preview (the offline plan runs this way).
   */
  constructor(
    readonly region: string = "us-east-1",
    readonly inventOutputs = true,
    /** The outputs of the stacks a program references (pulumi.StackReference), by fully qualified name. */
    readonly stackReferences: Record<string, Record<string, unknown>> = {},
  ) {}

  /**
   * Hooks into the mock monitor so each resource records its URN, parent and dependencies, which the
   * Mocks interface does not pass on. The monitor calls newResource synchronously from registerResource.
   */
  attach(monitor: any): void {
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (request: any, callback: unknown) => {
      const parent: string = request.getParent();
      const type = parent ? `${parent.split("::")[2].split("$").pop()}$${request.getType()}` : request.getType();
      this.registration = {
        urn: `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${type}::${request.getName()}`,
        parent: parent || undefined,
        dependencies: request.getDependenciesList(),
        aliases: request.getAliasesList().map((alias: any) => {
          const spec = alias.getSpec();
          if (!spec) return { urn: alias.getUrn() };
          return { ...(spec.getParenturn() && { parentUrn: spec.getParenturn() }), ...(spec.getName() && { name: spec.getName() }) };
        }),
        ignoreChanges: request.getIgnorechangesList(),
      };
      return register(request, callback);
    };
  }

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    if (args.type === "pulumi:pulumi:StackReference") {
      const outputs = this.stackReferences[args.inputs.name];
      if (!outputs) throw new Error(`MockCloud has no stack ${args.inputs.name} to reference; pass its outputs in stackReferences.`);
      return { id: args.inputs.name, state: { name: args.inputs.name, outputs, secretOutputNames: [] } };
    }
    const id = `${args.name}-id`;
    const inputs = unwrapSecrets(args.inputs);
    const outputs = this.inventOutputs
      ? this.outputsFor(args.type, args.name, inputs, id)
      : AUTONAMED.has(args.type) && inputs.name === undefined
        ? { name: `${args.name}-<suffix>` } // Pulumi's auto-name: known at preview, random suffix
        : {};
    const state = { ...args.inputs, ...outputs };
    const registration = this.registration ?? {
      urn: `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${args.type}::${args.name}`,
      dependencies: [],
      aliases: [],
      ignoreChanges: [],
    };
    this.registration = undefined;
    this.resources.push({
      type: args.type,
      name: args.name,
      ...registration,
      inputs,
      secretInputs: Object.keys(args.inputs).filter((key) => isSecret(args.inputs[key])),
      state,
      custom: args.custom ?? true,
      provider: args.provider || undefined,
    });
    return { id: args.custom === false ? undefined : id, state };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    switch (args.token) {
      case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
        return {
          userName: "AWS",
          password: "mock-ecr-token",
          proxyEndpoint: `https://${MOCK_ACCOUNT}.dkr.ecr.${this.region}.amazonaws.com`,
        };
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/mock`, userId: "mock" };
      case "aws:index/getRegion:getRegion":
        return { name: this.region, region: this.region };
      default:
        throw new Error(`MockCloud has no answer for the invoke ${args.token}; add one to tests/mock-engine.ts.`);
    }
  }

  private outputsFor(type: string, name: string, inputs: Record<string, any>, id: string): Record<string, any> {
    const arn = (service: string, resource: string) => `arn:aws:${service}:${this.region}:${MOCK_ACCOUNT}:${resource}`;
    switch (type) {
      case "aws:ecr/repository:Repository":
        return {
          name,
          arn: arn("ecr", `repository/${name}`),
          registryId: MOCK_ACCOUNT,
          repositoryUrl: `${MOCK_ACCOUNT}.dkr.ecr.${this.region}.amazonaws.com/${name}`,
        };
      case "docker:index/image:Image": {
        const repository = String(inputs.imageName).replace(/:[^:/]+$/, "");
        return { repoDigest: `${repository}@sha256:${shortHash(inputs.imageName, inputs.build?.platform ?? "")}` };
      }
      case "aws:iam/role:Role":
        return { name, arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${name}` };
      case "aws:s3/bucket:Bucket": // a bucket's id is its name
        return { bucket: inputs.bucket ?? id, arn: `arn:aws:s3:::${inputs.bucket ?? id}` };
      case "aws:cloudwatch/logGroup:LogGroup":
        return { arn: arn("logs", `log-group:${inputs.name ?? name}`) };
      case "aws:lambda/function:Function": {
        const functionArn = arn("lambda", `function:${name}`);
        // A function that publishes has version 1 on its first deploy; one that does not, $LATEST (the provider's).
        const version = inputs.publish ? "1" : "$LATEST";
        return {
          name,
          arn: functionArn,
          version,
          qualifiedArn: `${functionArn}:${version}`,
          invokeArn: `arn:aws:apigateway:${this.region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
        };
      }
      case "aws:lambda/alias:Alias": {
        const aliasArn = arn("lambda", `function:${inputs.functionName}:${inputs.name}`);
        return {
          arn: aliasArn,
          invokeArn: `arn:aws:apigateway:${this.region}:lambda:path/2015-03-31/functions/${aliasArn}/invocations`,
        };
      }
      case "aws:apigatewayv2/api:Api":
        return {
          apiEndpoint: `${inputs.protocolType === "WEBSOCKET" ? "wss" : "https"}://${id}.execute-api.${this.region}.amazonaws.com`,
          executionArn: arn("execute-api", id),
        };
      // awsx.ec2.Vpc is a remote component: the engine sees one resource, whose outputs stand in for
      // the VPC, subnets, route tables and gateways it would create.
      case "awsx:ec2:Vpc": {
        const zones = Array.from({ length: inputs.numberOfAvailabilityZones ?? 3 }, (_, index) => String.fromCharCode(97 + index));
        const types: string[] = (inputs.subnetSpecs ?? [{ type: "Public" }, { type: "Private" }]).map(
          (spec: { type: string }) => spec.type,
        );
        const subnetIds = (type: string) => (types.includes(type) ? zones.map((zone) => `subnet-${type.toLowerCase()}-${zone}`) : []);
        return {
          vpcId: `vpc-${shortHash(name).slice(0, 17)}`,
          publicSubnetIds: subnetIds("Public"),
          privateSubnetIds: subnetIds("Private"),
          isolatedSubnetIds: subnetIds("Isolated"),
        };
      }
      case "aws:kms/key:Key": {
        const keyId = shortHash(name).slice(0, 32);
        return { keyId, arn: arn("kms", `key/${keyId}`) };
      }
      case "aws:ec2/securityGroup:SecurityGroup":
        return { name, arn: arn("ec2", `security-group/${id}`) };
      case "aws:rds/subnetGroup:SubnetGroup":
      case "aws:rds/parameterGroup:ParameterGroup":
        return { name: inputs.name ?? name };
      case "aws:rds/instance:Instance":
        return {
          arn: arn("rds", `db:${inputs.identifier}`),
          resourceId: `db-${shortHash(name).slice(0, 26).toUpperCase()}`,
          address: `${inputs.identifier}.c0mock.${this.region}.rds.amazonaws.com`,
          endpoint: `${inputs.identifier}.c0mock.${this.region}.rds.amazonaws.com:5432`,
          masterUserSecrets: [
            {
              secretArn: arn("secretsmanager", `secret:rds!db-${shortHash(name).slice(0, 8)}-AbCdEf`),
              kmsKeyId: inputs.masterUserSecretKmsKeyId,
              secretStatus: "active",
            },
          ],
        };
      case "aws:rds/proxy:Proxy":
        return {
          name,
          arn: arn("rds", `db-proxy:prx-${shortHash(name).slice(0, 17)}`),
          endpoint: `${name}.proxy-c0mock.${this.region}.rds.amazonaws.com`,
        };
      case "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup":
        return { name: "default", arn: arn("rds", `target-group:prx-tg-${shortHash(name).slice(0, 17)}`) };
      case "aws:secretsmanager/secret:Secret":
        return { name, arn: arn("secretsmanager", `secret:${name}-AbCdEf`) };
      case "random:index/randomPassword:RandomPassword":
        return { result: shortHash("password", name).slice(0, inputs.length ?? 16) };
      case "aws:sqs/queue:Queue":
        return { name, arn: arn("sqs", name), url: `https://sqs.${this.region}.amazonaws.com/${MOCK_ACCOUNT}/${name}` };
      case "aws:lambda/invocation:Invocation":
        return { result: "{}" };
      case "aws:cloudwatch/metricAlarm:MetricAlarm":
        return { name: inputs.name ?? name, arn: arn("cloudwatch", `alarm:${inputs.name ?? name}`) };
      case "aws:codedeploy/application:Application":
        return { name: inputs.name ?? name, arn: arn("codedeploy", `application:${inputs.name ?? name}`) };
      default:
        return { arn: inputs.arn ?? arn("mock", `${type}/${name}`) };
    }
  }
}

/** What one evaluation of the program produced. */
export interface MockDeployment {
  resources: RegisteredResource[];
  /** The program's stack outputs (its module exports), fully resolved. */
  outputs: Record<string, any>;
}

/**
 * Resolves every Output inside a value (an export of the program) to a plain value; an output that is
 * unknown (in a preview) becomes `pulumi.unknown` instead of never resolving.
 */
export function resolveOutputs<T>(value: T): Promise<pulumi.Unwrap<T>> {
  // Output.promise(withUnknowns) is the SDK's own way to read a value that may be unknown.
  return (pulumi.output(value) as unknown as { promise(withUnknowns: boolean): Promise<pulumi.Unwrap<T>> }).promise(true);
}

/**
 * Runs `program` (a function that creates resources and returns the stack outputs) under mocks with the
 * given config (`key -> string`, as readStackConfig returns it), and returns what it registered and exported.
 */
export async function evaluate(
  program: () => Record<string, unknown> | void,
  options: {
    config?: Record<string, string>;
    stack?: string;
    preview?: boolean;
    /** Another Pulumi project than this one (a second stack's program). @default "graviton-platform" */
    project?: string;
    stackReferences?: Record<string, Record<string, unknown>>;
  } = {},
): Promise<MockDeployment> {
  const config = options.config ?? {};
  // A preview invents nothing: outputs only the cloud assigns stay unknown.
  const cloud = new MockCloud(config["aws:region"] ?? "us-east-1", !options.preview, options.stackReferences);
  // The SDK records a stack trace for every promise it makes (for its leak report), and with source maps on (the TypeScript loader)
  // each trace is source-mapped: most of an evaluation's time. No frames, no cost; messages are kept.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    pulumi.runtime.setAllConfig(config);
    await pulumi.runtime.setMocks(cloud, options.project ?? "graviton-platform", options.stack ?? "test", options.preview ?? false);
    cloud.attach(getMonitor());
    const outputs = await resolveOutputs({ ...(program() ?? {}) });
    await pulumi.runtime.disconnect();
    return { resources: cloud.resources, outputs: outputs as Record<string, any> };
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/**
 * Evaluates this project's index.ts with the config of `Pulumi.<stack>.yaml`, or with `config` when
 * given; as a preview (nothing invented) when `preview` is set.
 */
export async function evaluateStack(
  stack: string,
  config: Record<string, string> = readStackConfig(stack),
  preview = false,
): Promise<MockDeployment> {
  // The program is a function of the stack's name and config (and files no test changes): each one is
  // evaluated once per process, and every caller gets its own copy to read.
  const key = JSON.stringify([stack, config, preview]);
  let evaluation = evaluations.get(key);
  if (!evaluation) {
    const program = require.resolve(join(__dirname, "..", "index.ts"));
    evaluation = evaluate(
      () => {
        delete require.cache[program]; // a program module runs once per require
        return require(program);
      },
      { config, stack, preview },
    );
    evaluations.set(key, evaluation);
    evaluation.catch(() => evaluations.delete(key));
  }
  return structuredClone(await evaluation);
}

const evaluations = new Map<string, Promise<MockDeployment>>();
