// The plan of one stack, as npm run plan shows it: index.ts evaluated with Pulumi.<stack>.yaml under
// Pulumi's mock engine (no credentials, no CLI, no network), the resource tree with the settings a reviewer
// checks, and the policy pack's report over it.
import * as pulumi from "@pulumi/pulumi";
import { type PolicyConfig, type PolicyReport, runPolicies } from "../policy/run-offline";
import { readStackConfig } from "../config/stack-files";
import { evaluateStack, type RegisteredResource } from "../tests/mock-engine";

export interface PlanNode {
  type: string;
  name: string;
  /** What a reviewer checks; "(known after deploy)" where only the cloud can tell. */
  settings: Record<string, unknown>;
  children: PlanNode[];
}

export interface Plan {
  stack: string;
  resources: PlanNode[];
  violations: PolicyReport["violations"];
  skipped: PolicyReport["skipped"];
  summary: { resources: number; mandatory: number; advisory: number };
}

export const AFTER_DEPLOY = "(known after deploy)";
const shown = (value: unknown) => (pulumi.isUnknown(value) ? AFTER_DEPLOY : value);

/** The settings worth a reviewer's eye, per resource type. */
function settingsOf(resource: RegisteredResource, byUrn: Map<string, RegisteredResource>): Record<string, unknown> {
  const props = resource.inputs;
  switch (resource.type) {
    case "aws:lambda/function:Function": {
      const image = resource.dependencies
        .map((urn) => byUrn.get(urn))
        .find((dependency) => dependency?.type === "docker:index/image:Image");
      return {
        architecture: props.architectures?.[0],
        imagePlatform: image?.inputs.build?.platform ?? AFTER_DEPLOY,
        memory: props.memorySize,
        timeout: props.timeout,
        reservedConcurrency: props.reservedConcurrentExecutions ?? "unreserved",
        handler: props.imageConfig?.commands?.join(" ") ?? "(the image's CMD)",
        imageUri: shown(props.imageUri),
      };
    }
    case "docker:index/image:Image":
      return { platform: props.build?.platform, imageName: shown(props.imageName) };
    case "aws:ecr/repository:Repository":
      return { scanOnPush: props.imageScanningConfiguration?.scanOnPush, tags: props.imageTagMutability };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { name: shown(props.name), retentionDays: props.retentionInDays ?? "never expires" };
    case "aws:apigatewayv2/stage:Stage":
      return {
        throttling: `${props.defaultRouteSettings?.throttlingBurstLimit ?? "-"} burst / ${props.defaultRouteSettings?.throttlingRateLimit ?? "-"} rps`,
        accessLogs: props.accessLogSettings ? "on" : "off",
      };
    case "aws:apigatewayv2/route:Route":
      return { route: props.routeKey };
    case "aws:rds/instance:Instance":
      return {
        class: props.instanceClass,
        engine: `${props.engine} ${props.engineVersion}`,
        multiAz: props.multiAz,
        encrypted: props.storageEncrypted,
        backups: `${props.backupRetentionPeriod} days`,
        deletionProtection: props.deletionProtection,
      };
    case "aws:rds/proxy:Proxy":
      return { requireTls: props.requireTls, iamAuth: (props.auths ?? []).map((auth: { iamAuth?: string }) => auth.iamAuth).join(",") };
    case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
      return {
        port: props.fromPort === props.toPort ? props.fromPort : `${props.fromPort}-${props.toPort}`,
        from: props.cidrIpv4 ?? props.cidrIpv6 ?? "a security group",
      };
    case "aws:sqs/queue:Queue":
      return {
        // SQS's default when the queue sets none (CreateQueue's VisibilityTimeout).
        visibilityTimeout: props.visibilityTimeoutSeconds === undefined ? "30 s (SQS default)" : `${props.visibilityTimeoutSeconds} s`,
        // The redrive policy names the DLQ's ARN, which AWS assigns, so the whole of it is known after deploy.
        ...(props.redrivePolicy !== undefined && {
          maxReceiveCount: typeof props.redrivePolicy === "string" ? JSON.parse(props.redrivePolicy).maxReceiveCount : AFTER_DEPLOY,
        }),
        encrypted: props.sqsManagedSseEnabled ?? props.kmsMasterKeyId !== undefined,
      };
    case "aws:lambda/eventSourceMapping:EventSourceMapping":
      return {
        batchSize: props.batchSize,
        window: `${props.maximumBatchingWindowInSeconds ?? 0} s`,
        maximumConcurrency: props.scalingConfig?.maximumConcurrency ?? "unlimited",
        partialBatch: (props.functionResponseTypes ?? []).includes("ReportBatchItemFailures"),
      };
    case "awsx:ec2:Vpc":
      return { zones: props.numberOfAvailabilityZones, nat: props.natGateways?.strategy };
    default:
      return {};
  }
}

function treeOf(resources: RegisteredResource[]): PlanNode[] {
  const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
  const nodes = new Map(
    resources.map((resource) => [
      resource.urn,
      { type: resource.type, name: resource.name, settings: settingsOf(resource, byUrn), children: [] as PlanNode[] },
    ]),
  );
  const roots: PlanNode[] = [];
  for (const resource of resources) {
    const parent = resource.parent ? nodes.get(resource.parent) : undefined;
    (parent?.children ?? roots).push(nodes.get(resource.urn)!);
  }
  return roots;
}

/** A Mermaid flowchart of the components and which feeds which (from resource dependencies). */
export function mermaidDiagram(resources: RegisteredResource[]): string {
  const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
  const componentOf = (resource: RegisteredResource): RegisteredResource =>
    resource.parent && byUrn.has(resource.parent) ? componentOf(byUrn.get(resource.parent)!) : resource;
  const id = (resource: RegisteredResource) => `${resource.type}_${resource.name}`.replace(/[^A-Za-z0-9_]/g, "_");
  const components = resources.filter((resource) => !resource.custom && !resource.parent);
  const edges = new Set<string>();
  for (const resource of resources) {
    const to = componentOf(resource);
    for (const dependency of resource.dependencies.flatMap((urn) => byUrn.get(urn) ?? [])) {
      const from = componentOf(dependency);
      if (from !== to) edges.add(`  ${id(from)} --> ${id(to)}`);
    }
  }
  return [
    "flowchart LR",
    ...components.map((component) => `  ${id(component)}["${component.type.split(":").pop()}<br/>${component.name}"]`),
    ...[...edges].sort(),
    "",
  ].join("\n");
}

/** Builds the plan of one stack. Throws with a clear message for an unknown stack or a bad stack file. */
export async function plan(
  stack: string,
  policyConfig: PolicyConfig = {},
  projectDir = ".",
  configFile?: string,
): Promise<{ plan: Plan; resources: RegisteredResource[] }> {
  const { resources } = await evaluateStack(stack, readStackConfig(stack, projectDir, configFile), true);
  const report = await runPolicies(resources, policyConfig);
  const count = (level: string) => report.violations.filter((violation) => violation.enforcementLevel === level).length;
  return {
    resources,
    plan: {
      stack,
      resources: treeOf(resources),
      violations: report.violations,
      skipped: report.skipped,
      summary: {
        resources: resources.filter((resource) => resource.custom).length,
        mandatory: count("mandatory"),
        advisory: count("advisory"),
      },
    },
  };
}
