import * as z from "zod/mini";
import { roleCredentials } from "../auth/role-credentials";
import { iamAuthToken } from "./iam-auth-token";
import type { PoolSettings } from "./pool";

/** The environment a function gets from Database.grantConnect (components/database.ts). */
const environment = z.object({
  DB_HOST: z.string().check(z.minLength(1)),
  DB_PORT: z.pipe(z.string().check(z.regex(/^\d{1,5}$/)), z.transform(Number)),
  DB_NAME: z.string().check(z.minLength(1)),
  DB_USER: z.string().check(z.minLength(1)),
  DB_IDLE_TIMEOUT_MS: z.pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number)),
  AWS_REGION: z.string().check(z.minLength(1)),
});

/**
 * Pool settings for a function attached to the database: the RDS Proxy endpoint, TLS with the
 * certificate verified against DB_HOST (the proxy's certificate chains to Amazon's roots, which Node
 * trusts; pg sends DB_HOST as the server name when it is a host name, never an IP address), and an
 * IAM auth token instead of a password, signed locally (no network call) for each new connection.
 */
export function databaseSettingsFromEnvironment(env: NodeJS.ProcessEnv = process.env): PoolSettings {
  const parsed = environment.safeParse(env);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".")))];
    throw new Error(
      `${names.join(", ")} ${names.length > 1 ? "are" : "is"} missing or malformed: a function that uses the database gets ` +
        "DB_HOST, DB_PORT, DB_NAME, DB_USER and DB_IDLE_TIMEOUT_MS from Database.grantConnect in index.ts.",
    );
  }
  const { DB_HOST: host, DB_PORT: port, DB_NAME: database, DB_USER: user } = parsed.data;
  const region = parsed.data.AWS_REGION;
  return {
    host,
    port,
    database,
    user,
    password: () => iamAuthToken({ host, port, user, region, credentials: roleCredentials() }),
    tls: {},
    idleTimeoutMs: parsed.data.DB_IDLE_TIMEOUT_MS,
  };
}
