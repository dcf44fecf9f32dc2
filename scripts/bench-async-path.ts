// The async path of `npm run dev`, measured end to end: a job submitted over the WebSocket API until
// the worker's result is pushed back on the same connection. Jobs are sent open-loop at a fixed rate
// (each at its scheduled time, whether or not earlier ones finished), so a backlog shows as latency.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";
import { startDevPlatform, type DevPlatform } from "../dev/platform";
import { percentile } from "./percentile";

/** The outcome of one rate step. */
export interface RateStep {
  rate: number;
  sent: number;
  completed: number;
  p50Ms: number;
  p99Ms: number;
  sustained: boolean;
}

/**
 * A rate is sustained when every job of the step came back and the p99 stayed under `p99LimitMs`: an
 * offered rate above what the worker completes grows the queue for the whole step, and with it the
 * latency of every later job.
 */
export const isSustained = (step: Omit<RateStep, "sustained">, p99LimitMs: number) =>
  step.completed === step.sent && step.p99Ms <= p99LimitMs;

/** How long a step waits for its last results once sending ends. */
const DRAIN_MS = 10_000;
const CONNECTIONS = 8;

/** Sockets to the platform's WebSocket API, each signed in with the dev token, and where each job's result lands. */
async function openConnections(
  platform: DevPlatform,
  count: number,
  onResult: (seq: number) => void,
  onUnexpected: (frame: string) => void,
): Promise<WebSocket[]> {
  const url = `${platform.endpoints.websocketUrl}?token=${encodeURIComponent(platform.endpoints.token)}`;
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const socket = new WebSocket(url, { handshakeTimeout: 10_000 });
          socket.on("open", () => resolve(socket));
          socket.on("error", reject);
          socket.on("unexpected-response", (_request, response) => reject(new Error(`the WebSocket API answered ${response.statusCode}`)));
          socket.on("message", (data) => {
            let message: any;
            try {
              message = JSON.parse(String(data));
            } catch {
              return onUnexpected(String(data).slice(0, 200)); // counted, not thrown out of the socket's listener
            }
            if (message?.status === "succeeded" && typeof message.result?.echo?.seq === "number") onResult(message.result.echo.seq);
            else if (message?.status !== "queued") onUnexpected(String(data).slice(0, 200));
          });
        }),
    ),
  );
}

/** Sends `rate` echo jobs per second for `seconds`, spread over the connections, and times each one's pushed result. */
export async function runRateStep(platform: DevPlatform, rate: number, seconds: number, p99LimitMs: number): Promise<RateStep> {
  const sentAt = new Map<number, bigint>();
  const latencies: number[] = [];
  let allBack: () => void = () => undefined;
  const total = Math.round(rate * seconds);
  const finished = new Promise<void>((resolve) => (allBack = resolve));
  const unexpected: string[] = [];
  const sockets = await openConnections(
    platform,
    CONNECTIONS,
    (seq) => {
      const started = sentAt.get(seq);
      if (started === undefined) return;
      sentAt.delete(seq);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (latencies.length === total) allBack();
    },
    (frame) => unexpected.push(frame),
  );
  try {
    const start = process.hrtime.bigint();
    for (let seq = 0; seq < total;) {
      const due = Math.min(total, Math.floor((Number(process.hrtime.bigint() - start) / 1e9) * rate) + 1);
      for (; seq < due; seq++) {
        sentAt.set(seq, process.hrtime.bigint());
        sockets[seq % sockets.length].send(JSON.stringify({ action: "submit", type: "echo", input: { seq } }));
      }
      await sleep(Math.max(1, Math.min(20, 1000 / rate)));
    }
    await Promise.race([finished, sleep(DRAIN_MS)]);
  } finally {
    for (const socket of sockets) socket.terminate();
  }
  // A failed echo job or an API error is a defect, not a sign of load.
  if (unexpected.length) throw new Error(`${unexpected.length} unexpected frame(s) at ${rate} jobs/s, the first: ${unexpected[0]}`);
  const step = { rate, sent: total, completed: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
  await drained(platform);
  return { ...step, sustained: isSustained(step, p99LimitMs) };
}

/** Waits (bounded) until the queue holds nothing from the last step, so that the next starts empty. */
async function drained(platform: DevPlatform): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const { visible, inFlight } = platform.queues.jobs.counts();
    if (visible === 0 && inFlight === 0) return;
    await sleep(100);
  }
}

export interface AsyncPathResult {
  maximumConcurrency: number;
  batchSize: number;
  batchingWindowSeconds: number;
  steady: RateStep;
  search: RateStep[];
  highestSustained?: number;
}

/**
 * Starts the platform (stack `stack`, a fresh database in a temporary folder), measures p50/p99 at
 * `steadyRate`, then doubles the rate from `steadyRate` until a step is not sustained and bisects between
 * the last sustained rate and that one.
 */
export async function benchAsyncPath(options: {
  stack: string;
  steadyRate: number;
  seconds: number;
  maxRate: number;
}): Promise<AsyncPathResult> {
  const stateDir = mkdtempSync(join(tmpdir(), "bench-async-"));
  chmodSync(stateDir, 0o755); // as root, PostgreSQL runs as "postgres", which must reach its data
  const recent: string[] = [];
  const platform = await startDevPlatform({
    port: 0,
    stack: options.stack,
    stateDir,
    log: (line) => void (recent.push(line) > 20 && recent.shift()),
  });
  try {
    const { maximumConcurrency, batchSize, batchingWindowSeconds } = platform.config.jobs;
    // The latency a sustained rate may reach: the batching window plus half a second of work and transport.
    const p99LimitMs = 500 + batchingWindowSeconds * 1000;
    const step = async (rate: number) => {
      try {
        return await runRateStep(platform, rate, options.seconds, p99LimitMs);
      } catch (error) {
        throw new Error(`${(error as Error).message}\nThe platform's last lines:\n${recent.join("\n")}`);
      }
    };
    await runRateStep(platform, Math.min(10, options.steadyRate), 1, p99LimitMs); // warm every worker environment
    const steady = await step(options.steadyRate);
    const search: RateStep[] = [];
    let good = steady.sustained ? steady.rate : 0;
    let bad = steady.sustained ? 0 : steady.rate;
    for (let rate = steady.rate * 2; !bad && rate <= options.maxRate; rate *= 2) {
      const result = await step(rate);
      search.push(result);
      if (result.sustained) good = rate;
      else bad = rate;
    }
    for (let i = 0; i < 3 && good && bad && bad - good > good / 10; i++) {
      const rate = Math.round((good + bad) / 2);
      const result = await step(rate);
      search.push(result);
      if (result.sustained) good = rate;
      else bad = rate;
    }
    return { maximumConcurrency, batchSize, batchingWindowSeconds, steady, search, highestSustained: good || undefined };
  } finally {
    await platform.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
