// npm run plan -- --stack dev [--json] [--diagram FILE] [--policy-config FILE]
// Evaluates index.ts with Pulumi.<stack>.yaml under Pulumi's mock engine (no credentials, no CLI, no
// network), prints the resource tree with the settings a reviewer checks, runs the policy pack over it,
// and exits 1 on a mandatory violation (2 on a usage or config error).
import * as pulumi from "@pulumi/pulumi";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PolicyConfig, PolicyReport, runPolicies, validatePolicyConfig } from "../policy/run-offline";
import { runCommand } from "./run-command";
import { checkStackName, listStacks, readStackConfig } from "../config";
import { evaluateStack, RegisteredResource } from "./mock-engine";
import { COMMANDS, parseCommandLine } from "./command-line";

const USAGE = COMMANDS["plan"].usage;

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

const AFTER_DEPLOY = "(known after deploy)";
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

/** `items`, comma-separated, in indented lines of at most `width` characters; an item is never split. */
function wrapped(items: string[], width: number, indent: string): string {
  const lines: string[] = [];
  for (const item of items) {
    if (lines.length > 0 && `${indent}${lines[lines.length - 1]}, ${item}`.length <= width) lines[lines.length - 1] += `, ${item}`;
    else lines.push(item);
  }
  return lines.map((line, index) => `${indent}${line}${index < lines.length - 1 ? "," : ""}\n`).join("");
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

function printTree(nodes: PlanNode[], indent = ""): string[] {
  return nodes.flatMap((node, index) => {
    const last = index === nodes.length - 1;
    const settings = Object.entries(node.settings)
      .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
      .join(" ");
    return [
      `${indent}${last ? "└─" : "├─"} ${node.type} ${node.name}${settings ? `  ${settings}` : ""}`,
      ...printTree(node.children, `${indent}${last ? "   " : "│  "}`),
    ];
  });
}

/** Builds the plan of one stack. Throws with a clear message for an unknown stack or a bad stack file. */
export async function plan(
  stack: string,
  policyConfig: PolicyConfig = {},
  projectDir = ".",
): Promise<{ plan: Plan; resources: RegisteredResource[] }> {
  if (!existsSync(`${projectDir}/Pulumi.${checkStackName(stack)}.yaml`)) {
    throw new Error(`Unknown stack "${stack}": there is no Pulumi.${stack}.yaml. Stacks here: ${listStacks(projectDir).join(", ")}.`);
  }
  const { resources } = await evaluateStack(stack, readStackConfig(stack, projectDir), true);
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

/** `type name` of a resource from its URN (the type without its parents' types). */
const resourceLabel = (urn: string | undefined) => {
  if (!urn?.includes("::")) return "the stack";
  const [type, name] = urn.split("::").slice(-2);
  return `${type.split("$").pop()} ${name}`;
};

/** The command: returns the exit code. */
export async function main(argv: string[], write: (text: string) => void = (text) => process.stdout.write(text)): Promise<number> {
  let options;
  try {
    options = parseCommandLine("plan", argv).values;
    if (!options.stack) throw new Error("--stack is required, e.g. npm run plan -- --stack dev");
  } catch (error) {
    write(`plan: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  let result;
  try {
    if (options.diagram && !existsSync(dirname(resolve(options.diagram)))) {
      throw new Error(
        `--diagram ${options.diagram}: the folder ${dirname(resolve(options.diagram))} does not exist; create it or write the diagram elsewhere`,
      );
    }
    const policyConfig = options["policy-config"] ? validatePolicyConfig(readPolicyConfigFile(options["policy-config"])) : {};
    result = await plan(options.stack, policyConfig);
    if (options.diagram) writeFileSync(options.diagram, mermaidDiagram(result.resources));
  } catch (error) {
    write(`plan: ${(error as Error).message}\n`);
    return 2;
  }
  const { plan: stackPlan } = result;

  if (options.json) {
    write(`${JSON.stringify(stackPlan, null, 2)}\n`);
  } else {
    write(
      `Stack ${stackPlan.stack}: ${stackPlan.summary.resources} resources (evaluated offline; values shown as ${AFTER_DEPLOY} come from AWS)\n\n`,
    );
    write(`${printTree(stackPlan.resources).join("\n")}\n\n`);
    for (const violation of stackPlan.violations) {
      write(`[${violation.enforcementLevel}] ${violation.policy} on ${resourceLabel(violation.urn)}\n`);
      write(`    what: ${violation.message}\n    why:  ${violation.description}\n    fix:  ${violation.howToFix}\n`);
    }
    // What needs a value only AWS assigns, in one short block (--json lists every resource and reason).
    const deferred = [...new Set(stackPlan.skipped.map((skipped) => skipped.policy))].map(
      (policy) => `${policy} (${stackPlan.skipped.filter((entry) => entry.policy === policy).length})`,
    );
    if (deferred.length > 0)
      write(
        `[checked at deploy] ${deferred.length} checks need values only AWS assigns (ARNs, image digests, policies naming ARNs):\n` +
          wrapped(deferred, 100, "    ") +
          "    (resources per check; pulumi preview --policy-pack policy runs them; npm run plan -- --json lists each)\n",
      );
    write(`\nPolicies: ${stackPlan.summary.mandatory} mandatory, ${stackPlan.summary.advisory} advisory violation(s).\n`);
    if (options.diagram) write(`Diagram written to ${options.diagram}\n`);
  }
  return stackPlan.summary.mandatory > 0 ? 1 : 0;
}

/** The JSON of a --policy-config file, or an error that names the file. */
function readPolicyConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`--policy-config ${file} cannot be read: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`--policy-config ${file} is not JSON: ${(error as Error).message}`);
  }
}

if (require.main === module) runCommand("plan", main);
