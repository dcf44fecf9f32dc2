// A real PostgreSQL server for tests (dev/postgres/embedded-postgres.ts): started inside the test run, listening
// on 127.0.0.1 only, its data under the OS temp dir, stopped (and deleted) afterwards.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, ClientConfig } from "pg";
import { createPool, type DatabasePool } from "../app/data/pool";
import { freePort, postgresServer } from "../dev/postgres/embedded-postgres";

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

export async function startPostgres(): Promise<TestPostgres> {
  const parent = mkdtempSync(join(tmpdir(), "pg-data-"));
  chmodSync(parent, 0o755); // as root, PostgreSQL runs as "postgres", which must reach its data
  const host = "127.0.0.1";
  const user = "postgres";
  const password = "test-superuser-password";
  const server = await postgresServer({
    dataDir: join(parent, "data"),
    port: await freePort(),
    user,
    password,
    settings: { fsync: "off" },
  });
  await server.start();
  const port = server.port;

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
