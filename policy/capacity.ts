import { FUNCTION_TAGS } from "../components/container-function";
import { AWS_LIMITS } from "../components/aws-limits";
import { GravitonPolicy, TYPES } from "./definition";

const MINIMUM_UNRESERVED = AWS_LIMITS.lambdaUnreservedConcurrency.min;

export const capacityPolicies: GravitonPolicy[] = [
  {
    name: "capacity-unreserved-headroom",
    description: `Reserved concurrency of all functions leaves at least ${MINIMUM_UNRESERVED} of the account's concurrency limit unreserved, as Lambda requires.`,
    enforcementLevel: "mandatory",
    configSchema: {
      properties: { accountConcurrencyLimit: { type: "integer", default: 1000, description: "The account's regional concurrency limit" } },
    },
    howToFix:
      "Lower reservedConcurrency, or raise the account's concurrency quota (Service Quotas) and this policy's accountConcurrencyLimit.",
    validateStack: (args, report) => {
      const { accountConcurrencyLimit } = args.getConfig<{ accountConcurrencyLimit: number }>();
      const reserved = args.resources
        .filter((resource) => resource.type === TYPES.lambdaFunction)
        .reduce((sum, fn) => sum + Math.max(0, fn.props.reservedConcurrentExecutions ?? 0), 0);
      const unreserved = accountConcurrencyLimit - reserved;
      if (unreserved < MINIMUM_UNRESERVED) {
        report(
          `Functions reserve ${reserved} of ${accountConcurrencyLimit}, leaving ${unreserved} unreserved; Lambda needs at least ${MINIMUM_UNRESERVED}.`,
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
        const rps = Number(fn.props.tags?.[FUNCTION_TAGS.expectedRps]);
        const durationMs = Number(fn.props.tags?.[FUNCTION_TAGS.expectedDurationMs]);
        const reserved = fn.props.reservedConcurrentExecutions;
        if (!(rps > 0 && durationMs > 0) || reserved === undefined || reserved < 0) continue;
        const needed = Math.ceil((rps * durationMs) / 1000);
        if (needed > reserved) {
          report(
            `${rps} requests/s x ${durationMs} ms needs ${needed} concurrent executions; reserved concurrency is ${reserved}.`,
            fn.urn,
          );
        }
      }
    },
  },
];
