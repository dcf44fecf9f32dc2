import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { LIVE_ALIAS } from "../../app/functions";
import { PROJECT, readStackConfig, stackConfigFrom } from "../../config";
import { evaluateStack, type RegisteredResource } from "../mock-engine";
import { Registered } from "../registered";

const FUNCTION = "aws:lambda/function:Function";
const ALIAS = "aws:lambda/alias:Alias";
const GROUP = "aws:codedeploy/deploymentGroup:DeploymentGroup";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const ROLLOUT = "pulumi-nodejs:dynamic/graviton:Rollout:Resource";
const POLICY = "aws:iam/rolePolicy:RolePolicy";

/** A stack's file with some functions' settings changed, as `pulumi config set --path` would. */
function withFunctions(stack: string, settings: Record<string, object>): Record<string, string> {
  const config = readStackConfig(stack);
  const key = `${PROJECT}:functions`;
  const functions = JSON.parse(config[key] ?? "{}");
  for (const [name, more] of Object.entries(settings)) functions[name] = { ...functions[name], ...more };
  return { ...config, [key]: JSON.stringify(functions) };
}

/** The stack's serving functions (a route or a caller), as the config resolves them. */
const servingFunctions = (stack: string, config = readStackConfig(stack)) =>
  stackConfigFrom(config).everyFunction.filter((fn) => fn.live !== undefined);

const statementsOf = (policy: RegisteredResource): any[] => JSON.parse(policy.inputs.policy).Statement;

describe("Rollouts: every serving function behind its live alias, new versions moved by CodeDeploy or all at once", function () {
  this.timeout(60_000);

  it("prod: every caller invokes a serving function's live alias (routes and their permissions, the authorizer, the queue's mapping)", async () => {
    const registered = new Registered((await evaluateStack("prod")).resources);
    const serving = servingFunctions("prod");
    // The platform's own serving functions (and the examples' routes, where they are kept); never the two that serve nothing.
    for (const name of ["get-job", "worker", "ws-authorizer"])
      assert.ok(
        serving.some((fn) => fn.name === name),
        name,
      );
    assert.ok(!serving.some((fn) => ["power-tuning", "migrate"].includes(fn.name)));
    for (const fn of serving) {
      const deployed = registered.one(FUNCTION, fn.name);
      assert.equal(deployed.inputs.publish, true, `${fn.name} publishes a version on every change`);
      const alias = registered.one(ALIAS, `${fn.name}-${LIVE_ALIAS}`);
      assert.deepEqual([alias.inputs.name, alias.inputs.functionName], [LIVE_ALIAS, deployed.state.name]);
    }
    const aliasArn = (name: string) => `${registered.one(FUNCTION, name).state.arn}:${LIVE_ALIAS}`;
    const integrations = registered
      .all("aws:apigatewayv2/integration:Integration")
      .filter((i) => i.inputs.integrationType === "AWS_PROXY" && !i.inputs.integrationSubtype); // Lambda's, not SQS's
    const routed = serving.filter((fn) => fn.route !== undefined);
    assert.ok(routed.some((fn) => fn.name === "get-job"));
    assert.deepEqual(
      integrations.map((i) => i.inputs.integrationUri).sort(),
      routed.map((fn) => aliasArn(fn.name)).sort(),
      "one integration per route, each on its function's live alias",
    );
    const permissions = registered.all("aws:lambda/permission:Permission");
    assert.equal(permissions.length, routed.length + 1, "one per route, and the WebSocket authorizer's");
    for (const permission of permissions) assert.equal(permission.inputs.qualifier, LIVE_ALIAS, permission.name);
    const authorizer = registered.all("aws:apigatewayv2/authorizer:Authorizer").find((a) => a.inputs.authorizerType === "REQUEST")!;
    assert.ok(authorizer.inputs.authorizerUri.includes(`${aliasArn("ws-authorizer")}/invocations`));
    const mapping = registered.all("aws:lambda/eventSourceMapping:EventSourceMapping")[0];
    assert.equal(mapping.inputs.functionName, aliasArn("worker"));
    // Functions that serve nothing publish nothing and have no alias.
    for (const name of ["power-tuning", "migrate"]) {
      assert.notEqual(registered.one(FUNCTION, name).inputs.publish, true);
      assert.equal(registered.all(ALIAS).filter((alias) => alias.name === `${name}-${LIVE_ALIAS}`).length, 0);
    }
  });

  it("prod: each serving function has a canary deployment group that rolls back on its own alias's errors, throttles and duration", async () => {
    const registered = new Registered((await evaluateStack("prod")).resources);
    const alarms = new Map(registered.all(ALARM).map((alarm) => [alarm.state.name, alarm]));
    for (const fn of servingFunctions("prod")) {
      const group = registered.one(GROUP, `rollouts-${fn.name}`);
      assert.equal(group.inputs.deploymentConfigName, "CodeDeployDefault.LambdaCanary10Percent5Minutes");
      assert.deepEqual(group.inputs.deploymentStyle, { deploymentType: "BLUE_GREEN", deploymentOption: "WITH_TRAFFIC_CONTROL" });
      assert.deepEqual(group.inputs.autoRollbackConfiguration, {
        enabled: true,
        events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
      });
      assert.equal(group.inputs.alarmConfiguration.enabled, true);
      const functionName = registered.one(FUNCTION, fn.name).state.name;
      const watched = group.inputs.alarmConfiguration.alarms.map((name: string) => alarms.get(name));
      assert.deepEqual(watched.map((alarm: RegisteredResource) => alarm?.inputs.metricName).sort(), ["Duration", "Errors", "Throttles"]);
      for (const alarm of watched)
        assert.deepEqual(alarm.inputs.dimensions, { FunctionName: functionName, Resource: `${functionName}:${LIVE_ALIAS}` }, alarm.name);
      // CodeDeploy moves the alias: no later up moves it back.
      assert.deepEqual(registered.one(ALIAS, `${fn.name}-${LIVE_ALIAS}`).ignoreChanges, ["functionVersion", "routingConfig"]);
      const rollout = registered.one(ROLLOUT, `rollouts-${fn.name}`);
      assert.equal(rollout.inputs.deploymentGroup, fn.name);
      // The wait covers the canary's 5 minutes and the margin, never less.
      assert.equal(rollout.inputs.waitSeconds, (5 + 10) * 60);
    }
    // The CodeDeploy role may move these aliases and nothing else.
    const role = registered.one(POLICY, "rollouts-codedeploy");
    const shift = statementsOf(role).find((statement) => statement.Sid === "ShiftLiveAliases");
    assert.deepEqual(
      shift.Resource.sort(),
      servingFunctions("prod")
        .map((fn) => `${registered.one(FUNCTION, fn.name).state.arn}:${LIVE_ALIAS}`)
        .sort(),
    );
  });

  it("dev: all at once unless configured: no CodeDeploy, Pulumi moves the aliases, and each rollout only removes unused versions", async () => {
    const registered = new Registered((await evaluateStack("dev")).resources);
    assert.equal(registered.all("aws:codedeploy/application:Application").length, 0);
    assert.equal(registered.all(GROUP).length, 0);
    for (const fn of servingFunctions("dev")) {
      assert.deepEqual(registered.one(ALIAS, `${fn.name}-${LIVE_ALIAS}`).ignoreChanges, []);
      const rollout = registered.one(ROLLOUT, `rollouts-${fn.name}`);
      assert.equal(rollout.inputs.deploymentGroup, undefined);
    }
    // Configured: one function's own config makes it gradual, the rest stay all at once.
    const canary = withFunctions("dev", { "get-job": { deploymentConfig: "CodeDeployDefault.LambdaLinear10PercentEvery1Minute" } });
    const gradual = new Registered((await evaluateStack("dev", canary)).resources);
    assert.deepEqual(
      gradual.all(GROUP).map((group) => [group.name, group.inputs.deploymentConfigName]),
      [["rollouts-get-job", "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"]],
    );
    assert.equal(gradual.one(ROLLOUT, "rollouts-get-job").inputs.waitSeconds, (10 + 10) * 60);
  });

  it("functions.get-job.provisionedConcurrency: 2 keeps two environments initialized on its live alias, not on a version", async () => {
    const config = withFunctions("prod", { "get-job": { provisionedConcurrency: 2 } });
    const registered = new Registered((await evaluateStack("prod", config)).resources);
    const [provisioned] = registered.all("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig");
    assert.deepEqual(
      [provisioned.inputs.functionName, provisioned.inputs.qualifier, provisioned.inputs.provisionedConcurrentExecutions],
      [registered.one(FUNCTION, "get-job").state.name, LIVE_ALIAS, 2],
    );
    assert.equal(registered.all("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig").length, 1);
  });

  it("preTraffic: true deploys the platform's check for that function alone: its sample event, its one group, its function's versions", async () => {
    const config = withFunctions("prod", { "get-job": { preTraffic: true } });
    const registered = new Registered((await evaluateStack("prod", config)).resources);
    const hook = registered.one(FUNCTION, "get-job-hook");
    const getJob = registered.one(FUNCTION, "get-job");
    assert.deepEqual(hook.inputs.imageConfig.commands, ["pre-traffic.handler"]);
    assert.equal(
      hook.inputs.environment.variables.PRE_TRAFFIC_EVENT,
      JSON.stringify(JSON.parse(readFileSync("app/events/get-job.json", "utf8"))),
    );
    assert.equal(hook.inputs.reservedConcurrentExecutions, 1);
    assert.equal(hook.inputs.timeout, getJob.inputs.timeout + 30, "time for the new version's whole timeout, and to report");
    assert.deepEqual(hook.inputs.architectures, getJob.inputs.architectures);
    const group = registered.one(GROUP, "rollouts-get-job");
    const grant = statementsOf(registered.one(POLICY, "get-job-check"));
    assert.deepEqual(grant, [
      {
        Sid: "ReportToItsDeploymentGroup",
        Effect: "Allow",
        Action: ["codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"],
        Resource: group.state.arn,
      },
      { Sid: "TryNewVersions", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: `${getJob.state.arn}:*` },
    ]);
    const codedeploy = statementsOf(registered.one(POLICY, "rollouts-codedeploy"));
    assert.deepEqual(codedeploy.find((statement) => statement.Sid === "RunChecks").Resource, [hook.state.arn]);
    const rollout = registered.one(ROLLOUT, "rollouts-get-job");
    assert.equal(rollout.inputs.beforeAllowTraffic, hook.state.name);
    assert.equal(rollout.inputs.waitSeconds, (5 + 10) * 60 + hook.inputs.timeout);
    // A failing check is noticed: it has its own Errors alarm.
    assert.ok(
      registered
        .all(ALARM)
        .some((alarm) => alarm.inputs.dimensions.FunctionName === hook.state.name && alarm.inputs.metricName === "Errors"),
    );
    // On an all-at-once stack the check still runs: through CodeDeploy's all-at-once config.
    const dev = new Registered((await evaluateStack("dev", withFunctions("dev", { "get-job": { preTraffic: true } }))).resources);
    assert.equal(dev.one(GROUP, "rollouts-get-job").inputs.deploymentConfigName, "CodeDeployDefault.LambdaAllAtOnce");
    assert.deepEqual(dev.one(ALIAS, `get-job-${LIVE_ALIAS}`).ignoreChanges, ["functionVersion", "routingConfig"]);
  });

  it("switching architecture changes the same function in place: one role, no DLQ, a new version of the other architecture for the canary", async () => {
    const arm = new Registered((await evaluateStack("prod")).resources);
    const x86 = new Registered((await evaluateStack("prod", withFunctions("prod", { "get-job": { architecture: "x86_64" } }))).resources);
    const [before, after] = [arm.one(FUNCTION, "get-job"), x86.one(FUNCTION, "get-job")];
    // The same resource (URN), so Pulumi updates it (UpdateFunctionCode with Architectures) and publishes a version.
    assert.equal(after.urn, before.urn);
    assert.deepEqual([before.inputs.architectures, after.inputs.architectures], [["arm64"], ["x86_64"]]);
    assert.match(after.inputs.imageUri, /@sha256:/);
    assert.notEqual(after.inputs.imageUri, before.inputs.imageUri, "the image built for the new architecture");
    // What a weighted alias needs of its two versions (lambda-traffic-shifting-using-aliases.html): the same role, the same (no) DLQ.
    assert.equal(after.inputs.role, before.inputs.role);
    assert.equal(after.inputs.deadLetterConfig, undefined);
    assert.equal(after.inputs.publish, true);
    assert.equal(x86.one(GROUP, "rollouts-get-job").inputs.deploymentConfigName, "CodeDeployDefault.LambdaCanary10Percent5Minutes");
  });
});
