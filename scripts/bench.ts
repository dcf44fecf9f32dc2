// npm run bench: builds the handler bundles and measures, per handler, the bundle size, the cold import
// cost in a fresh Node process (as a ratio to a bare `node -e 0` start, measured in the same run), and
// the warm handler time. Then the data layer: jobs created and completed per second through one pooled
// connection, against a new connection per invocation (the anti-pattern seed 002 warns about), on a real
// PostgreSQL. Then the async path of `npm run dev`: submit over the WebSocket to pushed result, at a
// steady rate and at the highest rate the local worker sustains with the stack's maximumConcurrency.
// Everything runs locally. The warm timings are of the functions app/functions.ts marks `tunable` (safe to
// invoke with a test payload), with their sample events.
// Then what `npm run plan` costs as the stack grows (50, 200, 500 functions against dev).
// `npm run bench -- [handlers] [data] [async] [plan]` runs only the parts named.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
// example:begin number-fact's stand-in numbers API
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
// example:end
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { appFunctions, type AppFunction } from "../app/functions";
import { completeJob, createJob } from "../app/data/jobs";
import { applyMigrations, readMigrations } from "../app/data/migrations";
import { createPool } from "../app/data/pool";
import type { Queryable } from "../app/data/queryable";
import { sqsWorker } from "../app/jobs/sqs-worker";
import { sqsEvent, sqsRecord } from "../tests/app/sqs-event";
import { LAMBDA_ENVIRONMENT } from "../tests/app/lambda-environment";
import { lambdaContext } from "../tests/app/lambda-context";
import { startPostgres } from "../tests/embedded-postgres";
import { benchAsyncPath, type RateStep } from "./bench-async-path";
import { benchPlan, planTable } from "./bench-plan";
import { percentile } from "./percentile";
import { sampleEventPath } from "../components/function-settings";
import { asksForHelp, COMMANDS, parseCommandLine } from "./command-line";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
/** The Node.js that runs the cold starts: this one, or BENCH_NODE (Lambda's runtime is app/Dockerfile's nodejs:22). */
const BENCH_NODE = process.env.BENCH_NODE || process.execPath;
const WARM_INVOCATIONS = 50;
const IMPORT_RATIO_LIMIT = 1.3;
const DATA_LAYER_SECONDS = Number(process.env.BENCH_DATA_SECONDS ?? 5);
const ASYNC_PATH = {
  stack: process.env.BENCH_ASYNC_STACK ?? "dev",
  steadyRate: Number(process.env.BENCH_ASYNC_RATE ?? 20),
  seconds: Number(process.env.BENCH_ASYNC_SECONDS ?? 5),
  maxRate: 5000,
};
const dist = join(__dirname, "..", "app", "dist");

const median = (values: number[]) => percentile(values, 50);

/**
 * The environment the cold starts run in: Lambda's, not this machine's. This machine sets
 * NODE_EXTRA_CA_CERTS (a CA bundle that Node 20 reads at every start, ~40 ms), which Lambda does not;
 * left in, it inflates the bare start and makes every ratio look smaller than Lambda's.
 */
const coldStartEnvironment = () => ({
  PATH: process.env.PATH ?? "",
  TZ: ":UTC",
  AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
  ...LAMBDA_ENVIRONMENT,
});

function timeProcess(args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(BENCH_NODE, args, { stdio: "ignore", env: coldStartEnvironment() });
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${result.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

// A real dynamic import (ts-node would otherwise compile import() to require()).
const importModule = new Function("url", "return import(url)") as (url: string) => Promise<any>;

/** The handler's median time per warm call, its logs and EMF records written as Lambda would (and not shown). */
async function warmMs(bundle: string, event: unknown): Promise<number> {
  const { handler } = await importModule(pathToFileURL(bundle).href);
  const context = lambdaContext(bundle);
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await handler(event, context); // first call warms caches and connections
    const times: number[] = [];
    for (let i = 0; i < WARM_INVOCATIONS; i++) {
      const started = process.hrtime.bigint();
      const response = await handler(event, context);
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (response.statusCode !== 200) throw new Error(`${bundle} answered ${response.statusCode}: ${response.body}`);
    }
    return median(times);
  } finally {
    process.stdout.write = write;
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (asksForHelp(argv)) {
    console.log(COMMANDS.bench.usage);
    return;
  }
  let parts: string[];
  try {
    parts = parseCommandLine("bench", argv).positionals;
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n${COMMANDS.bench.usage}`);
    process.exit(2);
  }
  // The parts are the command's positional values (scripts/commands.json).
  const runs = (part: string) => parts.length === 0 || parts.includes(part);
  if (runs("handlers")) await benchHandlers();
  if (runs("data")) await benchDataLayer();
  if (runs("async")) await benchAsync();
  if (runs("plan")) benchPlanGrowth();
}

/** What npm run plan costs as the stack grows: dev, then 50, 200 and 500 functions with their own image. */
function benchPlanGrowth(): void {
  console.log(
    "\nnpm run plan as the stack grows (scripts/bench-plan.ts: dev, and dev with N functions of their own image, a tenth with routes, 50 twins, 100 tuned):\n",
  );
  console.log(planTable(benchPlan([50, 200, 500])));
}

/** A bundle's bytes by npm package (or app/ file), largest first, from esbuild's metafile. */
function packagesOf(metafile: { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> }, bundle: string) {
  const output = Object.entries(metafile.outputs).find(([file]) => file.endsWith(`/${bundle}.mjs`))?.[1];
  const bytes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? "app";
    bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
  }
  return [...bytes].sort((a, b) => b[1] - a[1]);
}

async function benchHandlers(): Promise<void> {
  const metafilePath = join(tmpdir(), `bench-metafile-${process.pid}.json`);
  const floorBundle = join(tmpdir(), `bench-floor-${process.pid}.mjs`);
  execFileSync("npm", ["run", "--silent", "build:app"], {
    stdio: "inherit",
    env: { ...process.env, APP_METAFILE: metafilePath, APP_FLOOR_BUNDLE: floorBundle },
  });
  const metafile = JSON.parse(readFileSync(metafilePath, "utf8"));
  rmSync(metafilePath);

  // example:begin number-fact's stand-in numbers API, on 127.0.0.1
  const upstream = createServer((_request, response) => response.end("42 is the answer."));
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  process.env.NUMBERS_API_URL = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const stopUpstream = () => (upstream.closeAllConnections(), upstream.close());
  // example:end

  // What the handlers' INIT reads in Lambda (nothing connects until invoked).
  Object.assign(process.env, LAMBDA_ENVIRONMENT);
  // Warm timings for the self-contained handlers; the others need a database or an issuer: import cost only.
  const handlers = Object.entries(appFunctions).map(([name, fn]: [string, AppFunction]) => ({
    name: fn.handler.split(".")[0],
    event: fn.tunable ? JSON.parse(readFileSync(sampleEventPath({ name }), "utf8")) : undefined,
  }));

  // Bare starts and imports alternate, so both see the same machine load. An empty ES module is what
  // Lambda's runtime pays to load any handler (the ESM loader): what a bundle adds is measured from it.
  const emptyModule = join(tmpdir(), `bench-empty-${process.pid}.mjs`);
  writeFileSync(emptyModule, "export const handler = async () => ({});\n");
  const bare: number[] = [];
  const empty: number[] = [];
  const floor: number[] = [];
  const importOf = (file: string) => ["--input-type=module", "-e", `await import(${JSON.stringify(pathToFileURL(file).href)})`];
  const imports: Record<string, number[]> = Object.fromEntries(handlers.map(({ name }) => [name, []]));
  for (let run = 0; run < RUNS; run++) {
    bare.push(timeProcess(["-e", "0"]));
    empty.push(timeProcess(importOf(emptyModule)));
    floor.push(timeProcess(importOf(floorBundle)));
    for (const { name } of handlers) imports[name].push(timeProcess(importOf(join(dist, `${name}.mjs`))));
  }
  rmSync(emptyModule);
  rmSync(floorBundle);
  const bareMs = median(bare);
  const emptyMs = median(empty);
  const floorMs = median(floor);

  console.log(
    `\nnode ${execFileSync(BENCH_NODE, ["--version"], { encoding: "utf8" }).trim()} ${process.arch}, ${RUNS} runs each (medians), in a Lambda-like environment; bare \`node -e 0\` start: ${bareMs.toFixed(1)} ms; an empty ES module handler: ${emptyMs.toFixed(1)} ms\n`,
  );
  console.log("| handler | bundle bytes | cold start + import | added by the bundle | ratio to bare start | warm handler |");
  console.log("|---|---:|---:|---:|---:|---:|");
  const over: string[] = [];
  for (const { name, event } of handlers) {
    const bundle = join(dist, `${name}.mjs`);
    const bytes = statSync(bundle).size;
    const importMs = median(imports[name]);
    const ratio = importMs / bareMs;
    const warm = event === undefined ? "n/a" : `${(await warmMs(bundle, event)).toFixed(3)} ms`;
    if (ratio > IMPORT_RATIO_LIMIT) over.push(name);
    console.log(
      `| ${name} | ${bytes.toLocaleString("en-US")} | ${importMs.toFixed(1)} ms | ${(importMs - emptyMs).toFixed(1)} ms | ${ratio.toFixed(2)}x | ${warm} |`,
    );
  }
  console.log(
    `\nCold-start budget: at most ${IMPORT_RATIO_LIMIT}x a bare start: ${over.length ? `missed by ${over.join(", ")}` : "met by every handler"}.`,
  );
  // Every handler is wrapped in the platform's telemetry (Powertools Logger and Metrics): no handler starts faster.
  console.log(
    `The floor, an empty handler with Powertools' Logger and Metrics as every handler has them: ${floorMs.toFixed(1)} ms, ${(floorMs / bareMs).toFixed(2)}x${floorMs / bareMs > IMPORT_RATIO_LIMIT ? `, already over the budget: no handler with Powertools can meet it` : ""}.`,
  );
  for (const name of over) {
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
    console.log(
      `\n${name}, by package (esbuild metafile): ${packagesOf(metafile, name)
        .slice(0, 8)
        .map(([pkg, bytes]) => `${pkg} ${kb(bytes)}`)
        .join(", ")}`,
    );
  }
  // example:begin number-fact's stand-in numbers API
  stopUpstream();
  // example:end
}

/** Runs `unit` repeatedly for DATA_LAYER_SECONDS and returns how many ran per second. */
async function perSecond(unit: (iteration: number) => Promise<void>): Promise<number> {
  const deadline = process.hrtime.bigint() + BigInt(DATA_LAYER_SECONDS * 1e9);
  const started = process.hrtime.bigint();
  let count = 0;
  while (process.hrtime.bigint() < deadline) await unit(count++);
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function benchDataLayer(): Promise<void> {
  const postgres = await startPostgres();
  try {
    const database = await postgres.createDatabase("bench");
    const { host, port, user, password } = postgres;
    const pool = createPool({ host, port, database, user, password: async () => password, tls: false, idleTimeoutMs: 60_000 });
    await applyMigrations(pool, readMigrations(join(__dirname, "..", "app", "migrations")));
    const job = async (db: Queryable, id: string) => {
      await createJob(db, { id, owner: "bench", type: "echo", input: { n: 1 } });
      await completeJob(db, id, { ok: true });
    };
    const pooled = await perSecond((i) => job(pool, `pooled-${i}`));
    const perInvocation = await perSecond(async (i) => {
      const client = new pg.Client({ host, port, database, user, password });
      await client.connect();
      try {
        await job(client, `connect-${i}`);
      } finally {
        await client.end();
      }
    });
    const worker = await benchWorker(pool);
    await pool.end();
    console.log(
      `\nData layer: create + complete one job, PostgreSQL ${await serverVersion(postgres.clientConfig(database))} on 127.0.0.1 (scram-sha-256), ${DATA_LAYER_SECONDS} s each\n`,
    );
    console.log("| connection | jobs per second | statements per second |");
    console.log("|---|---:|---:|");
    console.log(`| one pooled connection per execution environment | ${pooled.toFixed(0)} | ${(pooled * 2).toFixed(0)} |`);
    console.log(`| a new connection per invocation | ${perInvocation.toFixed(0)} | ${(perInvocation * 2).toFixed(0)} |`);
    console.log(
      `\nThe pooled connection does ${(pooled / perInvocation).toFixed(1)}x the work. Over RDS Proxy the gap is wider: each new connection adds TLS and an IAM token check.`,
    );
    console.log(
      `\nWorker: batches of ${WORKER_BATCH} echo jobs (SQS events through the Powertools batch processor, one pooled connection), ${DATA_LAYER_SECONDS} s\n`,
    );
    console.log("| jobs per second | batch p50 | batch p99 |");
    console.log("|---:|---:|---:|");
    console.log(`| ${worker.jobsPerSecond.toFixed(0)} | ${worker.p50.toFixed(2)} ms | ${worker.p99.toFixed(2)} ms |`);
    console.log(
      `\nTarget: at least ${WORKER_TARGET} jobs/s per worker instance: ${worker.jobsPerSecond >= WORKER_TARGET ? "met" : "missed"}.`,
    );
  } finally {
    await postgres.stop();
  }
}

const WORKER_BATCH = 10;
const WORKER_TARGET = 1000;

/** The worker as Lambda runs it: SQS events of 10 echo jobs each, no WebSocket connection to answer. */
async function benchWorker(pool: Queryable) {
  const handler = sqsWorker({ db: pool, notifier: { notify: async () => "delivered" } });
  const context = lambdaContext("worker");
  const batchMs: number[] = [];
  let sequence = 0;
  const batch = () =>
    sqsEvent(
      Array.from({ length: WORKER_BATCH }, () =>
        sqsRecord(JSON.stringify({ type: "echo", input: { n: sequence } }), {
          jobId: `worker-${++sequence}`,
          owner: "bench",
          connectionId: "c",
        }),
      ),
    );
  const perBatch = await perSecond(async () => {
    const event = batch();
    const started = process.hrtime.bigint();
    const response = await handler(event, context);
    batchMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (response.batchItemFailures.length > 0) throw new Error(`worker failed ${response.batchItemFailures.length} records`);
  });
  return {
    jobsPerSecond: perBatch * WORKER_BATCH,
    p50: median(batchMs),
    p99: percentile(batchMs, 99),
  };
}

async function benchAsync(): Promise<void> {
  const result = await benchAsyncPath(ASYNC_PATH);
  const row = (step: RateStep) =>
    `| ${step.rate} | ${step.completed} of ${step.sent} | ${step.p50Ms.toFixed(0)} ms | ${step.p99Ms.toFixed(0)} ms | ${step.sustained ? "yes" : "no"} |`;
  console.log(
    `\nAsync path (npm run dev, stack ${ASYNC_PATH.stack}): echo jobs submitted over the WebSocket until the result is pushed back, ` +
      `${ASYNC_PATH.seconds} s per rate; worker maximumConcurrency ${result.maximumConcurrency}, batch size ${result.batchSize}, ` +
      `batching window ${result.batchingWindowSeconds} s\n`,
  );
  console.log("| jobs per second | came back | p50 | p99 | sustained |");
  console.log("|---:|---:|---:|---:|---|");
  for (const step of [result.steady, ...result.search]) console.log(row(step));
  console.log(
    result.highestSustained
      ? `\nHighest steady rate sustained: ${result.highestSustained} jobs/s (every job back, p99 within the limit).`
      : `\nNot even ${ASYNC_PATH.steadyRate} jobs/s was sustained.`,
  );
}

async function serverVersion(config: pg.ClientConfig): Promise<string> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return (await client.query("SHOW server_version")).rows[0].server_version;
  } finally {
    await client.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
