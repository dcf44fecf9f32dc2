import { existsSync } from "node:fs";
import type { z } from "zod";
import { AppFunction, AppFunctionName, appFunctions } from "../app/functions";
import { AWS_LIMITS } from "../components/aws-limits";
import { compactSampleEvent, sampleEventPath } from "../components/function-settings";
import { PRE_TRAFFIC_EVENT_MAX_BYTES, PREDEFINED_DEPLOYMENT_CONFIGS } from "../components/rollout-settings";

/** What a function's rollout keys are checked against: whether it serves traffic, and its reservation. */
interface RolloutSubject {
  deploymentConfig?: string;
  provisionedConcurrency?: number;
  reservedConcurrency?: number;
  preTraffic?: true | string;
}

/** The parts of the parsed config these rules read. */
interface RolloutConfig {
  deploymentConfig: string;
  deploymentConfigs: Record<string, unknown>;
  functions: Partial<Record<AppFunctionName, RolloutSubject>>;
  ownImageFunctions: Record<string, RolloutSubject & { route?: string; context: string }>;
}

/** A function of the app serves traffic when it has an HTTP route or a caller (app/functions.ts). */
export function appFunctionServes(name: AppFunctionName): boolean {
  const fn: AppFunction = appFunctions[name];
  return fn.route !== undefined || fn.calledBy !== undefined;
}

/** The name of the platform's before-traffic check deployed for a function (`preTraffic: true`). */
export const hookFunctionName = (name: string) => `${name}-hook`;

/**
 * The account's default concurrency quota (Lambda quotas page) less what Lambda keeps unreserved: the most
 * provisioned concurrency one function without a reservation can be given. The capacity policy checks the
 * stack's total against the account's real quota (its accountConcurrencyLimit).
 */
const DEFAULT_ACCOUNT_CONCURRENCY = 1000;
const MAX_UNRESERVED_PROVISIONED = DEFAULT_ACCOUNT_CONCURRENCY - AWS_LIMITS.lambdaUnreservedConcurrency.min;

/**
 * The rollout keys' rules that span keys: every deployment config named exists (CodeDeploy's or the
 * stack's own); only a function that serves traffic has a rollout, a before-traffic check or provisioned
 * concurrency (all live on its alias); provisioned concurrency fits the function's reservation, or the
 * account's unreserved pool; a check is a function with its own image that serves nothing and checks one
 * function, or the platform's, which needs the function's sample event.
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
  const subjects = [
    ...Object.entries(config.functions).map(([name, fn]) => ({
      name,
      group: "functions",
      fn: fn ?? {},
      serves: appFunctionServes(name as AppFunctionName),
      context: undefined as string | undefined,
    })),
    ...Object.entries(config.ownImageFunctions).map(([name, fn]) => ({
      name,
      group: "ownImageFunctions",
      fn,
      serves: fn.route !== undefined,
      context: fn.context,
    })),
  ];
  const allNames = [...Object.keys(appFunctions), ...Object.keys(config.ownImageFunctions)];
  const checkedBy = new Map<string, string>();
  for (const { name, group, fn, serves, context: buildContext } of subjects) {
    const path = [group, name];
    const issue = (key: string, message: string) => context.addIssue({ code: "custom", path: [...path, key], message });
    checkName(fn.deploymentConfig, [...path, "deploymentConfig"]);
    for (const key of ["deploymentConfig", "provisionedConcurrency", "preTraffic"] as const)
      if (!serves && fn[key] !== undefined)
        issue(
          key,
          "is set on a function that serves no traffic (no route, no caller): it has no live alias to roll out to or to provision; remove it",
        );
    if (serves && fn.preTraffic === true) checkSampleEvent(name, buildContext, allNames, issue);
    if (serves && typeof fn.preTraffic === "string") {
      const hook = fn.preTraffic;
      const own = Object.keys(config.ownImageFunctions);
      if (!own.includes(hook))
        issue(
          "preTraffic",
          `names ${hook}, which is not a function with its own image (ownImageFunctions: ${own.join(", ") || "none"}); set it to true for the platform's check, or add your check under ownImageFunctions`,
        );
      else if (hook === name) issue("preTraffic", `names the function itself: a version cannot check itself before it has traffic`);
      else if (config.ownImageFunctions[hook].route !== undefined)
        issue("preTraffic", `names ${hook}, which serves a route: a check must be a function of its own that serves nothing`);
      else if (checkedBy.has(hook))
        issue(
          "preTraffic",
          `names ${hook}, which already checks ${checkedBy.get(hook)}: a check may act on one deployment group only; give ${name} a check of its own`,
        );
      else checkedBy.set(hook, name);
    }
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

/** The platform's check sends the function's sample event, carried in the check's environment (within Lambda's 4 KB), under a name of its own. */
function checkSampleEvent(
  name: string,
  buildContext: string | undefined,
  allNames: string[],
  issue: (key: string, message: string) => void,
) {
  const file = sampleEventPath({ name, context: buildContext });
  const shown = buildContext === undefined ? `app/events/${name}.json` : `${buildContext}/event.json`;
  if (!existsSync(file)) return issue("preTraffic", `is true, but ${name} has no sample event (${shown}) for the check to send: add one`);
  let bytes: number;
  try {
    bytes = Buffer.byteLength(compactSampleEvent({ name, context: buildContext }));
  } catch (error) {
    return issue("preTraffic", `is true, but ${shown} is not JSON: ${(error as Error).message}`);
  }
  if (bytes > PRE_TRAFFIC_EVENT_MAX_BYTES)
    issue(
      "preTraffic",
      `is true, but ${shown} is ${bytes} bytes as compact JSON; the check carries it in its environment, at most ${PRE_TRAFFIC_EVENT_MAX_BYTES} (Lambda's environment is 4 KB in all): shorten it, or check with a function of your own`,
    );
  if (allNames.includes(hookFunctionName(name)))
    issue(
      "preTraffic",
      `is true, and the check is deployed as ${hookFunctionName(name)}, which is already a function's name: rename that function`,
    );
}
