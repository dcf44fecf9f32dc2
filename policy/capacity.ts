import type { PolicyResource } from "@pulumi/policy";
import { FUNCTION_TAGS } from "../components/container-function";
import { AWS_LIMITS } from "../components/aws-limits";
import { GravitonPolicy, TYPES } from "./definition";

const MINIMUM_UNRESERVED = AWS_LIMITS.lambdaUnreservedConcurrency.min;

/** Each function with the concurrency provisioned on it (its aliases' and versions' together). */
function withProvisioned(resources: PolicyResource[]): { fn: PolicyResource; provisioned: number }[] {
  const provisioned = new Map<unknown, number>();
  for (const config of resources.filter((resource) => resource.type === TYPES.provisionedConcurrency))
    provisioned.set(
      config.props.functionName,
      (provisioned.get(config.props.functionName) ?? 0) + Number(config.props.provisionedConcurrentExecutions ?? 0),
    );
  return resources
    .filter((resource) => resource.type === TYPES.lambdaFunction)
    .map((fn) => ({ fn, provisioned: provisioned.get(fn.props.name) ?? 0 }));
}

/** A function's declared peak concurrency (Little's law: requests per second x duration), if it declares its traffic. */
function neededConcurrency(fn: PolicyResource): { rps: number; durationMs: number; needed: number } | undefined {
  const rps = Number(fn.props.tags?.[FUNCTION_TAGS.expectedRps]);
  const durationMs = Number(fn.props.tags?.[FUNCTION_TAGS.expectedDurationMs]);
  if (!(rps > 0 && durationMs > 0)) return undefined;
  return { rps, durationMs, needed: Math.ceil((rps * durationMs) / 1000) };
}

const reservationOf = (fn: PolicyResource): number | undefined => {
  const reserved = fn.props.reservedConcurrentExecutions;
  return reserved === undefined || reserved < 0 ? undefined : reserved;
};

export const capacityPolicies: GravitonPolicy[] = [
  {
    name: "capacity-unreserved-headroom",
    description: `Reserved concurrency of all functions, and the provisioned concurrency of those without a reservation (it comes out of the unreserved pool), leave at least ${MINIMUM_UNRESERVED} of the account's concurrency limit unreserved, as Lambda requires.`,
    enforcementLevel: "mandatory",
    configSchema: {
      properties: { accountConcurrencyLimit: { type: "integer", default: 1000, description: "The account's regional concurrency limit" } },
    },
    howToFix:
      "Lower reservedConcurrency or provisionedConcurrency, or raise the account's concurrency quota (Service Quotas) and this policy's accountConcurrencyLimit.",
    validateStack: (args, report) => {
      const { accountConcurrencyLimit } = args.getConfig<{ accountConcurrencyLimit: number }>();
      const taken = withProvisioned(args.resources).reduce((sum, { fn, provisioned }) => sum + (reservationOf(fn) ?? provisioned), 0);
      const unreserved = accountConcurrencyLimit - taken;
      if (unreserved < MINIMUM_UNRESERVED) {
        report(
          `Functions reserve or provision ${taken} of ${accountConcurrencyLimit}, leaving ${unreserved} unreserved; Lambda needs at least ${MINIMUM_UNRESERVED}.`,
        );
      }
    },
  },
  {
    name: "capacity-expected-traffic",
    description:
      "A function that declares its peak traffic has the concurrency it needs (Little's law: concurrency = requests per second x duration in seconds).",
    enforcementLevel: "mandatory",
    howToFix:
      "Raise the function's reservedConcurrency to at least the needed concurrency, or make it faster (more memory) so each request takes less time.",
    validateStack: (args, report) => {
      for (const fn of args.resources.filter((resource) => resource.type === TYPES.lambdaFunction)) {
        const traffic = neededConcurrency(fn);
        const reserved = reservationOf(fn);
        if (traffic && reserved !== undefined && traffic.needed > reserved) {
          report(
            `${traffic.rps} requests/s x ${traffic.durationMs} ms needs ${traffic.needed} concurrent executions; reserved concurrency is ${reserved}.`,
            fn.urn,
          );
        }
      }
    },
  },
  {
    name: "capacity-provisioned-within-reserved",
    description:
      "A function's provisioned concurrency fits its reserved concurrency: Lambda counts the one against the other and refuses more.",
    enforcementLevel: "mandatory",
    howToFix: "Raise the function's reservedConcurrency to at least its provisionedConcurrency, or provision less.",
    validateStack: (args, report) => {
      for (const { fn, provisioned } of withProvisioned(args.resources)) {
        const reserved = reservationOf(fn);
        if (reserved !== undefined && provisioned > reserved)
          report(`${fn.props.name ?? fn.name} provisions ${provisioned} but reserves only ${reserved}.`, fn.urn);
      }
    },
  },
  {
    name: "capacity-provisioned-expected-traffic",
    description:
      "Provisioned concurrency is no more than the function's declared peak concurrency (requests per second x duration): environments beyond it are billed while idle.",
    enforcementLevel: "advisory",
    howToFix: "Lower provisionedConcurrency to the declared need, or declare the traffic it is for (expectedRps, expectedDurationMs).",
    validateStack: (args, report) => {
      for (const { fn, provisioned } of withProvisioned(args.resources)) {
        const traffic = neededConcurrency(fn);
        if (traffic && provisioned > traffic.needed)
          report(
            `${fn.props.name ?? fn.name} provisions ${provisioned}; ${traffic.rps} requests/s x ${traffic.durationMs} ms needs ${traffic.needed}.`,
            fn.urn,
          );
      }
    },
  },
];
