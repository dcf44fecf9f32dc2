import { strict as assert } from "node:assert";
import { DASHBOARD_LIMITS, MAX_QUERY_LOG_GROUPS } from "../components/observability";
import { stackConfigFrom, stackConfigOfText } from "../config";
import { runPolicies } from "../policy/run-offline";
import { benchPlan, planTable, scaledStackText } from "../scripts/bench-plan";
import { checkConformance } from "./aws-api/conformance";
import { modelsDir } from "./aws-api/service-models";
import { evaluateStack } from "./mock-engine";
import { Registered } from "./registered";

const FUNCTIONS = 200;
/** A Region with one of the longest names: every ARN and name the stack makes grows with it. */
const REGION = "ap-southeast-5";

/**
 * A product of 200 functions with their own image on one stack (and the app's), 100 of them tuned, 50 with
 * x86_64 twins, 20 serving routes: generated here (scripts/bench-plan.ts), never committed.
 */
describe(`Scale: ${FUNCTIONS} functions with their own image on one stack`, function () {
  this.timeout(600_000);

  it("plans with exit 0 and no mandatory violation, in at most 4x the dev plan's time (dev planned before and after it, in the same run) and 1 GB", () => {
    const costs = benchPlan([FUNCTIONS]);
    console.log(`${planTable(costs)}\n`); // CI's log keeps the figures
    const [dev, scaled] = costs;
    assert.equal(scaled.mandatory, 0);
    assert.ok(scaled.resources > 10 * dev.resources, `${scaled.resources} resources`);
    assert.ok(scaled.seconds <= 4 * dev.seconds, `${scaled.seconds.toFixed(1)} s against dev's ${dev.seconds.toFixed(1)} s`);
    assert.ok(scaled.maxRssMb <= 1024, `${Math.round(scaled.maxRssMb)} MB at peak`);
  });

  describe(`every limit AWS sets on what the stack registers holds, in ${REGION}`, () => {
    let registered: Registered;
    let outputs: Record<string, any>;
    const config = stackConfigOfText(scaledStackText(FUNCTIONS, REGION), "the scaled stack");
    before(async () => {
      ({ resources: registered, outputs } = await evaluateStack(`scale-${FUNCTIONS}`, config).then((deployment) => ({
        resources: new Registered(deployment.resources),
        outputs: deployment.outputs,
      })));
    });

    it("its config is what the issue asks: 200 functions with their own image, 100 tuned, 50 twins, routes", () => {
      const stack = stackConfigFrom(config);
      assert.equal(stack.ownImageFunctions.length, FUNCTIONS);
      assert.equal(stack.tuning.functions.length, 100);
      assert.equal(stack.ownImageFunctions.filter((fn) => fn.compareArchitectures).length, 50);
      assert.ok(stack.ownImageFunctions.filter((fn) => fn.route).length >= 20);
    });

    it("every request within AWS's API models and documented rules: IAM policy sizes and counts, names, permissions, CodeDeploy", function () {
      if (!modelsDir()) this.skip(); // the conformance test says how to install botocore's models
      const result = checkConformance(registered.resources);
      assert.deepEqual([...result.unknownTypes, ...result.unmapped], []);
      assert.deepEqual(result.violations, []);
    });

    it("no mandatory policy violation", async () => {
      const { violations } = await runPolicies(registered.resources);
      assert.deepEqual(
        violations.filter((violation) => violation.enforcementLevel === "mandatory"),
        [],
      );
    });

    it("the saved queries search every function's log group, at most 50 each (the console's limit)", () => {
      const logGroups = registered.all("aws:cloudwatch/logGroup:LogGroup").filter((group) => group.inputs.name.startsWith("/aws/lambda/"));
      const queries = registered.all("aws:cloudwatch/queryDefinition:QueryDefinition");
      for (const query of queries) assert.ok(query.inputs.logGroupNames.length <= MAX_QUERY_LOG_GROUPS, query.inputs.name);
      const coldStarts = queries.filter((query) => query.inputs.name.includes("/cold-starts"));
      assert.deepEqual(
        coldStarts.flatMap((query) => query.inputs.logGroupNames).sort(),
        logGroups
          .map((group) => group.inputs.name)
          .filter((name) => !name.endsWith("-hook"))
          .sort(),
      );
    });

    it("the dashboards: each within 500 widgets, 500 metrics a widget, 100 alarms an alarm widget and 1 MB; every one in the outputs", () => {
      const dashboards = registered.all("aws:cloudwatch/dashboard:Dashboard");
      assert.ok(dashboards.length > 1);
      for (const dashboard of dashboards) {
        const body = dashboard.inputs.dashboardBody;
        assert.ok(Buffer.byteLength(body) <= DASHBOARD_LIMITS.bodyBytes, `${dashboard.name}: ${Buffer.byteLength(body)} bytes`);
        const { widgets } = JSON.parse(body);
        assert.ok(widgets.length <= DASHBOARD_LIMITS.widgets, `${dashboard.name}: ${widgets.length} widgets`);
        for (const widget of widgets) {
          if (widget.type === "metric") assert.ok(widget.properties.metrics.length <= 500);
          if (widget.type === "alarm") assert.ok(widget.properties.alarms.length <= DASHBOARD_LIMITS.alarmsPerWidget);
        }
      }
      assert.deepEqual([...outputs.monitoring.dashboardNames].sort(), dashboards.map((dashboard) => dashboard.inputs.dashboardName).sort());
    });
  });
});
