import { createHash, createHmac, pbkdf2Sync } from "node:crypto";

/** PostgreSQL's default SCRAM iteration count (scram_iterations). */
const ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802 / 7677, PostgreSQL's
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` format). `ALTER ROLE ... PASSWORD
 * '<verifier>'` sets the password without the password ever reaching the database or the function
 * that runs the statement. The salt is derived from the password so the verifier, and with it the
 * migrate invocation, only changes when the password does; the password is random, so a derived salt
 * gives up nothing. `password` must be ASCII (SASLprep leaves ASCII unchanged).
 */
export function scramSha256Verifier(password: string): string {
  if (!/^[\x21-\x7e]+$/.test(password)) throw new Error("scramSha256Verifier takes printable ASCII passwords only");
  const salt = createHmac("sha256", "graviton-platform scram salt").update(password).digest().subarray(0, 16);
  const saltedPassword = pbkdf2Sync(password, salt, ITERATIONS, 32, "sha256");
  const clientKey = createHmac("sha256", saltedPassword).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", saltedPassword).update("Server Key").digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
