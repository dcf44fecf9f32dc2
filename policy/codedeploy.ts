import type { PolicyResource } from "@pulumi/policy";
import { functionNamed, GravitonPolicy, splitQualifier, TYPES } from "./definition";

const ALL_AT_ONCE = "CodeDeployDefault.LambdaAllAtOnce";

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
  return references.flatMap(({ reference, alias }) => {
    const fn = functionNamed(resources, reference);
    if (!fn || seen.has(`${fn.urn}:${alias}`)) return [];
    seen.add(`${fn.urn}:${alias}`);
    return [{ fn, alias }];
  });
}

/** The platform's rollout of a function's alias, and the deployment group it rolls out through, if any. */
function rolloutOf(resources: PolicyResource[], fn: PolicyResource, alias: string) {
  const rollout = resources.find(
    (resource) => resource.type === TYPES.rollout && resource.props.functionName === fn.props.name && resource.props.alias === alias,
  );
  const group = rollout?.props.deploymentGroup
    ? resources.find(
        (resource) =>
          resource.type === TYPES.deploymentGroup &&
          resource.props.deploymentGroupName === rollout.props.deploymentGroup &&
          resource.props.appName === rollout.props.application,
      )
    : undefined;
  return { rollout, group };
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
      for (const { fn, alias } of aliasInvocations(args.resources)) {
        const { rollout, group } = rolloutOf(args.resources, fn, alias);
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
      const alarms = args.resources.filter((resource) => resource.type === TYPES.metricAlarm);
      for (const rollout of args.resources.filter((resource) => resource.type === TYPES.rollout && resource.props.deploymentGroup)) {
        const fn = functionNamed(args.resources, String(rollout.props.functionName));
        const { group } = fn ? rolloutOf(args.resources, fn, rollout.props.alias) : { group: undefined };
        for (const alarmName of group?.props.alarmConfiguration?.alarms ?? []) {
          const alarm = alarms.find((candidate) => candidate.props.name === alarmName);
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
