import { strict as assert } from "node:assert";
import { choose, generatePayloads, Measurement, PointStatistics, summarize, trimmedMean } from "../../app/tuning/analysis";
import { invocationCost, pricesFor } from "../../app/tuning/prices";
import { parseReport } from "../../app/tuning/report-line";
import { comparisonUrl, decodeVisualization, VISUALIZATION_URL, visualizationUrl } from "../../app/tuning/visualization";

const report = (durationMs: number, billedDurationMs = Math.ceil(durationMs), extra: { initDurationMs?: number } = {}) => ({
  durationMs,
  billedDurationMs,
  memorySizeMb: 1024,
  maxMemoryUsedMb: 90,
  ...extra,
});
const point = (memoryMb: number, averageDurationMs: number, averageCostUsd: number, status: "ok" | "failed" = "ok"): PointStatistics => ({
  memoryMb,
  architecture: "arm64",
  averageDurationMs,
  averageCostUsd,
  totalCostUsd: averageCostUsd * 10,
  invocations: 10,
  failures: status === "ok" ? 0 : 10,
  coldStarts: { count: 0 },
  status,
});

describe("power tuning analysis (plain functions)", () => {
  describe("trimmed mean", () => {
    it("discards the given share at each end", () => {
      assert.equal(trimmedMean([100, 1, 2, 3, 4, 5, 6, 7, 8, -50], 0.2), 4.5); // drops -50, 1 and 8, 100
      assert.equal(trimmedMean([1, 2, 3], 0), 2);
      assert.equal(trimmedMean([1, 2, 3, 4], 0.2), 2.5, "fewer than 5 values: nothing to discard");
      assert.equal(trimmedMean([10, 20, 30, 40, 50], 0.4), 30, "the maximum 0.4 keeps the middle");
    });
  });

  describe("prices", () => {
    it("uses the list prices: us-east-1 per GB-second by architecture, plus $0.20 per million requests", () => {
      assert.deepEqual(pricesFor("us-east-1").gbSecond, { x86_64: 0.0000166667, arm64: 0.0000133334 });
      const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-15, `${actual} is not ${expected}`);
      close(pricesFor("us-east-1").request, 0.0000002);
      // 100 ms at 1024 MB on arm64: 0.1 s x 1 GB x price + one request
      close(invocationCost(100, 1024, "arm64", "us-east-1"), 0.1 * 0.0000133334 + 0.0000002);
      close(invocationCost(100, 2048, "x86_64", "us-east-1"), 0.1 * 2 * 0.0000166667 + 0.0000002);
    });
    it("knows regions that differ, and prices the rest as us-east-1", () => {
      assert.equal(pricesFor("af-south-1").gbSecond.x86_64, 0.0000221);
      assert.equal(pricesFor("sa-east-1").stateTransition, 0.0000375);
      assert.deepEqual(pricesFor("eu-north-1"), pricesFor("us-east-1"));
    });
  });

  describe("one memory value's statistics", () => {
    const measure = (invocations: Measurement["invocations"]) =>
      summarize({ memoryMb: 1024, architecture: "arm64", invocations }, { discardTopBottom: 0.2, region: "us-east-1" });

    it("averages duration and cost over the same trimmed invocations, and bills every invocation", () => {
      const durations = [9, 10, 10, 11, 11, 12, 12, 13, 13, 200];
      const stats = measure(durations.map((duration) => ({ report: report(duration) })));
      assert.equal(stats.averageDurationMs, trimmedMean(durations, 0.2));
      assert.equal(
        stats.averageCostUsd,
        [10, 11, 11, 12, 12, 13].reduce((sum, ms) => sum + invocationCost(ms, 1024, "arm64", "us-east-1"), 0) / 6,
      );
      assert.equal(
        stats.totalCostUsd,
        durations.reduce((sum, ms) => sum + invocationCost(ms, 1024, "arm64", "us-east-1"), 0),
      );
      assert.equal(stats.status, "ok");
    });

    it("reports cold starts' init duration apart from the duration", () => {
      const stats = measure([
        { report: report(50, 50, { initDurationMs: 300 }) },
        { report: report(10) },
        { report: report(12, 12, { initDurationMs: 200 }) },
      ]);
      assert.deepEqual(stats.coldStarts, { count: 2, averageInitDurationMs: 250 });
      assert.ok(stats.averageDurationMs < 50);
    });

    it("marks a memory value whose every invocation failed as failed, still counting what it cost", () => {
      const stats = measure([{ report: report(1200), error: "Runtime.OutOfMemory" }, { error: "Runtime.OutOfMemory" }]);
      assert.deepEqual([stats.status, stats.failures, stats.firstError], ["failed", 2, "Runtime.OutOfMemory"]);
      assert.equal(stats.totalCostUsd, invocationCost(1200, 1024, "arm64", "us-east-1"));
    });
  });

  describe("strategies", () => {
    const points = [point(128, 1000, 0.0000023), point(512, 260, 0.0000021), point(1024, 140, 0.0000025), point(2048, 120, 0.000004)];

    it("cost: the cheapest; speed: the fastest", () => {
      assert.equal(choose(points, "cost").memoryMb, 512);
      assert.equal(choose(points, "speed").memoryMb, 2048);
    });
    it("breaks ties: the faster of equal costs, the cheaper of equal durations", () => {
      assert.equal(choose([point(256, 300, 0.000002), point(512, 200, 0.000002)], "cost").memoryMb, 512);
      assert.equal(choose([point(256, 200, 0.000001), point(512, 200, 0.000002)], "speed").memoryMb, 256);
    });
    it("balanced: minimises weight x cost/maxCost + (1 - weight) x duration/maxDuration", () => {
      const value = (p: PointStatistics, weight: number) =>
        weight * (p.averageCostUsd / 0.000004) + (1 - weight) * (p.averageDurationMs / 1000);
      for (const weight of [0, 0.25, 0.5, 0.75, 1]) {
        const expected = [...points].sort((a, b) => value(a, weight) - value(b, weight))[0];
        assert.equal(choose(points, "balanced", weight).memoryMb, expected.memoryMb, `weight ${weight}`);
      }
      assert.equal(choose(points, "balanced", 0).memoryMb, choose(points, "speed").memoryMb);
      assert.equal(choose(points, "balanced", 1).memoryMb, choose(points, "cost").memoryMb);
      assert.equal(choose(points, "balanced", 0.5).memoryMb, 1024);
    });
    it("leaves failed memory values out, and says so when all failed", () => {
      assert.equal(choose([point(128, 0, 0, "failed"), point(256, 400, 0.000003)], "cost").memoryMb, 256);
      assert.throws(() => choose([point(128, 0, 0, "failed")], "speed"), /Every memory value failed/);
    });
  });

  describe("payloads", () => {
    it("repeats one payload num times, as a JSON string (a JSON string stays as it is)", () => {
      assert.deepEqual(generatePayloads(3, { max: 5 }), ['{"max":5}', '{"max":5}', '{"max":5}']);
      assert.deepEqual(generatePayloads(2, '{"a":1}'), ['{"a":1}', '{"a":1}']);
      assert.deepEqual(generatePayloads(1, "plain text"), ['"plain text"']);
      assert.deepEqual(generatePayloads(1, undefined), ["null"], "as the original: no payload invokes with null");
      assert.deepEqual(generatePayloads(2, null), ["null", "null"], "an explicit null is null, not {}");
    });
    it("splits a weighted list by weight, the last taking what rounding leaves", () => {
      const payloads = generatePayloads(10, [
        { payload: { size: "small" }, weight: 3 },
        { payload: { size: "large" }, weight: 1 },
      ]);
      assert.equal(payloads.filter((p) => p.includes("small")).length, 7);
      assert.equal(payloads.filter((p) => p.includes("large")).length, 3);
    });
    it("refuses a num too small for the weighted payloads, naming the problem", () => {
      assert.throws(
        () =>
          generatePayloads(2, [
            { payload: 1, weight: 1 },
            { payload: 2, weight: 1 },
            { payload: 3, weight: 1 },
          ]),
        /3 weighted payloads but num is 2/,
      );
      assert.throws(
        () =>
          generatePayloads(5, [
            { payload: 1, weight: 1 },
            { payload: 2, weight: 100 },
          ]),
        /payload\[0\] \(weight 1\) gets no invocation with num 5/,
      );
    });
  });

  describe("visualization links", () => {
    const points = [
      { memoryMb: 1024, durationMs: 3870.76, costUsd: 0.00006489 },
      { memoryMb: 128, durationMs: 36555.39, costUsd: 0.00007612 },
      { memoryMb: 512, durationMs: 8539.34, costUsd: 0.00007155 },
      { memoryMb: 256, durationMs: 18441.58, costUsd: 0.00007696 },
    ];
    // The page's own encoding: typed arrays in the machine's (little-endian) byte order, base64.
    const pageEncode = (values: number[], Type: Int16ArrayConstructor | Float32ArrayConstructor) =>
      Buffer.from(new Type(values).buffer).toString("base64");

    it("is byte-compatible with lambda-power-tuning.show: Int16 sizes ; Float32 durations ; Float32 costs, sorted by memory", () => {
      const expected = [
        pageEncode([128, 256, 512, 1024], Int16Array),
        pageEncode([36555.39, 18441.58, 8539.34, 3870.76], Float32Array),
        pageEncode([0.00007612, 0.00007696, 0.00007155, 0.00006489], Float32Array),
      ].join(";");
      assert.equal(visualizationUrl(points), `${VISUALIZATION_URL}#${expected}`);
      assert.equal(visualizationUrl(points).split("#")[1].split(";")[0], "gAAAAQACAAQ=");
    });
    it("round-trips through the decoder (Float32 precision)", () => {
      const [decoded] = decodeVisualization(visualizationUrl(points));
      assert.deepEqual(
        decoded.points.map((p) => p.memoryMb),
        [128, 256, 512, 1024],
      );
      decoded.points.forEach((p) => {
        const original = points.find((q) => q.memoryMb === p.memoryMb)!;
        assert.ok(Math.abs(p.durationMs - original.durationMs) / original.durationMs < 1e-6);
        assert.ok(Math.abs(p.costUsd - original.costUsd) / original.costUsd < 1e-6);
      });
    });
    it("compares two series in the page's 8-part format, with legends", () => {
      const url = comparisonUrl({ label: "x86_64", points }, { label: "arm64 (Graviton)", points: points.slice(0, 2) });
      assert.equal(url.split("#")[1].split(";").length, 8);
      assert.match(url, /;x86_64;arm64%20\(Graviton\)$/);
      const [first, second] = decodeVisualization(url);
      assert.deepEqual([first.label, first.points.length, second.label, second.points.length], ["x86_64", 4, "arm64 (Graviton)", 2]);
      assert.throws(() => decodeVisualization(`${VISUALIZATION_URL}#a;b`), /3 or 8 ;-separated parts/);
    });
  });

  describe("REPORT lines", () => {
    const requestId = "8f5b3e1a-2d4c-4a7e-9b1f-0c6d2e3f4a5b";
    const text = (fields: string) =>
      `START RequestId: ${requestId} Version: 3\nsome app log\nEND RequestId: ${requestId}\nREPORT RequestId: ${requestId}\t${fields}\t\n`;
    const json = (metrics: object) =>
      [
        `{"time":"2026-11-22T17:00:00.000Z","type":"platform.start","record":{"requestId":"${requestId}","version":"3"}}`,
        '{"timestamp":"2026-11-22T17:00:00.010Z","level":"INFO","message":"app log"}',
        `{"time":"2026-11-22T17:00:00.100Z","type":"platform.report","record":{"requestId":"${requestId}","metrics":${JSON.stringify(metrics)},"status":"success"}}`,
      ].join("\n");

    it("reads the text format, cold (with Init Duration) and warm", () => {
      assert.deepEqual(
        parseReport(
          text("Duration: 102.35 ms\tBilled Duration: 103 ms\tMemory Size: 1024 MB\tMax Memory Used: 87 MB\tInit Duration: 412.57 ms"),
        ),
        {
          durationMs: 102.35,
          billedDurationMs: 103,
          memorySizeMb: 1024,
          maxMemoryUsedMb: 87,
          initDurationMs: 412.57,
        },
      );
      assert.deepEqual(parseReport(text("Duration: 2.84 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 64 MB")), {
        durationMs: 2.84,
        billedDurationMs: 3,
        memorySizeMb: 128,
        maxMemoryUsedMb: 64,
      });
    });
    it("reads a SnapStart restore", () => {
      const parsed = parseReport(
        text(
          "Duration: 20.11 ms\tBilled Duration: 170 ms\tMemory Size: 512 MB\tMax Memory Used: 100 MB\tRestore Duration: 474.16 ms\tBilled Restore Duration: 149 ms",
        ),
      );
      assert.deepEqual([parsed?.restoreDurationMs, parsed?.billedDurationMs, parsed?.initDurationMs], [474.16, 170, undefined]);
    });
    it("reads the JSON format, cold and warm (warm has no initDurationMs: not an error)", () => {
      assert.deepEqual(
        parseReport(json({ durationMs: 102.35, billedDurationMs: 103, memorySizeMB: 1024, maxMemoryUsedMB: 87, initDurationMs: 412.57 })),
        {
          durationMs: 102.35,
          billedDurationMs: 103,
          memorySizeMb: 1024,
          maxMemoryUsedMb: 87,
          initDurationMs: 412.57,
        },
      );
      assert.deepEqual(parseReport(json({ durationMs: 2.84, billedDurationMs: 3, memorySizeMB: 128, maxMemoryUsedMB: 64 })), {
        durationMs: 2.84,
        billedDurationMs: 3,
        memorySizeMb: 128,
        maxMemoryUsedMb: 64,
      });
      assert.equal(
        parseReport(json({ durationMs: 1, billedDurationMs: 1, memorySizeMB: 128, maxMemoryUsedMB: 64, restoreDurationMs: 300 }))
          ?.restoreDurationMs,
        300,
      );
    });
    it("answers undefined for a tail without a report (truncated, or not a log at all)", () => {
      assert.equal(parseReport(`START RequestId: ${requestId} Version: 3\n`), undefined);
      assert.equal(parseReport('{"type":"platform.start"}\n{broken json'), undefined);
      assert.equal(parseReport(""), undefined);
    });
  });
});
