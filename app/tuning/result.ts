import type { LambdaArchitecture } from "../core/architecture";
import { choose, type PointStatistics } from "./analysis";
import { pricesFor } from "./prices";
import type { TuningPlan } from "./tuner";
import { comparisonUrl, visualizationUrl, type VisualizedPoint } from "./visualization";

const asVisualized = (points: PointStatistics[]): VisualizedPoint[] =>
  points
    .filter((point) => point.status === "ok")
    .map((point) => ({ memoryMb: point.memoryMb, durationMs: point.averageDurationMs, costUsd: point.averageCostUsd }));

/** Positive: `candidate` is that many percent faster / cheaper than `baseline`. */
const percentBetter = (baseline: number, candidate: number) => Math.round(((baseline - candidate) / baseline) * 1000) / 10;

/**
 * State transitions of one execution: Initialize, Publish, the Map, one per measured point, CleanUp,
 * Analyze, the AutoOptimize choice, the end state, and Optimize when it runs.
 */
export const stateTransitions = (points: number, optimized: boolean) => 7 + points + (optimized ? 1 : 0);

/**
 * The execution's output: AWS Lambda Power Tuning's fields (power, cost, duration, stateMachine), the
 * architecture comparison when two architectures were measured, and every point's statistics (in the
 * original's `stats` shape) with includeOutputResults.
 */
export function tuningResult(plan: TuningPlan, stats: PointStatistics[]) {
  const { input } = plan;
  const best = choose(stats, input.strategy, input.balancedWeight);
  const byArchitecture = (architecture: LambdaArchitecture) => stats.filter((point) => point.architecture === architecture);
  const target = plan.targets.find((candidate) => candidate.architecture === best.architecture)!;
  // Architectures with at least one memory value that worked: the others are only in failedPowerValues.
  const architectures = [...new Set(stats.filter((point) => point.status === "ok").map((point) => point.architecture))];

  const comparison =
    architectures.length === 2
      ? (() => {
          const bests = Object.fromEntries(
            architectures.map((architecture) => {
              const chosen = choose(byArchitecture(architecture), input.strategy, input.balancedWeight);
              return [
                architecture,
                {
                  power: chosen.memoryMb,
                  cost: chosen.averageCostUsd,
                  duration: chosen.averageDurationMs,
                  visualization: visualizationUrl(asVisualized(byArchitecture(architecture))),
                },
              ];
            }),
          ) as Record<LambdaArchitecture, { power: number; cost: number; duration: number; visualization: string }>;
          const other = architectures.find((architecture) => architecture !== best.architecture)!;
          const otherAtSameMemory = byArchitecture(other).find((point) => point.memoryMb === best.memoryMb && point.status === "ok");
          return {
            ...bests,
            recommendation: {
              architecture: best.architecture,
              power: best.memoryMb,
              // The seed's comparison: "at 2048 MB, arm64 is 29% faster and 43% cheaper".
              versusOtherArchitectureAtSameMemory: otherAtSameMemory && {
                architecture: other,
                fasterPercent: percentBetter(otherAtSameMemory.averageDurationMs, best.averageDurationMs),
                cheaperPercent: percentBetter(otherAtSameMemory.averageCostUsd, best.averageCostUsd),
              },
              versusOtherArchitectureBest: {
                architecture: other,
                fasterPercent: percentBetter(bests[other].duration, best.averageDurationMs),
                cheaperPercent: percentBetter(bests[other].cost, best.averageCostUsd),
              },
            },
            visualization: comparisonUrl(
              { label: "x86_64", points: asVisualized(byArchitecture("x86_64")) },
              { label: "arm64", points: asVisualized(byArchitecture("arm64")) },
            ),
          };
        })()
      : undefined;

  return {
    power: best.memoryMb,
    cost: best.averageCostUsd,
    duration: best.averageDurationMs,
    architecture: best.architecture,
    functionArn: target.functionArn,
    stateMachine: {
      executionCost: stateTransitions(stats.length, input.autoOptimize) * pricesFor(plan.region).stateTransition,
      lambdaCost: stats.reduce((sum, point) => sum + point.totalCostUsd, 0),
      visualization: visualizationUrl(asVisualized(byArchitecture(best.architecture))),
    },
    ...(comparison && { comparison }),
    failedPowerValues: stats
      .filter((point) => point.status === "failed")
      .map((point) => ({ power: point.memoryMb, architecture: point.architecture, error: point.firstError })),
    ...(input.includeOutputResults && { stats: stats.map(originalStats) }),
  };
}

/**
 * A point as the original's `stats` entries are (value, averagePrice, averageDuration, totalCost), so
 * tooling written for it reads ours, followed by what this platform adds.
 */
function originalStats(point: PointStatistics) {
  const { memoryMb, averageCostUsd, averageDurationMs, totalCostUsd, ...added } = point;
  return { value: memoryMb, averagePrice: averageCostUsd, averageDuration: averageDurationMs, totalCost: totalCostUsd, ...added };
}

export type TuningResult = ReturnType<typeof tuningResult>;
