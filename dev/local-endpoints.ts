import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/**
 * What a running `npm run dev` serves, recorded in `<stateDir>/endpoints.json` so that `npm run job`,
 * `invoke` and `redrive` with `--local` need no other flag. Its shape follows the stack outputs
 * (apiUrl, websocketUrl, jobs.queueUrl, jobs.deadLetterQueueUrl), so those commands read either the same way.
 */
export interface LocalEndpoints {
  pid: number;
  stack: string;
  apiUrl: string;
  websocketUrl: string;
  pageUrl: string;
  issuer: string;
  /** The SQS API of the local queues (AWS JSON protocol). */
  sqsEndpoint: string;
  /** An access token for "dev-user". */
  token: string;
  /** What the local issuer asks of whoever signs in (the page link carries it): only the owner has it. */
  signInSecret: string;
  /** The operator's key for the local SQS API (redrive --local): requests are SigV4-checked, as in AWS. */
  operator: { accessKeyId: string; secretAccessKey: string };
  jobs: { queueUrl: string; deadLetterQueueUrl: string };
  database: { host: string; port: number; name: string; certFile: string };
  /** Each function's environment on the local platform. */
  functions: Record<string, Record<string, string>>;
}

/**
 * Where `npm run dev` keeps the database's data, its certificate and the endpoints record, and where the
 * `--local` commands look: GRAVITON_DEV_STATE_DIR, or the repository's ignored `.dev`.
 */
export const DEFAULT_STATE_DIR = process.env.GRAVITON_DEV_STATE_DIR || join(__dirname, "..", ".dev");

/** The state folder a shell without GRAVITON_DEV_STATE_DIR uses: the repository's `.dev`. */
export const REPOSITORY_STATE_DIR = join(__dirname, "..", ".dev");

/** What the platform keeps in its state folder (platform.ts): the endpoints record, the issuer's key, the database, the queues and the buckets. */
const STATE_ENTRIES = ["endpoints.json", "issuer-key.json", "postgres", "sqs", "s3"];

/**
 * Creates the state folder, its owner's only (every file in it is too): 0700. As root, PostgreSQL runs as
 * the "postgres" user (it refuses root), which must pass through the folder to its data, so there it is
 * 0711: others may enter it, not list it, and read nothing in it. Every folder above must let that user
 * through too; one that does not is named, with what to do. A folder that already holds anything else
 * (GRAVITON_DEV_STATE_DIR=/tmp, say) is refused untouched: its permissions are not the platform's to change.
 */
export function prepareStateFolder(stateDir: string): void {
  const root = process.getuid?.() === 0;
  const foreign = existsSync(stateDir)
    ? readdirSync(stateDir).filter((entry) => !STATE_ENTRIES.includes(entry) && !/^issuer-key\.json\.\d+$/.test(entry))
    : [];
  if (foreign.length > 0) {
    throw new Error(
      `${stateDir} holds files that are not npm run dev's (${foreign.slice(0, 5).join(", ")}${foreign.length > 5 ? ", ..." : ""}): ` +
        "its state folder must be its own. Name a new or empty folder: GRAVITON_DEV_STATE_DIR=/tmp/graviton-dev npm run dev.",
    );
  }
  mkdirSync(dirname(resolve(stateDir)), { recursive: true }); // folders above it, as any other folder is made
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, root ? 0o711 : 0o700);
  if (!root) return;
  for (let folder = dirname(resolve(stateDir)); ; folder = dirname(folder)) {
    if ((statSync(folder).mode & 0o001) === 0) {
      throw new Error(
        `As root, the local PostgreSQL runs as the "postgres" user, which cannot enter ${folder} (others may not pass through it). ` +
          "Run npm run dev as a normal user, or give it a state folder that user can reach: GRAVITON_DEV_STATE_DIR=/tmp/graviton-dev npm run dev.",
      );
    }
    if (folder === dirname(folder)) return;
  }
}

const fileIn = (stateDir: string) => join(stateDir, "endpoints.json");

/** Whether process `pid` exists (one of another user, which may not be signalled, counts). */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export const localEndpoints = {
  /** Written when the platform is up; it holds a token, so only its owner may read it. */
  write(stateDir: string, endpoints: LocalEndpoints): LocalEndpoints {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(fileIn(stateDir), `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
    return endpoints;
  },

  /** The running platform's endpoints, or an error that says how to start it. */
  read(stateDir = DEFAULT_STATE_DIR): LocalEndpoints {
    const file = fileIn(stateDir);
    if (!existsSync(file)) throw new Error(`The local platform is not running (no ${file}). Start it in another terminal: npm run dev`);
    let endpoints: LocalEndpoints;
    try {
      endpoints = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new Error(`${file} is not readable JSON (${(error as Error).message}); restart npm run dev, which rewrites it.`);
    }
    if (!Number.isInteger(endpoints?.pid) || !processRunning(endpoints.pid)) {
      throw new Error(`The local platform that wrote ${file} (pid ${endpoints?.pid}) is no longer running. Start it again: npm run dev`);
    }
    return endpoints;
  },

  /** The record of a platform that is running with `stateDir`, if one is. */
  runningIn(stateDir: string): LocalEndpoints | undefined {
    try {
      return localEndpoints.read(stateDir);
    } catch {
      return undefined;
    }
  },

  remove(stateDir: string): void {
    rmSync(fileIn(stateDir), { force: true });
  },
};
