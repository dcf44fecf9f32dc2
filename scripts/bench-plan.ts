// npm run bench -- plan: what `npm run plan` costs as a stack grows. Writes stacks of 50, 200 and 500
// functions with their own image (Pulumi.bench-<n>.yaml in a temporary folder, planned with --config-file), plans each
// and the dev stack as the command does (its heap budget, scripts/heap-budget.js), and reports resources,
// seconds and peak memory: growth in resources should be growth in time and memory, nothing faster.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { heapFlags } from "./heap-budget";

const ROOT = join(__dirname, "..");

/** A function with its own image that the tests' own build context provides (no Docker needed to plan it). */
const CONTEXT = "tests/fixtures/own-image";

/**
 * The dev stack (Pulumi.dev.yaml) with `functions` more functions of their own image, as a product that
 * grows would have them: a tenth serve a route, a quarter (at most 50) have an x86_64 twin, and power tuning
 * tunes the first 100. In `region`, any: the ARNs and names grow with it. `base` is another stack file to grow.
 */
export function scaledStackText(functions: number, region = "ap-southeast-5", base = "Pulumi.dev.yaml"): string {
  const stack = parse(readFileSync(join(ROOT, base), "utf8"));
  const own: Record<string, object> = {};
  for (let index = 0; index < functions; index++)
    own[`fn-${String(index).padStart(4, "0")}`] = {
      context: CONTEXT,
      ...(index < Math.min(50, functions / 4) && { compareArchitectures: true }),
      ...(index % 10 === 0 && { route: `GET /fn-${index}/{id}`, reservedConcurrency: 5 }),
    };
  stack.config["aws:region"] = region;
  stack.config["graviton-platform:ownImageFunctions"] = own;
  stack.config["graviton-platform:tuning"] = { functions: Object.keys(own).slice(0, 100) };
  return stringify(stack);
}

export interface PlanCost {
  stack: string;
  resources: number;
  mandatory: number;
  seconds: number;
  maxRssMb: number;
}

/** Plans a stack as `npm run plan` does (its file `configFile`, else the project's), in a process of its own, measuring it. */
export function planCost(stack: string, configFile = join(ROOT, `Pulumi.${stack}.yaml`)): PlanCost {
  const started = process.hrtime.bigint();
  const run = spawnSync(
    process.execPath,
    [
      ...heapFlags(configFile),
      "-r",
      join(__dirname, "max-rss-reporter.js"),
      join(__dirname, "launch.js"),
      "plan",
      "--stack",
      stack,
      "--config-file",
      configFile,
      "--json",
    ],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 30 },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const maxRssKb = /max-rss-kb (\d+)/.exec(run.stderr)?.[1];
  if (!maxRssKb || (run.status !== 0 && run.status !== 1))
    throw new Error(`npm run plan -- --stack ${stack} failed (${run.status}): ${run.stderr.slice(-2000)}`);
  const plan = JSON.parse(run.stdout);
  return { stack, resources: plan.summary.resources, mandatory: plan.summary.mandatory, seconds, maxRssMb: Number(maxRssKb) / 1024 };
}

/**
 * Plans dev and a stack of each size. The sizes' stack files are written to a folder of their own, never
 * beside Pulumi.yaml: a run stopped halfway leaves no stack that the project's tests and CI would pick up.
 * Dev is planned before and after the others, and its time is the mean of the two: a machine whose load
 * changes during the run moves both sides of the comparison, not only one.
 */
export function benchPlan(sizes: number[]): PlanCost[] {
  const before = planCost("dev");
  const costs: PlanCost[] = [];
  const dir = mkdtempSync(join(tmpdir(), "bench-plan-"));
  try {
    for (const functions of sizes) {
      const file = join(dir, `Pulumi.bench-${functions}.yaml`);
      writeFileSync(file, scaledStackText(functions));
      costs.push(planCost(`bench-${functions}`, file));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const after = planCost("dev");
  const dev = {
    ...before,
    stack: "dev (mean of 2)",
    seconds: (before.seconds + after.seconds) / 2,
    maxRssMb: Math.max(before.maxRssMb, after.maxRssMb),
  };
  return [dev, ...costs];
}

/** The growth table: each stack against dev, measured in the same run. */
export function planTable(costs: PlanCost[]): string {
  const [dev] = costs;
  const rows = costs.map(
    (cost) =>
      `| ${cost.stack} | ${cost.resources} | ${cost.seconds.toFixed(1)} s | ${(cost.seconds / dev.seconds).toFixed(1)}x | ${Math.round(cost.maxRssMb)} MB | ${cost.mandatory} |`,
  );
  return [
    "| stack | resources | plan time | against dev | peak memory | mandatory violations |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
}
