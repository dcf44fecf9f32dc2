import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { localEndpoints, processRunning } from "./local-endpoints";

/** How long PostgreSQL gets for a fast shutdown (it rolls back open transactions and exits). */
const SHUTDOWN_MS = 30_000;

/**
 * Whether process `pid` is a PostgreSQL server (its command line, from /proc or ps), so that a pid the
 * system gave to another program since the server's lock file was written is never signalled.
 */
function isPostgres(pid: number): boolean {
  try {
    const proc = `/proc/${pid}/cmdline`;
    const command = existsSync(proc)
      ? readFileSync(proc, "utf8").replace(/\0/g, " ")
      : execFileSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8" });
    return /\bpostgres\b/.test(command);
  } catch {
    return false;
  }
}

/**
 * What a `kill -9`'d npm run dev left in `stateDir`, cleaned up: its endpoints record names a process
 * that is gone, and its PostgreSQL, which outlives it, still holds the data folder. Only that is stopped:
 * the server whose postmaster.pid is in this state folder's data and names that folder, and only when
 * the record shows its npm run dev died (a running one is refused before this, and a PostgreSQL of no
 * dead npm run dev is left alone, for the start to name). Returns what it did, for the log.
 */
export async function cleanUpCrashedPredecessor(stateDir: string, dataDir: string): Promise<string[]> {
  const record = join(stateDir, "endpoints.json");
  if (!existsSync(record)) return [];
  let pid: unknown;
  try {
    pid = JSON.parse(readFileSync(record, "utf8")).pid;
  } catch {
    pid = undefined;
  }
  if (Number.isInteger(pid) && processRunning(pid as number)) return []; // not dead: the caller refuses to start twice
  const done = [`npm run dev (pid ${pid ?? "unknown"}) stopped without cleaning up`];
  localEndpoints.remove(stateDir);
  const lock = join(dataDir, "postmaster.pid");
  if (existsSync(lock)) {
    // postmaster.pid: the server's pid, then its data folder (PostgreSQL's own lock file format).
    const [serverPid, serverData] = readFileSync(lock, "utf8").split("\n");
    const server = Number(serverPid);
    if (
      Number.isInteger(server) &&
      server > 0 &&
      resolve(serverData ?? "") === resolve(dataDir) &&
      processRunning(server) &&
      isPostgres(server)
    ) {
      process.kill(server, "SIGINT"); // PostgreSQL's fast shutdown
      for (const end = Date.now() + SHUTDOWN_MS; processRunning(server) && Date.now() < end;) await sleep(100);
      if (processRunning(server))
        throw new Error(`The PostgreSQL it left (pid ${server}) did not stop within ${SHUTDOWN_MS / 1000} s; stop it: kill ${server}`);
      done.push(`its PostgreSQL (pid ${server}) stopped`);
    }
  }
  return done;
}
