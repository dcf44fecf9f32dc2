import type { z } from "zod";
import { AppFunction, AppFunctionName, appFunctions } from "../app/functions";
import { AWS_LIMITS } from "../components/aws-limits";
import { PREDEFINED_DEPLOYMENT_CONFIGS } from "../components/rollout-settings";

/** What a function's rollout keys are checked against: whether it serves traffic, and its reservation. */
interface RolloutSubject {
  deploymentConfig?: string;
  provisionedConcurrency?: number;
  reservedConcurrency?: number;
}

/** The parts of the parsed config these rules read. */
interface RolloutConfig {
  deploymentConfig: string;
  deploymentConfigs: Record<string, unknown>;
  functions: Partial<Record<AppFunctionName, RolloutSubject>>;
  ownImageFunctions: Record<string, RolloutSubject & { route?: string }>;
}

/** A function of the app serves traffic when it has an HTTP route or a caller (app/functions.ts). */
export function appFunctionServes(name: AppFunctionName): boolean {
  const fn: AppFunction = appFunctions[name];
  return fn.route !== undefined || fn.calledBy !== undefined;
}

/**
 * The account's default concurrency quota (Lambda quotas page) less what Lambda keeps unreserved: the most
 * provisioned concurrency one function without a reservation can be given. The capacity policy checks the
 * stack's total against the account's real quota (its accountConcurrencyLimit).
 */
const DEFAULT_ACCOUNT_CONCURRENCY = 1000;
export const MAX_UNRESERVED_PROVISIONED = DEFAULT_ACCOUNT_CONCURRENCY - AWS_LIMITS.lambdaUnreservedConcurrency.min;

/**
 * The rollout keys' rules that span keys: every deployment config named exists (CodeDeploy's or the
 * stack's own); only a function that serves traffic has a rollout or provisioned concurrency (both live
 * on its alias); provisioned concurrency fits the function's reservation, or the account's unreserved pool.
 */
export function checkRollouts(config: RolloutConfig, context: z.RefinementCtx): void {
  const known = [...Object.keys(PREDEFINED_DEPLOYMENT_CONFIGS), ...Object.keys(config.deploymentConfigs)];
  const checkName = (name: string | undefined, path: PropertyKey[]) => {
    if (name !== undefined && !known.includes(name))
      context.addIssue({
        code: "custom",
        path,
        message: `names ${name}, which is neither one of CodeDeploy's Lambda deployment configs nor one of deploymentConfigs: use one of ${known.join(", ")}, or define it under deploymentConfigs`,
      });
  };
  checkName(config.deploymentConfig, ["deploymentConfig"]);
  const subjects: [PropertyKey[], RolloutSubject, boolean][] = [
    ...Object.entries(config.functions).map(([name, fn]): [PropertyKey[], RolloutSubject, boolean] => [
      ["functions", name],
      fn ?? {},
      appFunctionServes(name as AppFunctionName),
    ]),
    ...Object.entries(config.ownImageFunctions).map(([name, fn]): [PropertyKey[], RolloutSubject, boolean] => [
      ["ownImageFunctions", name],
      fn,
      fn.route !== undefined,
    ]),
  ];
  for (const [path, fn, serves] of subjects) {
    const issue = (key: string, message: string) => context.addIssue({ code: "custom", path: [...path, key], message });
    checkName(fn.deploymentConfig, [...path, "deploymentConfig"]);
    for (const key of ["deploymentConfig", "provisionedConcurrency"] as const)
      if (!serves && fn[key] !== undefined)
        issue(
          key,
          "is set on a function that serves no traffic (no route, no caller): it has no live alias to roll out to or to provision; remove it",
        );
    const provisioned = fn.provisionedConcurrency;
    if (provisioned === undefined) continue;
    if (fn.reservedConcurrency !== undefined && provisioned > fn.reservedConcurrency)
      issue(
        "provisionedConcurrency",
        `is ${provisioned}, over the function's reservedConcurrency (${fn.reservedConcurrency}): Lambda counts provisioned concurrency against the reservation; raise reservedConcurrency or provision less`,
      );
    if (fn.reservedConcurrency === undefined && provisioned > MAX_UNRESERVED_PROVISIONED)
      issue(
        "provisionedConcurrency",
        `is ${provisioned}; without a reservedConcurrency it comes from the account's unreserved pool, of which Lambda keeps ${AWS_LIMITS.lambdaUnreservedConcurrency.min} free: at most ${MAX_UNRESERVED_PROVISIONED} with the default quota of ${DEFAULT_ACCOUNT_CONCURRENCY} (set reservedConcurrency to provision more)`,
      );
  }
}
