import type {
  EnforcementLevel,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { isUnknown } from "@pulumi/pulumi";
import { GravitonPolicy } from "./definition";
import { policies as packPolicies } from "./policies";

/** A policy read a value that is not known before deployment: it cannot run on this resource yet. */
class UnknownValueError extends Error {}
/** A policy said it does not apply (args.notApplicable): not a violation, not a skipped check. */
class NotApplicableError extends Error {}

const DEFAULT_OPTIONS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

/** A resource as the offline runner sees it (what tests/mock-engine.ts records). */
export interface ResourceUnderPolicy {
  type: string;
  name: string;
  urn: string;
  /** What the resource will look like: its inputs plus what is known of its outputs. */
  state: Record<string, any>;
  /** False for component resources, which policies do not see. */
  custom: boolean;
  parent?: string;
  dependencies: string[];
}

/**
 * Policy configuration in the format of `pulumi preview --policy-pack-config FILE`: per policy (or
 * "all") an enforcement level, or an object with `enforcementLevel` and the policy's own settings.
 */
export type PolicyConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface Violation {
  policy: string;
  enforcementLevel: EnforcementLevel;
  description: string;
  message: string;
  howToFix: string;
  /** The resource at fault, when the policy named one. */
  urn?: string;
}

export interface PolicyReport {
  violations: Violation[];
  /** Policies that could not run on a resource because a value it reads is unknown until deployment. */
  skipped: { policy: string; urn: string; reason: string }[];
}

/** Wraps props so that reading a value only the cloud will know throws, as CrossGuard does in preview. */
function unknownChecking(value: any, path: string[] = []): any {
  if (typeof value !== "object" || value === null) return value;
  return new Proxy(value, {
    get(target, key) {
      const inner = target[key];
      const here = [...path, String(key)];
      if (isUnknown(inner)) throw new UnknownValueError(`${here.join(".")} is not known until the resource is deployed`);
      return typeof key === "string" ? unknownChecking(inner, here) : inner;
    },
  });
}

/** The enforcement levels `--policy-pack-config` takes (Pulumi's names). */
export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;

/** The policy configuration names something the pack does not have; the message lists every problem. */
export class PolicyConfigError extends Error {
  override readonly name = "PolicyConfigError";
}

/**
 * Refuses a policy configuration that would silently do nothing or turn a policy off: an unknown policy
 * name, an unknown level (a typo such as "fatal" would otherwise disable the policy), an unknown setting.
 */
export function validatePolicyConfig(config: unknown, policies: GravitonPolicy[] = packPolicies): PolicyConfig {
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new PolicyConfigError('The policy configuration must be a JSON object such as {"all": "mandatory"}.');
  }
  const names = policies.map((policy) => policy.name);
  const levels = `one of ${ENFORCEMENT_LEVELS.join(", ")}`;
  const problems = Object.entries(config).flatMap(([name, entry]): string[] => {
    const policy = policies.find((candidate) => candidate.name === name);
    if (name !== "all" && !policy) return [`"${name}" is not a policy of this pack; the policies are all, ${names.join(", ")}`];
    const level = typeof entry === "string" ? entry : (entry as { enforcementLevel?: unknown } | null)?.enforcementLevel;
    if (typeof entry !== "string" && (entry === null || typeof entry !== "object" || Array.isArray(entry)))
      return [`"${name}" must be a level (${levels}) or an object`];
    const wrong: string[] = [];
    if (level !== undefined && !ENFORCEMENT_LEVELS.includes(level as EnforcementLevel))
      wrong.push(`"${name}" has the level ${JSON.stringify(level)}; it must be ${levels}`);
    if (typeof entry === "object") {
      const known = Object.keys(policy?.configSchema?.properties ?? {});
      for (const key of Object.keys(entry).filter((key) => key !== "enforcementLevel" && !known.includes(key))) {
        wrong.push(`"${name}" has no setting "${key}"${known.length > 0 ? `; its settings are ${known.join(", ")}` : ""}`);
      }
    }
    return wrong;
  });
  if (problems.length > 0)
    throw new PolicyConfigError(`Invalid policy configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  return config as PolicyConfig;
}

function settingsFor(policy: GravitonPolicy, config: PolicyConfig): { level: EnforcementLevel; settings: Record<string, unknown> } {
  const defaults = Object.fromEntries(
    Object.entries(policy.configSchema?.properties ?? {}).map(([key, schema]) => [key, (schema as { default?: unknown }).default]),
  );
  let level: EnforcementLevel = policy.enforcementLevel ?? "advisory";
  let settings: Record<string, unknown> = defaults;
  for (const entry of [config.all, config[policy.name]]) {
    if (typeof entry === "string") level = entry;
    else if (entry) {
      const { enforcementLevel, ...own } = entry;
      if (enforcementLevel) level = enforcementLevel;
      settings = { ...settings, ...own };
    }
  }
  return { level, settings };
}

/**
 * Runs the pack's policies over resources the way `pulumi preview --policy-pack policy` would:
 * resource policies on each resource, stack policies on all of them, with the same config format.
 */
export async function runPolicies(
  resources: ResourceUnderPolicy[],
  config: PolicyConfig = {},
  policies: GravitonPolicy[] = packPolicies,
): Promise<PolicyReport> {
  validatePolicyConfig(config, policies);
  const report: PolicyReport = { violations: [], skipped: [] };
  const custom = resources.filter((resource) => resource.custom);
  const byUrn = new Map<string, PolicyResource>();
  const policyResources = custom.map((resource) => {
    const policyResource: PolicyResource = {
      type: resource.type,
      name: resource.name,
      urn: resource.urn,
      props: unknownChecking(resource.state),
      opts: DEFAULT_OPTIONS,
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    } as PolicyResource;
    byUrn.set(resource.urn, policyResource);
    return policyResource;
  });
  for (const [index, resource] of custom.entries()) {
    policyResources[index].dependencies = resource.dependencies.flatMap((urn) => byUrn.get(urn) ?? []);
    policyResources[index].parent = resource.parent ? byUrn.get(resource.parent) : undefined;
  }

  // What every policy is handed, built once: over thousands of resources, building it per policy and
  // resource cost more than the checks. getConfig answers with the settings of the policy that runs.
  let settings: Record<string, unknown> = {};
  const common = {
    stackTags: new Map<string, string>(),
    getConfig: <T extends object>() => settings as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicableError(reason);
    },
  };
  const argsOf = policyResources.map(
    (resource) => ({ ...common, ...resource, isType: () => false, asType: () => undefined }) as ResourceValidationArgs,
  );

  for (const policy of policies) {
    const resolved = settingsFor(policy, config);
    if (resolved.level === "disabled") continue;
    const level = resolved.level;
    settings = resolved.settings;
    const record = (urn?: string) => (message: string, reportedUrn?: string) =>
      report.violations.push({
        policy: policy.name,
        enforcementLevel: level,
        description: policy.description,
        message,
        howToFix: policy.howToFix,
        urn: reportedUrn ?? urn,
      });
    const failed = (urn: string, error: unknown) => {
      if (error instanceof NotApplicableError) return;
      if (!(error instanceof UnknownValueError)) throw error;
      report.skipped.push({ policy: policy.name, urn, reason: (error as Error).message });
    };
    // A policy that answers at once is not awaited: over thousands of resources the awaits alone cost more than the checks.
    const attempt = (urn: string, run: () => unknown): Promise<void> | undefined => {
      try {
        const result = run();
        if (result instanceof Promise) return result.then(undefined, (error) => failed(urn, error));
      } catch (error) {
        failed(urn, error);
      }
      return undefined;
    };

    if ("validateStack" in policy) {
      const stackPolicy = policy as StackValidationPolicy;
      await attempt("stack", () => stackPolicy.validateStack({ ...common, resources: policyResources }, record()));
      continue;
    }
    const validations = [(policy as ResourceValidationPolicy).validateResource ?? []].flat();
    for (const args of argsOf) {
      for (const validate of validations) {
        const pending = attempt(args.urn, () => validate(args, record(args.urn)));
        if (pending) await pending;
      }
    }
  }
  return report;
}
