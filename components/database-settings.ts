// The Database component's settings (`graviton-platform:database`, with AWS's bounds),
// and what it hands a function it grants access: the grant and the environment it sets.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { DEFAULT_POSTGRES_MAJOR, RDS_PROXY_POSTGRES_MAJORS } from "./rds-names";
import { flag, strictObject, wholeNumber } from "./settings-schema";
import { AWS_LIMITS } from "./aws-limits";

/** PostgreSQL's port, the proxy's and the database's. */
export const POSTGRES_PORT = 5432;

/** Roles RDS creates, and the group role the migrations create (app/migrations/0001_jobs.sql). */
const RESERVED_ROLES = new Set(["rdsadmin", "rds_superuser", "rds_iam", "rds_password", "app_rw", "public"]);

/** PostgreSQL identifiers the stack creates: lower case, so they never need quoting. */
const postgresName = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, {
  error: "must be a lower-case PostgreSQL name: a letter, then letters, digits or _ (at most 63)",
});

const BORROW_TIMEOUT = AWS_LIMITS.rdsProxyConnectionBorrowTimeoutSeconds;
const STORAGE = AWS_LIMITS.rdsGp3StorageGiB;
const HEADROOM = AWS_LIMITS.rdsMaxStorageHeadroomPercent.min;
/** The smallest storage autoscaling ceiling RDS takes for an allocated storage: 10% above it. */
export const smallestMaxStorage = (allocatedGiB: number) => Math.ceil((allocatedGiB * (100 + HEADROOM)) / 100);
/** The most storage that leaves room for autoscaling's 10% under RDS's ceiling. */
const LARGEST_ALLOCATED = Math.floor((STORAGE.max * 100) / (100 + HEADROOM));

const MASTER_USER_MAX = AWS_LIMITS.rdsMasterUsername.max;

const proxySettings = strictObject({
  idleClientTimeoutSeconds: wholeNumber(
    AWS_LIMITS.rdsProxyIdleClientTimeoutSeconds.min,
    AWS_LIMITS.rdsProxyIdleClientTimeoutSeconds.max,
    " (seconds)",
  )
    .default(1800)
    .meta({ description: "the proxy closes client connections idle this long (the app's pool closes them first)" }),
  maxConnectionsPercent: wholeNumber(AWS_LIMITS.rdsProxyMaxConnectionsPercent.min, AWS_LIMITS.rdsProxyMaxConnectionsPercent.max, " (%)")
    .default(90)
    .meta({ description: "share of the database's `max_connections` the proxy may use" }),
  maxIdleConnectionsPercent: wholeNumber(0, 100, " (%)")
    .default(50)
    .meta({ description: "share it keeps open while idle; at most `maxConnectionsPercent`" }),
  connectionBorrowTimeoutSeconds: wholeNumber(BORROW_TIMEOUT.min, BORROW_TIMEOUT.max, " (seconds)")
    .default(30)
    .meta({ description: "how long a client waits for a database connection before its query fails" }),
}).refine((proxy) => proxy.maxIdleConnectionsPercent <= proxy.maxConnectionsPercent, {
  path: ["maxIdleConnectionsPercent"],
  error: "must not exceed maxConnectionsPercent",
});

/** PostgreSQL on RDS and RDS Proxy: `graviton-platform:database`. */
export const databaseSettings = strictObject({
  instanceClass: z
    .string()
    .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { error: 'must be an RDS instance class such as "db.t4g.micro"' })
    .default("db.t4g.micro")
    .meta({ description: "RDS instance class; Graviton ones (`db.t4g`, `db.m7g`, `db.r8g` ...) pass the `rds-graviton` policy" }),
  engineVersion: z
    .string({ error: 'must be a PostgreSQL version in quotes, such as "17" or "17.6"' })
    .regex(/^\d{2}(\.\d+)?$/, { error: 'must be a PostgreSQL version in quotes, such as "17" or "17.6"' })
    .refine((version) => (RDS_PROXY_POSTGRES_MAJORS as readonly string[]).includes(version.split(".")[0]), {
      error: `must be a PostgreSQL major that RDS Proxy documents (${RDS_PROXY_POSTGRES_MAJORS.join(", ")})`,
    })
    .default(DEFAULT_POSTGRES_MAJOR)
    .meta({
      description: `PostgreSQL major ("17") or major.minor ("17.6"), quoted; the parameter group family follows the major. Only majors RDS Proxy documents (${RDS_PROXY_POSTGRES_MAJORS.join(", ")}) are accepted`,
    }),
  allocatedStorage: wholeNumber(STORAGE.min, LARGEST_ALLOCATED, " (GB)")
    .default(20)
    .meta({ description: `GB of gp3 storage; at most ${LARGEST_ALLOCATED}, which leaves autoscaling its 10% under RDS's ${STORAGE.max}` }),
  maxAllocatedStorage: wholeNumber(STORAGE.min, STORAGE.max, " (GB)")
    .default(100)
    .meta({ description: "storage autoscaling ceiling, GB; at least 10% above `allocatedStorage`, as RDS requires" }),
  multiAz: flag().default(false).meta({ description: "a standby in another zone" }),
  backupRetentionDays: wholeNumber(1, AWS_LIMITS.rdsBackupRetentionDays.max, " (days)")
    .default(7)
    .meta({ description: "days of automated backups (point-in-time recovery); 0 (off) is not allowed" }),
  deletionProtection: flag().default(false).meta({ description: "refuse to delete the instance (and the Cognito user pool)" }),
  finalSnapshot: flag().default(false).meta({ description: "snapshot the instance when it is deleted" }),
  name: postgresName.default("app").meta({ description: "the app's database (a lower-case PostgreSQL name)" }),
  adminUser: postgresName
    .max(MASTER_USER_MAX, { error: `must be at most ${MASTER_USER_MAX} characters: RDS's master user name` })
    .default("postgres")
    .meta({ description: "RDS master user (password managed by RDS in Secrets Manager); only `migrate` connects as it" }),
  appUser: postgresName.default("app_user").meta({ description: "the app's least-privileged login role; not `adminUser`" }),
  proxy: proxySettings.prefault({}).meta({ description: "RDS Proxy" }),
})
  .superRefine((db, context) => {
    const smallest = smallestMaxStorage(db.allocatedStorage);
    if (db.maxAllocatedStorage < smallest)
      context.addIssue({
        code: "custom",
        path: ["maxAllocatedStorage"],
        message: `must be at least ${smallest}, 10% above allocatedStorage (${db.allocatedStorage}): RDS refuses a smaller autoscaling ceiling ("Invalid max storage size"); it defaults to 100`,
      });
  })
  .refine((db) => db.appUser !== db.adminUser, {
    path: ["appUser"],
    error: "must differ from adminUser: the app never connects as the admin",
  })
  .superRefine((db, context) => {
    for (const key of ["adminUser", "appUser"] as const) {
      if (RESERVED_ROLES.has(db[key])) {
        context.addIssue({
          code: "custom",
          path: [key],
          message: `must not be one of ${[...RESERVED_ROLES].join(", ")} (roles RDS or the migrations own)`,
        });
      }
    }
  });

/**
 * What app/data/database-settings.ts reads: where the proxy is, the database, the user, and the pool's
 * idle timeout. Database.grantConnect sets it on a function; npm run dev sets it with its local proxy's.
 */
export const databaseEnvironment = <Host extends pulumi.Input<string>>(target: {
  host: Host;
  port?: number;
  name: string;
  user: string;
  idleTimeoutMs: number;
}) => ({
  DB_HOST: target.host,
  DB_PORT: String(target.port ?? POSTGRES_PORT),
  DB_NAME: target.name,
  DB_USER: target.user,
  DB_IDLE_TIMEOUT_MS: String(target.idleTimeoutMs),
});

/** pg's idle timeout (DB_IDLE_TIMEOUT_MS): 90% of the proxy's, so the pool closes a connection before the proxy does. */
export const poolIdleTimeoutMs = (idleClientTimeoutSeconds: number) => Math.floor(idleClientTimeoutSeconds * 900);

/** Settings (`network` and `database` of the stack config) and the log retention; every field has its default. */
/** Where the database runs: the stack's Network (network.ts). */
export interface DatabaseNetwork {
  vpcId: pulumi.Input<string>;
  /** Subnets with no route out, for the database and the proxy. */
  isolatedSubnetIds: pulumi.Input<string[]>;
  /** Subnets the functions granted access run in. */
  functionSubnetIds: pulumi.Input<string[]>;
  /** Whether the functions' subnets route out through a NAT gateway (they then may call HTTPS out). */
  routesOut: boolean;
}

export type DatabaseArgs = z.input<typeof databaseSettings> & { network: DatabaseNetwork; logRetentionDays?: number };

/**
 * What a function needs to connect as one database user: handed to ContainerFunction when it is created,
 * because a Lambda function's VPC attachment and environment are properties of the function itself.
 */
export interface DatabaseGrant {
  /** The database user the function connects as. */
  user: string;
  /** The `rds-db:connect` resource: `arn:aws:rds-db:<region>:<account>:dbuser:<proxy resource id>/<user>`. */
  connectArn: pulumi.Output<string>;
  /** DB_HOST (the proxy), DB_PORT, DB_NAME, DB_USER, DB_IDLE_TIMEOUT_MS: what app/data/database-settings.ts reads. */
  environment: Record<string, pulumi.Input<string>>;
  /** The subnets and security group that can reach the proxy. */
  subnetIds: pulumi.Output<string[]>;
  securityGroupIds: pulumi.Output<string>[];
}
