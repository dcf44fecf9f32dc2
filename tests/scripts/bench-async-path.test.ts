import { strict as assert } from "node:assert";
import { isSustained } from "../../scripts/bench-async-path";
import { percentile } from "../../scripts/percentile";

describe("npm run bench: the async path's figures", () => {
  it("percentiles by nearest rank, whatever the order; none of nothing", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
    assert.equal(percentile(values, 50), 50);
    assert.equal(percentile(values, 99), 99);
    assert.equal(percentile(values, 100), 100);
    assert.equal(percentile([7], 99), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  it("a rate is sustained only when every job came back within the p99 limit", () => {
    const step = { rate: 100, sent: 500, completed: 500, p50Ms: 8, p99Ms: 40 };
    assert.equal(isSustained(step, 500), true);
    assert.equal(isSustained({ ...step, completed: 499 }, 500), false, "a lost job");
    assert.equal(isSustained({ ...step, p99Ms: 501 }, 500), false, "a growing backlog");
  });
});
