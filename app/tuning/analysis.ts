import type { LambdaArchitecture } from "../core/architecture";
import { invocationCost } from "./prices";
import type { InvocationReport } from "./report-line";

/** One invocation's outcome: its REPORT line (when the log tail had one) and whether the function failed. */
export interface InvocationResult {
  report?: InvocationReport;
  error?: string;
}

/** Every invocation at one memory size of one architecture. */
export interface Measurement {
  memoryMb: number;
  architecture: LambdaArchitecture;
  invocations: InvocationResult[];
}

export interface PointStatistics {
  memoryMb: number;
  architecture: LambdaArchitecture;
  /** Trimmed mean of the successful invocations' durations. */
  averageDurationMs: number;
  /** Trimmed mean of the same invocations' costs (billed duration, memory, architecture, request charge). */
  averageCostUsd: number;
  /** What every invocation at this point cost, failed ones included (they are billed too). */
  totalCostUsd: number;
  invocations: number;
  failures: number;
  /** Cold starts, reported apart: their init duration is not in averageDurationMs. */
  coldStarts: { count: number; averageInitDurationMs?: number };
  /** "failed" when no invocation succeeded (e.g. out of memory): left out of the choice. */
  status: "ok" | "failed";
  /** The first failure's message, when there were failures. */
  firstError?: string;
}

export type Strategy = "cost" | "speed" | "balanced";

/** Mean of `values` after discarding the lowest and highest `discardTopBottom` share of them (each end). */
export function trimmedMean(values: number[], discardTopBottom: number): number {
  if (values.length === 0) throw new Error("trimmedMean of no values");
  const discard = Math.floor(values.length * discardTopBottom);
  const kept = [...values].sort((a, b) => a - b).slice(discard, values.length - discard);
  return kept.reduce((sum, value) => sum + value, 0) / kept.length;
}

export function summarize(measurement: Measurement, options: { discardTopBottom: number; region: string }): PointStatistics {
  const { memoryMb, architecture, invocations } = measurement;
  const cost = (report: InvocationReport) => invocationCost(report.billedDurationMs, memoryMb, architecture, options.region);
  const reported = invocations.filter((invocation) => invocation.report);
  const succeeded = reported.filter((invocation) => !invocation.error).map((invocation) => invocation.report!);
  const failures = invocations.filter((invocation) => invocation.error);
  const coldStarts = reported
    .map((invocation) => invocation.report!.initDurationMs)
    .filter((value): value is number => value !== undefined);
  const base = {
    memoryMb,
    architecture,
    totalCostUsd: reported.reduce((sum, invocation) => sum + cost(invocation.report!), 0),
    invocations: invocations.length,
    failures: failures.length,
    coldStarts: {
      count: coldStarts.length,
      ...(coldStarts.length > 0 && { averageInitDurationMs: coldStarts.reduce((a, b) => a + b, 0) / coldStarts.length }),
    },
    ...(failures.length > 0 && { firstError: failures[0].error }),
  };
  if (succeeded.length === 0) return { ...base, averageDurationMs: 0, averageCostUsd: 0, status: "failed" };
  // Trim by duration, and average the cost of exactly the invocations kept.
  const discard = Math.floor(succeeded.length * options.discardTopBottom);
  const kept = [...succeeded].sort((a, b) => a.durationMs - b.durationMs).slice(discard, succeeded.length - discard);
  return {
    ...base,
    averageDurationMs: kept.reduce((sum, report) => sum + report.durationMs, 0) / kept.length,
    averageCostUsd: kept.reduce((sum, report) => sum + cost(report), 0) / kept.length,
    status: "ok",
  };
}

/**
 * The point the strategy picks among those that did not fail: the cheapest (ties: the faster), the
 * fastest (ties: the cheaper), or balanced, minimising weight x cost/maxCost + (1 - weight) x
 * duration/maxDuration (0 = speed, 1 = cost), as AWS Lambda Power Tuning does.
 */
export function choose(points: PointStatistics[], strategy: Strategy, balancedWeight = 0.5): PointStatistics {
  const candidates = points.filter((point) => point.status === "ok");
  if (candidates.length === 0) throw new Error("Every memory value failed: there is nothing to choose from (see each point's firstError).");
  const maxCost = Math.max(...candidates.map((point) => point.averageCostUsd));
  const maxDuration = Math.max(...candidates.map((point) => point.averageDurationMs));
  const score: Record<Strategy, (point: PointStatistics) => number[]> = {
    cost: (point) => [point.averageCostUsd, point.averageDurationMs],
    speed: (point) => [point.averageDurationMs, point.averageCostUsd],
    balanced: (point) => [
      balancedWeight * (point.averageCostUsd / maxCost) + (1 - balancedWeight) * (point.averageDurationMs / maxDuration),
    ],
  };
  const compare = (a: number[], b: number[]) => a.map((value, index) => value - b[index]).find((difference) => difference !== 0) ?? 0;
  return [...candidates].sort((a, b) => compare(score[strategy](a), score[strategy](b)) || a.memoryMb - b.memoryMb)[0];
}

const isWeighted = (payload: unknown): payload is { payload: unknown; weight: number }[] =>
  Array.isArray(payload) &&
  payload.length > 0 &&
  payload.every(
    (entry) => entry !== null && typeof entry === "object" && "payload" in entry && typeof entry.weight === "number" && entry.weight > 0,
  );

/**
 * A payload as Lambda's Invoke takes it: a JSON string (a string that already is JSON stays as it is;
 * null is the JSON null, as the original sends it).
 */
function asJson(payload: unknown): string {
  if (typeof payload === "string") {
    try {
      JSON.parse(payload);
      return payload;
    } catch {
      return JSON.stringify(payload);
    }
  }
  return JSON.stringify(payload ?? null);
}

/**
 * The `num` payloads of one memory value: the same payload `num` times, or a weighted list split by
 * weight (each at least once; the last takes what rounding leaves).
 */
export function generatePayloads(num: number, payload: unknown): string[] {
  if (!isWeighted(payload)) return Array.from({ length: num }, () => asJson(payload));
  if (num < payload.length)
    throw new Error(`payload has ${payload.length} weighted payloads but num is ${num}: num must be at least the number of payloads`);
  const total = payload.reduce((sum, entry) => sum + entry.weight, 0);
  const payloads: string[] = [];
  payload.forEach((entry, index) => {
    const count = index === payload.length - 1 ? num - payloads.length : Math.floor((entry.weight * num) / total);
    if (count < 1)
      throw new Error(`payload[${index}] (weight ${entry.weight}) gets no invocation with num ${num}: raise num or its weight`);
    payloads.push(...Array.from({ length: count }, () => asJson(entry.payload)));
  });
  return payloads;
}
