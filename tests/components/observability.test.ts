import { listStacks } from "../../config";
import { strict as assert } from "node:assert";
import { APP_METRICS, type AppMetricName } from "../../app/observability/metric-catalogue";
import { alarmSettings, alarmSpecs, AWS_METRICS, LOG_QUERIES } from "../../components/observability";
import { stackConfigFrom } from "../../config";
import { evaluateStack } from "../mock-engine";
import { readStackConfig } from "../../config";
import { Registered } from "../registered";
import { ALARM, ARGS, DASHBOARD, deploy, NAMESPACE, QUERY } from "./observability-fixture";

/** Each alarm as [namespace, metric, dimensions, statistic, threshold]. */
const alarmsOf = (registered: Registered) =>
  Object.fromEntries(
    registered
      .all(ALARM)
      .map(({ name, inputs }) => [
        name.replace(/^observe-/, ""),
        [inputs.namespace, inputs.metricName, inputs.dimensions, inputs.statistic ?? inputs.extendedStatistic, inputs.threshold],
      ]),
  );

describe("Observability: alarms, the dashboard and the saved queries", () => {
  let registered: Registered;
  before(async () => (registered = await deploy()));

  it("its alarms are one table of records (alarms.ts), each a documented metric, a unique id and what to do; the component makes one alarm of each", () => {
    const specs = alarmSpecs(ARGS, alarmSettings.parse({}));
    assert.equal(new Set(specs.map((spec) => spec.id)).size, specs.length, "ids are unique");
    for (const spec of specs) {
      const documented = (AWS_METRICS as Record<string, readonly string[]>)[spec.metric.namespace];
      assert.ok(documented?.includes(spec.metric.name), `${spec.id}: ${spec.metric.namespace} ${spec.metric.name}`);
      assert.match(spec.description, /[.:] [^.]*\b(check|read|run|raise|lower|find|fix|drop|then)\b/i, `${spec.id} says what to do`);
    }
    assert.deepEqual(
      registered
        .all(ALARM)
        .map(({ name }) => name)
        .sort(),
      specs.map((spec) => `observe-${spec.id}`).sort(),
    );
  });

  it("alarms on every function variant, both APIs, the queue and DLQ, the database and proxy, and the state machine, with these metrics and thresholds", () => {
    const fn = (name: string, extra: object = {}) => ({ FunctionName: name, ...extra });
    assert.deepEqual(alarmsOf(registered), {
      "primes-errors": ["AWS/Lambda", "Errors", fn("primes-arm64"), "Sum", 5],
      "primes-throttles": ["AWS/Lambda", "Throttles", fn("primes-arm64"), "Sum", 5],
      "primes-duration": ["AWS/Lambda", "Duration", fn("primes-arm64"), "p99", 9000],
      "primes-twin-errors": ["AWS/Lambda", "Errors", fn("primes-x86_64"), "Sum", 5],
      "primes-twin-throttles": ["AWS/Lambda", "Throttles", fn("primes-x86_64"), "Sum", 5],
      "primes-twin-duration": ["AWS/Lambda", "Duration", fn("primes-x86_64"), "p99", 9000],
      "worker-errors": ["AWS/Lambda", "Errors", fn("worker-fn"), "Sum", 5],
      "worker-throttles": ["AWS/Lambda", "Throttles", fn("worker-fn"), "Sum", 5],
      "worker-duration": ["AWS/Lambda", "Duration", fn("worker-fn"), "p99", 54000],
      "worker-concurrency": ["AWS/Lambda", "ConcurrentExecutions", fn("worker-fn"), "Maximum", 9],
      "http-5xx": ["AWS/ApiGateway", "5xx", { ApiId: "http-id" }, "Sum", 10],
      "http-latency": ["AWS/ApiGateway", "Latency", { ApiId: "http-id" }, "p99", 5000],
      "websocket-integration-errors": ["AWS/ApiGateway", "IntegrationError", { ApiId: "ws-id", Stage: "live" }, "Sum", 10],
      "websocket-execution-errors": ["AWS/ApiGateway", "ExecutionError", { ApiId: "ws-id", Stage: "live" }, "Sum", 10],
      "queue-oldest-job": ["AWS/SQS", "ApproximateAgeOfOldestMessage", { QueueName: "jobs-q" }, "Maximum", 300],
      "dlq-not-empty": ["AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: "jobs-dlq-q" }, "Maximum", 1],
      "proxy-borrow-latency": ["AWS/RDS", "DatabaseConnectionsBorrowLatency", { ProxyName: "db-proxy" }, "Average", 100_000],
      "proxy-client-connections": ["AWS/RDS", "ClientConnections", { ProxyName: "db-proxy" }, "Maximum", 100],
      "database-cpu": ["AWS/RDS", "CPUUtilization", { DBInstanceIdentifier: "db-instance" }, "Average", 90],
      "database-free-storage": ["AWS/RDS", "FreeStorageSpace", { DBInstanceIdentifier: "db-instance" }, "Minimum", 2 * 1024 ** 3],
      "tuning-failed": ["AWS/States", "ExecutionsFailed", { StateMachineArn: ARGS.stateMachine.arn }, "Sum", 1],
    });
  });

  it("gives every alarm a reason and what to do, the topic as its action, and fires below only for free storage", () => {
    const topic = registered.one("aws:sns/topic:Topic", "observe-alarms");
    for (const { name, inputs } of registered.all(ALARM)) {
      assert.ok(inputs.alarmDescription.length > 40, name);
      assert.deepEqual([inputs.alarmActions, inputs.okActions], [[topic.state.arn], [topic.state.arn]], name);
      assert.equal(inputs.treatMissingData, "notBreaching", name);
      assert.equal(inputs.comparisonOperator, name.endsWith("free-storage") ? "LessThanThreshold" : "GreaterThanOrEqualToThreshold", name);
    }
    assert.match(registered.one(ALARM, "observe-dlq-not-empty").inputs.alarmDescription, /npm run redrive/);
    assert.match(registered.one(ALARM, "observe-worker-throttles").inputs.alarmDescription, /npm run concurrency/);
  });

  it("keeps every alarm description within CloudWatch's 1,024 characters for the longest function name the stack accepts (40)", async () => {
    const longest = "f".repeat(40);
    const registered = await deploy({
      functions: [
        {
          name: longest,
          variants: [{ name: `${longest}-abcdefg`, logGroupName: `/aws/lambda/${longest}` }],
          timeoutSeconds: 900,
          concurrencyLimit: 10000,
        },
      ],
    });
    for (const alarm of registered.all(ALARM))
      assert.ok(alarm.inputs.alarmDescription.length <= 1024, `${alarm.name}: ${alarm.inputs.alarmDescription.length}`);
  });

  it("subscribes an email address only when alarms.email is set, and refuses one that is not an address", async () => {
    assert.equal(registered.all("aws:sns/topicSubscription:TopicSubscription").length, 0);
    const withEmail = await deploy({ email: "oncall@example.com" });
    const [subscription] = withEmail.all("aws:sns/topicSubscription:TopicSubscription");
    assert.deepEqual([subscription.inputs.protocol, subscription.inputs.endpoint], ["email", "oncall@example.com"]);
    for (const email of ["not-an-address", "a@b", "x\u0000@example.com", "a".repeat(300)]) {
      assert.throws(
        () => stackConfigFrom({ "graviton-platform:alarms": JSON.stringify({ email }) }),
        /alarms\.email must be an email address/,
      );
    }
  });

  it("takes thresholds from config, and the prod stack's are stricter than dev's for every one", () => {
    const dev = stackConfigFrom(readStackConfig("dev")).alarms;
    const prod = stackConfigFrom(readStackConfig("prod")).alarms;
    const { email: _devEmail, ...devThresholds } = dev;
    for (const [key, devValue] of Object.entries(devThresholds)) {
      const prodValue = prod[key as keyof typeof prod] as number;
      // Every threshold fires above it, except free storage, which fires below.
      if (key === "databaseFreeStoragePercent") assert.ok(prodValue > devValue, key);
      else assert.ok(prodValue <= devValue, `${key}: prod ${prodValue}, dev ${devValue}`);
    }
    assert.ok(prod.functionErrors < dev.functionErrors && prod.queueOldestMessageSeconds < dev.queueOldestMessageSeconds);
    assert.throws(
      () => stackConfigFrom({ "graviton-platform:alarms": JSON.stringify({ durationNearTimeoutPercent: 150, functionErors: 1 }) }),
      (error: Error) =>
        /durationNearTimeoutPercent must be a whole number from 10 to 100/.test(error.message) &&
        /unknown key "functionErors"/.test(error.message),
    );
  });

  describe("the dashboard", () => {
    let body: { widgets: any[] };
    before(() => (body = JSON.parse(registered.one(DASHBOARD, "observe-dashboard").inputs.dashboardBody)));

    it("is named as CloudWatch allows (letters, digits, - and _) and is valid: every widget a known type, inside the 24-column grid", () => {
      assert.match(registered.one(DASHBOARD, "observe-dashboard").inputs.dashboardName, /^[A-Za-z0-9_-]{1,255}$/);
      for (const widget of body.widgets) {
        assert.ok(["metric", "text", "alarm"].includes(widget.type), widget.type);
        assert.ok(widget.width >= 1 && widget.width <= 24 && widget.height >= 1 && widget.height <= 1000);
        if (widget.type === "metric") {
          assert.equal(widget.properties.region, "us-east-1");
          assert.ok(widget.properties.metrics.length > 0 && widget.properties.metrics.length <= 500, widget.properties.title);
        }
      }
      const alarmWidget = body.widgets.find((widget) => widget.type === "alarm");
      assert.deepEqual(
        alarmWidget.properties.alarms.sort(),
        registered
          .all(ALARM)
          .map((alarm) => alarm.state.arn)
          .sort(),
      );
    });

    it("each function's row charts the app metrics it emits, from the catalogue, and no other function's", () => {
      for (const fn of ARGS.functions) {
        const rowMetrics = body.widgets
          .filter((widget) => widget.type === "metric" && String(widget.properties.title).startsWith(`${fn.name}: `))
          .flatMap((widget) => widget.properties.metrics)
          .filter((metric: unknown[]) => metric[0] === NAMESPACE)
          .map((metric: unknown[]) => ({ name: metric[1] as AppMetricName, service: metric[3] }));
        const emitted = (Object.keys(APP_METRICS) as AppMetricName[]).filter((name) => {
          const { emittedBy } = APP_METRICS[name];
          return emittedBy === "every" || (emittedBy as readonly string[]).includes(fn.name);
        });
        assert.deepEqual([...new Set(rowMetrics.map((metric) => metric.name))].sort(), emitted.sort(), fn.name);
        assert.ok(
          rowMetrics.every((metric) => metric.service === fn.name),
          fn.name,
        );
      }
    });

    it("names only metrics the stack emits: AWS's documented ones and the app's catalogue, from the functions that emit them", () => {
      const seen = new Set<string>();
      for (const widget of body.widgets.filter((widget) => widget.type === "metric")) {
        for (const line of widget.properties.metrics) {
          const options = typeof line.at(-1) === "object" ? line.at(-1) : undefined;
          const [namespace, name, ...pairs] = options ? line.slice(0, -1) : line;
          assert.equal(pairs.length % 2, 0, `${name}: dimension names and values in pairs`);
          const dimensions: Record<string, string> = {};
          for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]] = pairs[i + 1];
          assert.ok(
            Object.values(dimensions).every((value) => typeof value === "string" && value.length > 0),
            JSON.stringify(line),
          );
          if (namespace === NAMESPACE) {
            const spec = APP_METRICS[name as AppMetricName];
            assert.ok(spec, `${name} is not a metric the functions emit`);
            const service = dimensions.service;
            assert.ok(
              spec.emittedBy === "every" || (spec.emittedBy as readonly string[]).includes(service),
              `${service} does not emit ${name}`,
            );
            const expected = "reasons" in spec ? ["reason", "service"] : ["service"];
            assert.deepEqual(Object.keys(dimensions).sort(), expected, `${name}'s dimensions, as the EMF records carry them`);
            if ("reasons" in spec) assert.ok((spec.reasons as readonly string[]).includes(dimensions.reason));
          } else {
            assert.ok(
              (AWS_METRICS[namespace as keyof typeof AWS_METRICS] as readonly string[] | undefined)?.includes(name),
              `${namespace} ${name}`,
            );
          }
          seen.add(`${namespace} ${name}`);
        }
      }
      for (const variant of ARGS.functions.flatMap((fn) => fn.variants)) {
        const charted = body.widgets.some((widget) => JSON.stringify(widget.properties.metrics ?? []).includes(`"${variant.name}"`));
        assert.ok(charted, `a row charts ${variant.name}`);
      }
    });
  });

  it("saves the Logs Insights queries over every function's log group, seed 002's 1-second concurrency among them", () => {
    const queries = registered.all(QUERY);
    assert.deepEqual(
      queries.map((query) => query.inputs.name).sort(),
      Object.keys(LOG_QUERIES)
        .map((name) => `${NAMESPACE}/${name}`)
        .sort(),
    );
    for (const query of queries)
      assert.deepEqual(query.inputs.logGroupNames, ["/aws/lambda/primes-arm64", "/aws/lambda/primes-x86_64", "/aws/lambda/worker-fn"]);
    const concurrency = LOG_QUERIES["concurrency-1s"];
    assert.match(concurrency, /filter type = "platform\.report"/);
    assert.match(concurrency, /count\(\*\) \* pct\(record\.metrics\.durationMs, 99\.5\) \/ 1000 as concurrency by bin\(1s\)/);
    assert.match(LOG_QUERIES["slowest-jobs"], /filter message = "job finished"/, "the worker's line per finished job");
  });

  it("under each stack: the component with an Errors alarm for every function and twin, the dashboard and the queries", async () => {
    for (const stack of listStacks()) {
      const stackResources = new Registered((await evaluateStack(stack)).resources);
      const functionNames = stackResources.all("aws:lambda/function:Function").map((fn) => fn.state.name);
      const errorAlarms = stackResources
        .all(ALARM)
        // The function's own (its FunctionName alone); an alias's rollback alarms (Resource too) are Rollouts'.
        .filter((alarm) => alarm.inputs.metricName === "Errors" && alarm.inputs.dimensions.Resource === undefined)
        .map((alarm) => alarm.inputs.dimensions.FunctionName);
      assert.deepEqual(errorAlarms.sort(), functionNames.sort(), stack);
      // CloudWatch refuses an AlarmDescription over 1,024 characters and a dashboard body over 1 MB.
      for (const alarm of stackResources.all(ALARM)) assert.ok(alarm.inputs.alarmDescription.length <= 1024, alarm.name);
      assert.ok(stackResources.all(DASHBOARD)[0].inputs.dashboardBody.length < 1024 * 1024);
      assert.equal(stackResources.all(DASHBOARD).length, 1);
      assert.equal(stackResources.all(QUERY).length, Object.keys(LOG_QUERIES).length);
      const dashboardName = stackResources.all(DASHBOARD)[0].inputs.dashboardName;
      assert.equal(dashboardName, `graviton-platform-${stack}`);
      // Every function of the app is on the stack, so every metric of the catalogue is charted, on its emitter's row.
      const body = stackResources.all(DASHBOARD)[0].inputs.dashboardBody;
      for (const name of Object.keys(APP_METRICS)) assert.ok(body.includes(`"${name}"`), `${stack}: the dashboard charts ${name}`);
    }
  });
});
