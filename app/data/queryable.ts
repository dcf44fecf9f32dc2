/**
 * What the data layer needs from a database connection: one parameterised statement at a time. A `pg`
 * Client, a `pg` Pool and this app's DatabasePool all fit, so the repository and the migration runner
 * are plain functions that tests run against a real PostgreSQL.
 */
export interface Queryable {
  query<Row extends Record<string, any> = Record<string, any>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/** A connection that can also hold a transaction open across statements. */
export interface TransactionRunner {
  /** Runs `work` on one connection taken from the pool, and gives the connection back. */
  withConnection<T>(work: (connection: Queryable) => Promise<T>): Promise<T>;
}

/** Runs `work` inside BEGIN ... COMMIT on one connection; ROLLBACK (and rethrow) if it throws. */
export function inTransaction<T>(database: TransactionRunner, work: (connection: Queryable) => Promise<T>): Promise<T> {
  return database.withConnection(async (connection) => {
    await connection.query("BEGIN");
    try {
      const result = await work(connection);
      await connection.query("COMMIT");
      return result;
    } catch (error) {
      await connection.query("ROLLBACK").catch(() => undefined); // the connection may be the thing that failed
      throw error;
    }
  });
}
