import { createHash } from "node:crypto";

/**
 * The PostgreSQL majors RDS Proxy documents for RDS for PostgreSQL ("Supported Regions and DB engines
 * for Amazon RDS Proxy", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.html). No
 * stored copy of that page lists 18 yet; when AWS adds a major, add it here.
 */
export const RDS_PROXY_POSTGRES_MAJORS = ["13", "14", "15", "16", "17"] as const;
export const DEFAULT_POSTGRES_MAJOR = "17";

/**
 * An RDS DB instance identifier from the project, stack and component names: 1 to 63 letters, digits
 * and hyphens, starting with a letter, no two hyphens in a row, no trailing hyphen
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints).
 * Stack names may hold `_` and `.` and run to 100 characters: those become hyphens, and a name that
 * must be cut keeps a short hash of the whole, so two long stack names stay apart.
 */
export function rdsInstanceIdentifier(...parts: string[]): string {
  const whole = parts.join("-");
  const clean = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^[^a-z]+/, "")
      .replace(/-+$/, "");
  const identifier = clean(whole) || "db";
  if (identifier.length <= 63) return identifier;
  const hash = createHash("sha256").update(whole).digest("hex").slice(0, 8);
  return `${clean(identifier.slice(0, 63 - hash.length - 1))}-${hash}`;
}
