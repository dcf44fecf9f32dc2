// npm run bench: builds the handler bundles and measures, per handler, the bundle size, the cold import
// cost in a fresh Node process (as a ratio to a bare `node -e 0` start, measured in the same run), and
// the warm handler time. Everything runs locally; number-fact talks to a stand-in API on 127.0.0.1.
import { execFileSync, spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { httpEvent } from "../tests/app/api-gateway-event";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WARM_INVOCATIONS = 50;
const BUNDLE_LIMIT_BYTES = 50 * 1024;
const IMPORT_RATIO_LIMIT = 1.3;
const dist = join(__dirname, "..", "app", "dist");

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function timeProcess(args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: "ignore" });
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${result.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

// A real dynamic import (ts-node would otherwise compile import() to require()).
const importModule = new Function("url", "return import(url)") as (url: string) => Promise<any>;

async function warmMs(bundle: string, event: unknown): Promise<number> {
  const { handler } = await importModule(pathToFileURL(bundle).href);
  await handler(event); // first call warms caches and connections
  const times: number[] = [];
  for (let i = 0; i < WARM_INVOCATIONS; i++) {
    const started = process.hrtime.bigint();
    const response = await handler(event);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (response.statusCode !== 200) throw new Error(`${bundle} answered ${response.statusCode}: ${response.body}`);
  }
  return median(times);
}

async function main(): Promise<void> {
  execFileSync("npm", ["run", "--silent", "build:app"], { stdio: "inherit" });

  const upstream = createServer((_request, response) => response.end("42 is the answer."));
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  process.env.NUMBERS_API_URL = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  const handlers = [
    { name: "number-fact", event: httpEvent({ method: "POST", path: "/number", body: JSON.stringify({ number: "42", type: "trivia" }) }) },
    { name: "primes", event: httpEvent({ method: "GET", path: "/primes", query: { max: "1000000" } }) },
  ];

  // Bare starts and imports alternate, so both see the same machine load.
  const bare: number[] = [];
  const imports: Record<string, number[]> = Object.fromEntries(handlers.map(({ name }) => [name, []]));
  for (let run = 0; run < RUNS; run++) {
    bare.push(timeProcess(["-e", "0"]));
    for (const { name } of handlers) {
      const url = pathToFileURL(join(dist, `${name}.mjs`)).href;
      imports[name].push(timeProcess(["--input-type=module", "-e", `await import(${JSON.stringify(url)})`]));
    }
  }
  const bareMs = median(bare);

  console.log(`\nnode ${process.version} ${process.arch}, ${RUNS} runs each (medians); bare \`node -e 0\` start: ${bareMs.toFixed(1)} ms\n`);
  console.log("| handler | bundle bytes | cold start + import | ratio to bare start | warm handler |");
  console.log("|---|---:|---:|---:|---:|");
  let missed = 0;
  for (const { name, event } of handlers) {
    const bundle = join(dist, `${name}.mjs`);
    const bytes = statSync(bundle).size;
    const importMs = median(imports[name]);
    const ratio = importMs / bareMs;
    const warm = await warmMs(bundle, event);
    if (bytes >= BUNDLE_LIMIT_BYTES || ratio >= IMPORT_RATIO_LIMIT) missed++;
    console.log(`| ${name} | ${bytes.toLocaleString("en-US")} | ${importMs.toFixed(1)} ms | ${ratio.toFixed(2)}x | ${warm.toFixed(3)} ms |`);
  }
  console.log(`\nTargets: bundle < ${BUNDLE_LIMIT_BYTES / 1024} KB, import ratio < ${IMPORT_RATIO_LIMIT}x: ${missed ? `${missed} handler(s) missed` : "all met"}.`);
  upstream.closeAllConnections();
  upstream.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
