import pg from "pg";
import type { ConnectionOptions } from "node:tls";
import type { Queryable, TransactionRunner } from "./queryable";

export interface PoolSettings {
  host: string;
  port: number;
  database: string;
  user: string;
  /** Called for every new physical connection: with RDS Proxy, a fresh 15-minute IAM auth token. */
  password: () => Promise<string>;
  /** TLS options (certificates are always verified), or false for a local database in tests. */
  tls: ConnectionOptions | false;
  /** Close a connection idle this long; keep it below the proxy's idle client timeout. */
  idleTimeoutMs: number;
  /** Give up connecting (TCP, TLS and login) after this long, with an error instead of a hang. @default 3000 */
  connectTimeoutMs?: number;
  /** Give up waiting for a statement's answer after this long. Keep connect + query below the function's timeout. @default 5000 */
  queryTimeoutMs?: number;
}

/** Defaults that keep one statement (a connect, then the query) well inside a 10 s function timeout. */
export const DATABASE_TIMEOUTS = { connectTimeoutMs: 3000, queryTimeoutMs: 5000 } as const;

/** The database could not be reached or refused the login; the message says which and what to check. */
export class DatabaseConnectionError extends Error {
  override readonly name = "DatabaseConnectionError";
}

export interface DatabasePool extends Queryable, TransactionRunner {
  end(): Promise<void>;
}

/** PostgreSQL error codes of a session that ended under us (pg_terminate_backend, proxy or server restart). */
const SESSION_ENDED_CODES = new Set(["57P01", "57P02", "57P03", "08000", "08003", "08006"]);
const SESSION_ENDED_MESSAGES = [/connection terminated/i, /not queryable/i, /ECONNRESET|EPIPE/];

/**
 * True when `error` says the connection was gone before the statement could run: typically a pooled
 * connection the proxy closed while the execution environment was frozen. A timeout is not that: pg
 * reports a connect timeout as "Connection terminated due to connection timeout", and a database that
 * did not answer once will not answer a retry in time either.
 */
export function isEndedSession(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (/timeout/i.test(message ?? "")) return false;
  return (code !== undefined && SESSION_ENDED_CODES.has(code)) || SESSION_ENDED_MESSAGES.some((pattern) => pattern.test(message ?? ""));
}

function describeConnectionError(settings: PoolSettings, error: unknown): Error {
  const { code, message } = error as { code?: string; message?: string };
  const where = `PostgreSQL at ${settings.host}:${settings.port} (database "${settings.database}", user "${settings.user}")`;
  if (code === "28P01" || code === "28000") {
    return new DatabaseConnectionError(
      `${where} refused the login: ${message}. With RDS Proxy, check that the function's role may rds-db:connect as this user ` +
        "(Database.grantConnect) and that the proxy has this user's secret.",
    );
  }
  if (/query read timeout/i.test(message ?? "")) {
    return new DatabaseConnectionError(
      `${where} did not answer within ${settings.queryTimeoutMs ?? DATABASE_TIMEOUTS.queryTimeoutMs} ms: ${message}.`,
    );
  }
  if (
    /timeout/i.test(message ?? "") ||
    code === "ECONNREFUSED" ||
    code === "ENOTFOUND" ||
    code === "EHOSTUNREACH" ||
    isEndedSession(error)
  ) {
    return new DatabaseConnectionError(
      `${where} could not be reached: ${message}. Check that the function runs in the database's subnets and security group.`,
    );
  }
  return error as Error;
}

/**
 * One connection per execution environment (`max: 1`: a Lambda environment runs one request at a time,
 * and RDS Proxy does the pooling across environments). Create it at module scope, once.
 *
 * A statement that fails because its connection was closed while the environment was frozen is run
 * once more on a new connection. That is safe for single statements: a statement on a dead connection
 * never committed. Transactions (withConnection) are not retried.
 *
 * No session state is ever set (no SET, no session advisory locks, no temporary tables), so RDS Proxy
 * can multiplex the connection instead of pinning it.
 */
export function createPool(settings: PoolSettings): DatabasePool {
  const pool = new pg.Pool({
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.user,
    password: settings.password,
    ssl: settings.tls === false ? false : { ...settings.tls, rejectUnauthorized: true },
    max: 1,
    idleTimeoutMillis: settings.idleTimeoutMs,
    connectionTimeoutMillis: settings.connectTimeoutMs ?? DATABASE_TIMEOUTS.connectTimeoutMs,
    query_timeout: settings.queryTimeoutMs ?? DATABASE_TIMEOUTS.queryTimeoutMs,
  });
  // An idle connection closed by the server must not crash the process; the pool drops it and the
  // next statement opens a new one.
  pool.on("error", () => undefined);

  const query: Queryable["query"] = async (text, values) => {
    try {
      return await pool.query(text, values);
    } catch (error) {
      if (!isEndedSession(error)) throw describeConnectionError(settings, error);
    }
    try {
      return await pool.query(text, values);
    } catch (error) {
      throw describeConnectionError(settings, error);
    }
  };

  return {
    query,
    async withConnection(work) {
      const client = await pool.connect().catch((error: unknown) => {
        throw describeConnectionError(settings, error);
      });
      let failure: unknown;
      try {
        return await work(client);
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        // A connection that broke is destroyed rather than reused.
        client.release(failure !== undefined && isEndedSession(failure) ? (failure as Error) : undefined);
      }
    },
    end: () => pool.end(),
  };
}
