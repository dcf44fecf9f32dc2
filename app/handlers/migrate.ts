import type { Context } from "aws-lambda";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import * as z from "zod/mini";
import { databaseSettingsFromEnvironment } from "../data/database-settings";
import { ensureLoginRole } from "../data/login-role";
import { applyMigrations, readMigrations } from "../data/migrations";
import { createPool, DatabaseConnectionError } from "../data/pool";
import { instrumented, logger } from "../observability/telemetry";

/** The group role 0001_jobs.sql creates with the app's privileges; the app's login role joins it. */
const APP_PRIVILEGES_ROLE = "app_rw";
/**
 * Right after the stack creates RDS Proxy, its target takes a while to become available (minutes, and
 * more on a new instance). Keep trying for as long as the invocation may run, less this margin to
 * report the failure: the whole of the function's timeout (900 s in app/functions.ts), not a fixed window.
 */
const FIRST_CONTACT_MARGIN_MS = 15_000;
const FIRST_CONTACT_RETRY_MS = 5_000;

// INIT: the migrations shipped in the image (app/migrations -> $LAMBDA_TASK_ROOT/migrations) and the
// pool, connecting as the database's admin user through RDS Proxy with IAM auth.
const migrations = readMigrations(process.env.MIGRATIONS_DIR ?? join(process.env.LAMBDA_TASK_ROOT ?? ".", "migrations"));
const pool = createPool(databaseSettingsFromEnvironment());

const request = z.object({
  appRole: z.object({ name: z.string(), passwordVerifier: z.string() }),
});

/**
 * Invoked by the stack (aws.lambda.Invocation) whenever the migrations change: applies the new ones and
 * makes sure the app's login role exists with the password verifier the stack computed. A failure
 * throws, which fails the deployment with this message.
 */
export const handler = instrumented(async (event: unknown, context: Context) => {
  const parsed = request.safeParse(event);
  if (!parsed.success) {
    // Name the problem, never echo the event: it carries the password verifier.
    const issue = parsed.error.issues[0];
    throw new Error(
      `migrate expects {"appRole": {"name", "passwordVerifier"}} from the stack; ${issue.path.join(".") || "the event"}: ${issue.message}`,
    );
  }
  await waitForDatabase(Date.now() + (context?.getRemainingTimeInMillis() ?? 300_000) - FIRST_CONTACT_MARGIN_MS);
  const report = await applyMigrations(pool, migrations);
  const status = await ensureLoginRole(pool, { ...parsed.data.appRole, memberOf: APP_PRIVILEGES_ROLE });
  const result = { ...report, appRole: { name: parsed.data.appRole.name, status } };
  logger.info("migrations done", result);
  return result;
});

async function waitForDatabase(deadline: number): Promise<void> {
  for (;;) {
    try {
      await pool.query("SELECT 1");
      return;
    } catch (error) {
      if (!(error instanceof DatabaseConnectionError) || Date.now() + FIRST_CONTACT_RETRY_MS > deadline) throw error;
      logger.warn("database not reachable yet; retrying", { error: error.message });
      await sleep(FIRST_CONTACT_RETRY_MS);
    }
  }
}
