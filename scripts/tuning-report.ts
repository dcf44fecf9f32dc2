// Turns a power-tuning execution's output (this platform's, or AWS Lambda Power Tuning's) into a table
// and a chart of duration and cost against memory, per architecture.
import { z } from "zod";
import { svgOf } from "./vega-chart";
import { decodeVisualization, type VisualizedPoint } from "../app/tuning/visualization";

export interface ReportPoint extends VisualizedPoint {
  series: string;
}

const finite = z.number().refine(Number.isFinite);
/** What the report reads of an execution output (ours, or AWS Lambda Power Tuning's): anything else is refused by name. */
const outputShape = z.object({
  power: finite,
  cost: finite,
  duration: finite,
  architecture: z.string().optional(),
  stats: z
    .array(
      z.object({
        value: finite,
        averageDuration: finite,
        averagePrice: finite,
        architecture: z.string().optional(),
        status: z.string().optional(),
      }),
    )
    .optional(),
  stateMachine: z
    .object({ visualization: z.string().optional(), lambdaCost: finite.optional(), executionCost: finite.optional() })
    .optional(),
  comparison: z
    .object({
      visualization: z.string(),
      recommendation: z
        .object({
          versusOtherArchitectureAtSameMemory: z
            .object({ architecture: z.string(), fasterPercent: finite, cheaperPercent: finite })
            .optional(),
        })
        .optional(),
    })
    .optional(),
  failedPowerValues: z.array(z.object({ power: finite, architecture: z.string().optional(), error: z.string().optional() })).optional(),
});

/** The output, checked: a malformed one is an error that says which field is wrong. */
function checkedOutput(output: unknown) {
  const result = outputShape.safeParse(output);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new Error(`This is not a power-tuning execution's output: ${issue.path.join(".") || "the output"} ${issue.message.toLowerCase()}`);
}

/**
 * Every measured point of an output: from its per-point stats when it has them (includeOutputResults,
 * in the original's shape), otherwise from its visualization link(s), which carry every point.
 */
export function pointsOfOutput(rawOutput: unknown): ReportPoint[] {
  const output = checkedOutput(rawOutput);
  let points: ReportPoint[];
  if (output.stats && output.stats.length > 0) {
    points = output.stats
      .filter((point) => point.status !== "failed")
      .map((point) => ({
        series: point.architecture ?? output.architecture ?? "function",
        memoryMb: point.value,
        durationMs: point.averageDuration,
        costUsd: point.averagePrice,
      }));
  } else {
    const link = output.comparison?.visualization ?? output.stateMachine?.visualization;
    if (!link) throw new Error("The output has neither per-point stats nor a visualization link: is it a power-tuning execution's output?");
    try {
      points = decodeVisualization(link).flatMap(({ label, points }) =>
        points.map((point) => ({ series: label ?? output.architecture ?? "function", ...point })),
      );
    } catch (error) {
      throw new Error(`The output's visualization link cannot be read (${(error as Error).message}): ${link.slice(0, 120)}`);
    }
  }
  const bad = points.find(
    (point) => ![point.memoryMb, point.durationMs, point.costUsd].every((value) => Number.isFinite(value) && value >= 0),
  );
  if (points.length === 0 || bad)
    throw new Error(`The output's points are ${points.length === 0 ? "empty" : `malformed (${JSON.stringify(bad)})`}: nothing to report`);
  return points;
}

/** Dollars to three significant digits, never in e-notation ($0.00000208, $1.23). */
const usd = (value: number) => `$${value.toLocaleString("en-US", { maximumSignificantDigits: 3, maximumFractionDigits: 20 })}`;

/** A text table, memory x series: average duration and cost. */
export function tableOf(points: ReportPoint[]): string {
  const series = [...new Set(points.map((point) => point.series))];
  const memories = [...new Set(points.map((point) => point.memoryMb))].sort((a, b) => a - b);
  const header = ["memory", ...series.flatMap((name) => [`${name} duration`, `${name} cost`])];
  const rows = memories.map((memory) => [
    `${memory} MB`,
    ...series.flatMap((name) => {
      const point = points.find((candidate) => candidate.series === name && candidate.memoryMb === memory);
      return point ? [`${point.durationMs.toFixed(1)} ms`, usd(point.costUsd)] : ["-", "-"];
    }),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  ");
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

/** What the recommendation says, in a sentence, with the links. */
export function recommendationOf(rawOutput: unknown): string {
  const output = checkedOutput(rawOutput);
  const lines = [
    `Recommended: ${output.power} MB${output.architecture ? ` on ${output.architecture}` : ""} (${output.duration.toFixed(1)} ms, ${usd(output.cost)} per invocation).`,
  ];
  const versus = output.comparison?.recommendation?.versusOtherArchitectureAtSameMemory;
  if (versus) {
    lines.push(
      `At ${output.power} MB, ${output.architecture} is ${Math.abs(versus.fasterPercent)}% ${versus.fasterPercent >= 0 ? "faster" : "slower"} and ${Math.abs(versus.cheaperPercent)}% ${versus.cheaperPercent >= 0 ? "cheaper" : "more expensive"} than ${versus.architecture}.`,
    );
  }
  for (const failed of output.failedPowerValues ?? []) {
    lines.push(
      `Left out: ${failed.power} MB${failed.architecture ? ` on ${failed.architecture}` : ""} failed (${failed.error ?? "no detail"}).`,
    );
  }
  const { lambdaCost, executionCost } = output.stateMachine ?? {};
  if (lambdaCost !== undefined && executionCost !== undefined) {
    lines.push(`This run cost ${usd(lambdaCost)} in Lambda and ${usd(executionCost)} in Step Functions.`);
  }
  const chart = output.comparison?.visualization ?? output.stateMachine?.visualization;
  if (chart) lines.push(`Chart: ${chart}`);
  return lines.join("\n");
}

/** An SVG chart (vega-lite): duration and cost against memory, one line per architecture. */
/**
 * The chart of a run: duration and cost against memory, a line per architecture, the recommended point
 * marked on both. Cost is per million invocations, in dollars (a single invocation's is millionths).
 */
export async function chartSvg(points: ReportPoint[], title: string, recommended?: { memoryMb: number; series?: string }): Promise<string> {
  const values = points.map((point) => ({ ...point, costPerMillionUsd: point.costUsd * 1e6 }));
  const isRecommended = recommended
    ? `datum.memoryMb === ${recommended.memoryMb}${recommended.series ? ` && datum.series === ${JSON.stringify(recommended.series)}` : ""}`
    : "false";
  const panel = (field: "durationMs" | "costPerMillionUsd", axis: string) => {
    const x = { field: "memoryMb", type: "quantitative", title: "memory (MB)" };
    const y = { field, type: "quantitative", title: axis, axis: { format: field === "durationMs" ? ",.0f" : ",.2f" } };
    return {
      width: 420,
      height: 260,
      layer: [
        { mark: { type: "line", point: true }, encoding: { x, y, color: { field: "series", type: "nominal", title: "architecture" } } },
        {
          transform: [{ filter: isRecommended }],
          mark: { type: "point", shape: "diamond", size: 220, filled: true, color: "black" },
          encoding: { x, y },
        },
        {
          transform: [{ filter: isRecommended }],
          mark: { type: "text", dy: -14, fontWeight: "bold" },
          encoding: { x, y, text: { value: "recommended" } },
        },
      ],
    };
  };
  return svgOf({
    title,
    data: { values },
    hconcat: [panel("durationMs", "average duration (ms)"), panel("costPerMillionUsd", "average cost per 1M invocations (USD)")],
  });
}
