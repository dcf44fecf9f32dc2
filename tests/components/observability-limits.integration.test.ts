import { strict as assert } from "node:assert";
import type * as aws from "@pulumi/aws";
import { alarmSettings, alarmSpecs, DASHBOARD_LIMITS } from "../../components/observability";
import { dashboardBodies } from "../../components/observability/dashboard";
import type { Registered } from "../registered";
import { ARGS, ALARM, DASHBOARD, deploy, NAMESPACE, QUERY } from "./observability-fixture";

/** Observability at the sizes where CloudWatch's limits bind: the saved queries' 50 log groups, the dashboards' 500 widgets. */
describe("Observability at scale: split where CloudWatch's limits bind", function () {
  this.timeout(60_000);

  it("at 200 functions with the longest names, keeps every dashboard within CloudWatch's limits and shows every alarm once", async () => {
    const longest = (index: number) => `${String(index).padStart(3, "0")}${"f".repeat(37)}`;
    const functions = Array.from({ length: 200 }, (_, index) => ({
      name: longest(index),
      variants: [{ name: `${longest(index)}-abcdefg`, logGroupName: `/aws/lambda/${longest(index)}-abcdefg` }],
      timeoutSeconds: 900,
      concurrencyLimit: 10000,
    }));
    const largest = await deploy({ functions });
    const alarms = largest.all(ALARM).length;
    assert.ok(alarms > DASHBOARD_LIMITS.alarmsPerWidget, `${alarms} alarms: more than one alarm widget holds`);
    const widgets = largest.all(DASHBOARD).flatMap((dashboard) => {
      const body = dashboard.inputs.dashboardBody;
      assert.ok(Buffer.byteLength(body) <= DASHBOARD_LIMITS.bodyBytes, `${Buffer.byteLength(body)} bytes`);
      const { widgets: own } = JSON.parse(body);
      assert.ok(own.length <= DASHBOARD_LIMITS.widgets, `${own.length} widgets`);
      return own;
    });
    assert.ok(largest.all(DASHBOARD).length > 1, "200 functions' rows need more than one dashboard");
    const alarmWidgets = widgets.filter((widget: any) => widget.type === "alarm");
    for (const widget of alarmWidgets) assert.ok(widget.properties.alarms.length >= 1 && widget.properties.alarms.length <= 100);
    assert.equal(alarmWidgets.flatMap((widget: any) => widget.properties.alarms).length, alarms, "every alarm is on the dashboards once");
    const rows = widgets.filter(
      (widget: any) => widget.type === "metric" && / invocations, errors, throttles/.test(widget.properties.title),
    );
    assert.equal(rows.length, 200, "every function's row, on one dashboard or the next");
  });

  /** `count` functions, each with an x86_64 twin: two log groups and two variants each. */
  const functions = (count: number) =>
    Array.from({ length: count }, (_, index) => ({
      name: `fn-${index}`,
      variants: [
        { name: `fn-${index}`, logGroupName: `/aws/lambda/fn-${index}` },
        { name: `fn-${index}-x86_64`, logGroupName: `/aws/lambda/fn-${index}-x86_64` },
      ],
      timeoutSeconds: 3,
    }));

  it("splits each saved query at the console's 50 log groups: 50 make one, 52 make two, every group in exactly one", async () => {
    const partsOf = (registered: Registered, query: string) =>
      registered
        .all(QUERY)
        .filter((definition) => String(definition.inputs.name).startsWith(`${NAMESPACE}/${query}`))
        .map((definition) => [definition.inputs.name, definition.inputs.logGroupNames.length])
        .sort();
    assert.deepEqual(partsOf(await deploy({ functions: functions(25) }), "concurrency-1s"), [[`${NAMESPACE}/concurrency-1s`, 50]]);
    const split = await deploy({ functions: functions(26) });
    assert.deepEqual(partsOf(split, "concurrency-1s"), [
      [`${NAMESPACE}/concurrency-1s (1 of 2)`, 50],
      [`${NAMESPACE}/concurrency-1s (2 of 2)`, 2],
    ]);
    const searched = split
      .all(QUERY)
      .filter((definition) => definition.inputs.name.includes("/cold-starts"))
      .flatMap((definition) => definition.inputs.logGroupNames);
    assert.deepEqual(
      searched.sort(),
      functions(26)
        .flatMap((fn) => fn.variants.map((variant) => variant.logGroupName))
        .sort(),
    );
    // The first part keeps the logical name a stack deployed before the split has.
    assert.ok(split.one(QUERY, "observe-concurrency-1s") && split.one(QUERY, "observe-concurrency-1s-2"));
  });

  it("puts functions' rows on further dashboards past CloudWatch's 500 widgets, a row never split, each body under 1 MB", async () => {
    const sized = async (count: number) => {
      const registered = await deploy({ functions: functions(count) });
      return registered.all(DASHBOARD).map((dashboard) => {
        const body = JSON.parse(dashboard.inputs.dashboardBody);
        assert.ok(
          dashboard.inputs.dashboardBody.length <= DASHBOARD_LIMITS.bodyBytes,
          `${dashboard.name}: ${dashboard.inputs.dashboardBody.length} bytes`,
        );
        for (const widget of body.widgets) if (widget.type === "metric") assert.ok(widget.properties.metrics.length <= 500);
        return [dashboard.inputs.dashboardName, body.widgets.length];
      });
    };
    // The most functions one dashboard holds (each row is 3 widgets, and each function adds alarms, so alarm
    // widgets), found with the dashboards' own layout, then the component at that size and one more.
    const pages = (count: number) => {
      const args = { ...ARGS, functions: functions(count) };
      const alarms = alarmSpecs(args, alarmSettings.parse({})).map(() => ({ arn: "arn" }) as unknown as aws.cloudwatch.MetricAlarm);
      return dashboardBodies(args, alarmSettings.parse({}), "us-east-1", alarms).length;
    };
    let [fitting, tooMany] = [1, 500];
    while (tooMany - fitting > 1) {
      const middle = Math.floor((fitting + tooMany) / 2);
      if (pages(middle) === 1) fitting = middle;
      else tooMany = middle;
    }
    assert.deepEqual((await sized(fitting)).length, 1);
    const past = (await sized(fitting + 1)).sort();
    assert.deepEqual(
      past.map(([name]) => name),
      ["graviton-platform-test", "graviton-platform-test-2"],
    );
    assert.deepEqual(past[1][1], 1 + 3, "a heading and the one row that did not fit");
  });
});
