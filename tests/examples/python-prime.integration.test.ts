import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const EXAMPLE = join(__dirname, "..", "..", "examples", "python-prime");

/** Runs the handler with the machine's python3 (no packages needed) on each event, as Lambda's Python runtime calls it. */
function invoke(events: unknown[]): { statusCode: number; body: any }[] {
  const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(EXAMPLE)})
from handler import handler
print(json.dumps([handler(event, None) for event in json.load(sys.stdin)]))`;
  const run = spawnSync("python3", ["-c", script], { input: JSON.stringify(events), encoding: "utf8", timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout).map((response: any) => ({ statusCode: response.statusCode, body: JSON.parse(response.body) }));
}

describe("PythonPrime (seed 000), run with python3", function () {
  this.timeout(60_000);

  it("counts 78,498 primes up to 1,000,000 on the seed's own input, and the small cases", () => {
    const max = (value: string) => ({ queryStringParameters: { max: value } });
    const [seed, one, two, hundred] = invoke([max("1000000"), max("1"), max("2"), max("100")]);
    assert.deepEqual([seed.statusCode, seed.body.max, seed.body.count], [200, 1_000_000, 78_498]);
    assert.ok(typeof seed.body.architecture === "string" && seed.body.elapsedMs > 0);
    assert.deepEqual([one.body.count, two.body.count, hundred.body.count], [0, 1, 25]);
  });

  it("answers 400 to hostile or malformed input, never a crash", () => {
    const bad = ["abc", "-1", "0", "1e6", "\uff11\uff12", "\u0000", "9".repeat(100), "10000001", "", " 5"];
    const responses = invoke([
      ...bad.map((value) => ({ queryStringParameters: { max: value } })),
      { queryStringParameters: ["max", "5"] },
      { queryStringParameters: { max: 5 } },
    ]);
    for (const [index, response] of responses.entries()) {
      assert.equal(response.statusCode, 400, JSON.stringify(bad[index] ?? index));
      assert.match(response.body.error, /max must be|queryStringParameters must be/);
    }
  });
});
