import pg from "pg";
import { inTransaction, type TransactionRunner } from "./queryable";

/** A PostgreSQL login role for the app, given its privileges through membership of a group role. */
export interface LoginRole {
  name: string;
  /**
   * The password as PostgreSQL stores it (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`),
   * never the password itself: the stack computes it, so this code never sees a password.
   */
  passwordVerifier: string;
  /** The group role that holds the privileges (created by a migration). */
  memberOf: string;
}

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const SCRAM_VERIFIER = /^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}:[A-Za-z0-9+/]+={0,2}$/;

/**
 * Creates the role, or brings an existing one up to date: LOGIN, the given password verifier, member
 * of `memberOf` and of nothing it should not be. Idempotent; serialised with the migrations' lock.
 */
export async function ensureLoginRole(database: TransactionRunner, role: LoginRole): Promise<"created" | "updated"> {
  for (const name of [role.name, role.memberOf]) {
    if (!ROLE_NAME.test(name)) throw new Error(`"${name}" is not a role name this platform creates: use lower-case letters, digits and _`);
  }
  if (!SCRAM_VERIFIER.test(role.passwordVerifier)) {
    throw new Error("passwordVerifier must be a SCRAM-SHA-256 verifier, never a plain password");
  }
  const name = pg.escapeIdentifier(role.name);
  return inTransaction(database, async (connection) => {
    await connection.query("SELECT pg_advisory_xact_lock(4707201893)");
    const { rows } = await connection.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role.name]);
    const verb = rows.length > 0 ? "ALTER" : "CREATE";
    // DDL takes no bind parameters; both values are validated above and quoted by pg.
    await connection.query(
      `${verb} ROLE ${name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${pg.escapeLiteral(role.passwordVerifier)}`,
    );
    await connection.query(`GRANT ${pg.escapeIdentifier(role.memberOf)} TO ${name}`);
    return verb === "CREATE" ? "created" : "updated";
  });
}
