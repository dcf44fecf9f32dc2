import type { PolicyResource } from "@pulumi/policy";
import { ALL_AT_ONCE } from "../components/rollout-settings";
import { functionFinder, GravitonPolicy, splitQualifier, TYPES } from "./definition";

/** Each function a service invokes through an alias (permissions and event source mappings), with that alias. */
function aliasInvocations(resources: PolicyResource[]): { fn: PolicyResource; alias: string }[] {
  const references = resources.flatMap((resource) => {
    if (resource.type === TYPES.lambdaPermission && resource.props.qualifier && typeof resource.props.function === "string")
      return [{ reference: resource.props.function, alias: String(resource.props.qualifier) }];
    if (resource.type === TYPES.eventSourceMapping && typeof resource.props.functionName === "string") {
      const { qualifier } = splitQualifier(resource.props.functionName);
      return qualifier ? [{ reference: resource.props.functionName, alias: qualifier }] : [];
    }
    return [];
  });
  const seen = new Set<string>();
  const functionNamed = functionFinder(resources);
  return references.flatMap(({ reference, alias }) => {
    const fn = functionNamed(reference);
    if (!fn || seen.has(`${fn.urn}:${alias}`)) return [];
    seen.add(`${fn.urn}:${alias}`);
    return [{ fn, alias }];
  });
}

/** The deployment group a rollout moves its alias through, if it names one the stack has: an index of the stack's groups built once. */
function groupFinder(resources: PolicyResource[]): (rollout: PolicyResource) => PolicyResource | undefined {
  const groups = new Map(
    resources
      .filter((resource) => resource.type === TYPES.deploymentGroup)
      .map((group) => [`${group.props.appName}/${group.props.deploymentGroupName}`, group]),
  );
  return (rollout) =>
    rollout.props.deploymentGroup ? groups.get(`${rollout.props.application}/${rollout.props.deploymentGroup}`) : undefined;
}

/** The platform's rollouts of the stack, by function and alias, each with the deployment group it rolls out through, if any. */
function rolloutIndex(resources: PolicyResource[]) {
  const groupOf = groupFinder(resources);
  const rollouts = new Map<string, { rollout: PolicyResource; group?: PolicyResource }>();
  for (const rollout of resources.filter((resource) => resource.type === TYPES.rollout))
    rollouts.set(`${rollout.props.functionName}:${rollout.props.alias}`, { rollout, group: groupOf(rollout) });
  return (fn: PolicyResource, alias: string) => rollouts.get(`${fn.props.name}:${alias}`) ?? { rollout: undefined, group: undefined };
}

export const codedeployPolicies: GravitonPolicy[] = [
  {
    name: "codedeploy-gradual-rollout",
    description:
      "Every function services invoke through an alias gets each new version through a CodeDeploy deployment group that shifts traffic gradually and rolls back on alarms (DEPLOYMENT_STOP_ON_ALARM), so a bad version costs a share of requests for minutes, not all of them.",
    enforcementLevel: "advisory",
    howToFix:
      "Set graviton-platform:deploymentConfig (or functions.<name>.deploymentConfig) to a canary or linear config, e.g. CodeDeployDefault.LambdaCanary10Percent5Minutes.",
    validateStack: (args, report) => {
      const rolloutOf = rolloutIndex(args.resources);
      for (const { fn, alias } of aliasInvocations(args.resources)) {
        const { rollout, group } = rolloutOf(fn, alias);
        const name = `${fn.props.name ?? fn.name}:${alias}`;
        if (!rollout || !group) {
          report(`${name} moves all at once: no CodeDeploy deployment group rolls it out.`, fn.urn);
          continue;
        }
        const problems = [
          (group.props.deploymentConfigName ?? ALL_AT_ONCE) === ALL_AT_ONCE && "shifts all traffic at once",
          !(
            group.props.autoRollbackConfiguration?.enabled &&
            group.props.autoRollbackConfiguration.events?.includes("DEPLOYMENT_STOP_ON_ALARM")
          ) && "does not roll back on alarms",
          !(group.props.alarmConfiguration?.enabled && group.props.alarmConfiguration.alarms?.length > 0) && "watches no alarm",
        ].filter(Boolean);
        if (problems.length > 0) report(`${name}'s deployment group ${group.props.deploymentGroupName} ${problems.join(", ")}.`, fn.urn);
      }
    },
  },
  {
    name: "codedeploy-rollback-alarms-own-function",
    description:
      "Every alarm a deployment group rolls back on exists in the stack and watches the function that group rolls out: another function's alarm, or a missing one, would never stop a bad version.",
    enforcementLevel: "mandatory",
    howToFix: "Roll back on the function's own alarms (Rollouts creates errors, throttles and duration alarms on its live alias).",
    validateStack: (args, report) => {
      const alarms = new Map(
        args.resources.filter((resource) => resource.type === TYPES.metricAlarm).map((alarm) => [alarm.props.name, alarm]),
      );
      const groupOf = groupFinder(args.resources);
      for (const rollout of args.resources.filter((resource) => resource.type === TYPES.rollout)) {
        const group = groupOf(rollout);
        for (const alarmName of group?.props.alarmConfiguration?.alarms ?? []) {
          const alarm = alarms.get(alarmName);
          if (!alarm)
            report(
              `Deployment group ${group!.props.deploymentGroupName} rolls back on ${alarmName}, which the stack does not have.`,
              group!.urn,
            );
          else if (alarm.props.dimensions?.FunctionName !== rollout.props.functionName)
            report(
              `Deployment group ${group!.props.deploymentGroupName} rolls back on ${alarmName}, which watches ${alarm.props.dimensions?.FunctionName ?? "no function"}, not ${rollout.props.functionName}.`,
              group!.urn,
            );
        }
      }
    },
  },
];
