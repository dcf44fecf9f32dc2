import type { LambdaArchitecture } from "../core/architecture";

/**
 * List prices in USD, as of PRICES_AS_OF. Sources: the AWS Lambda pricing page
 * (https://aws.amazon.com/lambda/pricing/: us-east-1 x86_64 $0.0000166667 and arm64 $0.0000133334 per
 * GB-second, $0.20 per million requests) and AWS Lambda Power Tuning's regional price maps (baseCosts
 * and sfCosts in its template) for the regions that differ. Like that tool, arm64 is priced the same
 * everywhere, and a region not listed is priced as us-east-1. Check the pricing pages before relying on
 * a figure for another region.
 */
export const PRICES_AS_OF = "2026-11-22";

const US_EAST_1 = { x86_64: 0.0000166667, arm64: 0.0000133334 } as const;
const REQUEST_USD = 0.2 / 1_000_000;
const STATE_TRANSITION_USD = 0.000025;

/** x86_64 USD per GB-second where it differs from us-east-1. */
const X86_GB_SECOND: Record<string, number> = {
  "eu-south-1": 0.0000195172,
  "me-south-1": 0.0000206667,
  "ap-northeast-3": 0.00002153,
  "af-south-1": 0.0000221,
  "ap-east-1": 0.00002292,
};

/** Step Functions Standard USD per state transition where it differs from us-east-1. */
const STATE_TRANSITION: Record<string, number> = {
  "us-west-1": 0.0000279,
  "ap-northeast-2": 0.0000271,
  "ap-south-1": 0.0000285,
  "ap-east-1": 0.0000275,
  "eu-south-1": 0.00002625,
  "eu-west-3": 0.0000297,
  "af-south-1": 0.00002975,
  "me-south-1": 0.0000275,
  "sa-east-1": 0.0000375,
  "us-gov-west-1": 0.00003,
  "us-gov-east-1": 0.00003,
};

export interface RegionPrices {
  /** USD per GB-second of compute, per architecture. */
  gbSecond: Record<LambdaArchitecture, number>;
  /** USD per request. */
  request: number;
  /** USD per Step Functions Standard state transition. */
  stateTransition: number;
}

export function pricesFor(region: string): RegionPrices {
  return {
    gbSecond: { x86_64: X86_GB_SECOND[region] ?? US_EAST_1.x86_64, arm64: US_EAST_1.arm64 },
    request: REQUEST_USD,
    stateTransition: STATE_TRANSITION[region] ?? STATE_TRANSITION_USD,
  };
}

/**
 * The cost of one invocation: billed duration (s, from the REPORT line) x memory (GB) x the
 * architecture's GB-second price, plus the request charge.
 */
export function invocationCost(billedDurationMs: number, memoryMb: number, architecture: LambdaArchitecture, region: string): number {
  const prices = pricesFor(region);
  return (billedDurationMs / 1000) * (memoryMb / 1024) * prices.gbSecond[architecture] + prices.request;
}
