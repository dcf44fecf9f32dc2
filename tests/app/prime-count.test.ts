import { SLOWEST_JOB_MS_AT_ONE_VCPU } from "../../app/core/job-types";
import { strict as assert } from "node:assert";
import { countPrimes, MAX_PRIME_LIMIT } from "../../app/core/prime-count";

/** Trial division: slow but obviously right, to check the sieve on every small input. */
function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let divisor = 2; divisor * divisor <= n; divisor++) if (n % divisor === 0) return false;
  return true;
}

describe("countPrimes (segmented sieve)", () => {
  it("matches known values of pi(x)", () => {
    assert.equal(countPrimes(10), 4);
    assert.equal(countPrimes(1000), 168);
    assert.equal(countPrimes(1_000_000), 78498);
    assert.equal(countPrimes(10_000_000), 664579);
  });

  it("handles the edges: nothing below 2, 2 and 3 themselves", () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5].map(countPrimes), [0, 0, 1, 2, 2, 3]);
  });

  it("agrees with trial division for every max up to 3,000", () => {
    let expected = 0;
    for (let max = 0; max <= 3000; max++) {
      if (isPrime(max)) expected++;
      assert.equal(countPrimes(max), expected, `pi(${max})`);
    }
  });

  it("is right across segment boundaries (one segment spans 65,536 numbers)", () => {
    // pi(65,536) = 6,542 and pi(131,072) = 12,251; check just below, at and above each boundary.
    assert.equal(countPrimes(65_536), 6542);
    assert.equal(countPrimes(65_537), 6543); // 65,537 is prime (a Fermat prime)
    assert.equal(countPrimes(131_072), 12251);
    assert.equal(countPrimes(131_071), 12251); // 131,071 is a Mersenne prime, 131,072 is not prime
    assert.equal(countPrimes(131_070), 12250);
  });

  it("counts to its maximum within the slowest-job estimate the batch-size policy uses (best of 3, one core's CPU time)", () => {
    // CPU time, not the wall clock: on a loaded machine the process waits for a core, which says nothing
    // about the work (Lambda gives the function its vCPU share).
    const runs = [1, 2, 3].map(() => {
      const started = process.cpuUsage();
      countPrimes(MAX_PRIME_LIMIT);
      const used = process.cpuUsage(started);
      return (used.user + used.system) / 1000;
    });
    assert.ok(
      Math.min(...runs) < SLOWEST_JOB_MS_AT_ONE_VCPU,
      `${Math.round(Math.min(...runs))} ms; the estimate is ${SLOWEST_JOB_MS_AT_ONE_VCPU} ms`,
    );
  });

  it("refuses a max that is not a safe integer", () => {
    assert.throws(() => countPrimes(1.5), RangeError);
    assert.throws(() => countPrimes(Number.NaN), RangeError);
  });
});
