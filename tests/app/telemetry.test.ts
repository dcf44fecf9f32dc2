import { strict as assert } from "node:assert";
import { capturedLogs } from "./captured-logs";
import { emfProblems, isEmf } from "./emf-specification";
import { lambdaContext } from "./lambda-context";

describe("telemetry at the EMF specification's limits", () => {
  let telemetry: typeof import("../../app/observability/telemetry");
  const saved = { ...process.env };
  after(() => (process.env = saved));
  before(() => {
    Object.assign(process.env, { POWERTOOLS_SERVICE_NAME: "worker", POWERTOOLS_METRICS_NAMESPACE: "graviton-platform/test" });
    telemetry = require("../../app/observability/telemetry");
  });

  it("a batch's 250 job durations go out as records of at most 100 values each, none lost (EMF allows 100)", async () => {
    const handler = telemetry.instrumented(async () => {
      for (let job = 0; job < 250; job++) telemetry.recordMetric("JobDuration", job);
    });
    const { lines, error } = await capturedLogs(() => handler({}, lambdaContext("worker")));
    assert.equal(error, undefined);
    const records = lines.filter(isEmf).filter((record) => "JobDuration" in record);
    for (const record of records) assert.deepEqual(emfProblems(record), [], JSON.stringify(record).slice(0, 200));
    const values = records.flatMap((record) => [record.JobDuration].flat());
    assert.deepEqual(
      values.sort((a, b) => a - b),
      Array.from({ length: 250 }, (_, job) => job),
    );
    assert.ok(records.length >= 3);
  });
});
