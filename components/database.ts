import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createHash } from "node:crypto";
import { readMigrations } from "../app/data/migrations";
import { scramSha256Verifier } from "./postgres-password";
import { z } from "zod";
import { DEFAULT_POSTGRES_MAJOR, RDS_PROXY_POSTGRES_MAJORS, rdsInstanceIdentifier } from "./rds-names";
import { flag, logRetention, settingsFrom, strictObject, wholeNumber } from "./settings-schema";
import { AWS_LIMITS } from "./aws-limits";
import { serviceRole } from "./iam";
import { stackScopedName } from "./stack-name";

const POSTGRES_PORT = 5432;

export const NAT_GATEWAY_STRATEGIES = ["none", "single", "onePerAz"] as const;

/** The VPC of the database and of the functions that use it: `graviton-platform:network`. */
export const networkSettings = strictObject({
  availabilityZones: wholeNumber(2, 6).default(2).meta({ description: "zones the VPC spans (RDS needs two)" }),
  natGateways: z
    .enum(NAT_GATEWAY_STRATEGIES, { error: `must be one of ${NAT_GATEWAY_STRATEGIES.join(", ")}` })
    .default("single")
    .meta({
      description:
        "NAT for functions in the VPC (they call AWS APIs through it); `none` puts them in isolated subnets that reach only the database, and is refused while the worker (which posts to API Gateway) is one of them; `onePerAz` survives a zone outage",
    }),
});

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

/** pg's idle timeout (DB_IDLE_TIMEOUT_MS): 90% of the proxy's, so the pool closes a connection before the proxy does. */
export const poolIdleTimeoutMs = (idleClientTimeoutSeconds: number) => Math.floor(idleClientTimeoutSeconds * 900);

/** Settings (`network` and `database` of the stack config) and the log retention; every field has its default. */
export type DatabaseArgs = z.input<typeof networkSettings> & z.input<typeof databaseSettings> & { logRetentionDays?: number };

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

/** The sha256 of the migrations (names and contents, in order): it changes exactly when they do. */
export function migrationsHash(dir: string): string {
  const hash = createHash("sha256");
  for (const migration of readMigrations(dir)) hash.update(`${migration.name}\0${migration.checksum}\n`);
  return hash.digest("hex");
}

/**
 * PostgreSQL on RDS (Graviton) behind RDS Proxy in its own VPC. Clients authenticate to the proxy with
 * IAM and TLS only; the proxy logs in to the database with secrets only it can read. Only functions
 * given a grant can reach the proxy, and only the proxy can reach the database.
 */
export class Database extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly proxyEndpoint: pulumi.Output<string>;
  readonly proxyArn: pulumi.Output<string>;
  /** What CloudWatch names the proxy and the instance by (ProxyName, DBInstanceIdentifier). */
  readonly proxyName: pulumi.Output<string>;
  readonly instanceId: pulumi.Output<string>;
  /** The proxy's resource id (`prx-...`), which rds-db:connect ARNs name. */
  readonly proxyResourceId: pulumi.Output<string>;
  readonly databaseName: string;
  readonly adminUser: string;
  readonly appUser: string;
  /** Security group of the functions allowed to reach the proxy. */
  readonly clientSecurityGroupId: pulumi.Output<string>;
  /** Subnets the functions run in. */
  readonly clientSubnetIds: pulumi.Output<string[]>;
  /** The underlying resources, for a fork to read or extend (see "Changing a component" in docs/extending.md). */
  readonly nodes: {
    vpc: awsx.ec2.Vpc;
    instance: aws.rds.Instance;
    proxy: aws.rds.Proxy;
    key: aws.kms.Key;
    securityGroups: { clients: aws.ec2.SecurityGroup; proxy: aws.ec2.SecurityGroup; postgres: aws.ec2.SecurityGroup };
  };
  private readonly idleTimeoutMs: number;
  private readonly connectArnPrefix: pulumi.Output<string>;
  private readonly appRole: pulumi.Output<{ name: string; passwordVerifier: string }>;
  private readonly ready: pulumi.Resource[];

  constructor(
    private readonly name: string,
    args: DatabaseArgs = {},
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("graviton:data:Database", name, {}, opts);
    const {
      proxy: proxySettings,
      name: databaseName,
      ...settings
    } = { ...settingsFrom(networkSettings, args), ...settingsFrom(databaseSettings, args) };
    const logRetentionDays = logRetention.parse(args.logRetentionDays);
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

    // One key for the storage, Performance Insights and both secrets; the proxy may decrypt with it
    // only through Secrets Manager.
    const key = new aws.kms.Key(
      `${name}-key`,
      { description: `${name}: PostgreSQL storage, Performance Insights and database secrets`, enableKeyRotation: true },
      { parent: this },
    );
    const network = this.network(settings);
    const instance = this.instance({ ...settings, databaseName, logRetentionDays }, key, network);
    const appLogin = this.appLogin(settings.appUser, key);
    const proxy = this.proxy(proxySettings, { ...settings, region }, key, network, instance, appLogin.secret);

    this.nodes = { vpc: network.vpc, instance, proxy: proxy.proxy, key, securityGroups: network.groups };
    this.vpcId = network.vpc.vpcId;
    this.clientSubnetIds = network.clientSubnetIds;
    this.clientSecurityGroupId = network.groups.clients.id;
    this.proxyEndpoint = proxy.proxy.endpoint;
    this.proxyArn = proxy.proxy.arn;
    this.proxyName = proxy.proxy.name;
    this.instanceId = instance.identifier;
    // arn:aws:rds:<region>:<account>:db-proxy:prx-0123456789abcdef0 -> prx-0123456789abcdef0
    this.proxyResourceId = proxy.proxy.arn.apply((arn) => arn.split(":").pop()!);
    this.databaseName = databaseName;
    this.adminUser = settings.adminUser;
    this.appUser = settings.appUser;
    this.idleTimeoutMs = poolIdleTimeoutMs(proxySettings.idleClientTimeoutSeconds);
    this.appRole = appLogin.role;
    this.ready = [proxy.target, appLogin.secretVersion, ...network.rules];
    this.connectArnPrefix = pulumi.interpolate`arn:aws:rds-db:${region}:${account}:dbuser:${this.proxyResourceId}`;
    this.registerOutputs({
      vpcId: this.vpcId,
      proxyEndpoint: this.proxyEndpoint,
      proxyArn: this.proxyArn,
      proxyResourceId: this.proxyResourceId,
      databaseName: this.databaseName,
      adminUser: this.adminUser,
      appUser: this.appUser,
    });
  }

  /**
   * The database and the proxy in isolated subnets (no route out at all); the functions in private
   * subnets, which reach AWS APIs through NAT, or isolated ones when there is no NAT. Security groups:
   * functions -> proxy -> database on 5432, and HTTPS out of the functions only through a NAT.
   */
  private network(settings: Pick<z.output<typeof networkSettings>, "availabilityZones" | "natGateways">) {
    const { name } = this;
    const parent = { parent: this };
    const withNat = settings.natGateways !== "none";
    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        numberOfAvailabilityZones: settings.availabilityZones,
        natGateways: { strategy: ({ none: "None", single: "Single", onePerAz: "OnePerAz" } as const)[settings.natGateways] },
        subnetStrategy: "Auto",
        subnetSpecs: withNat ? [{ type: "Public" }, { type: "Private" }, { type: "Isolated" }] : [{ type: "Isolated" }],
        enableDnsHostnames: true,
      },
      parent,
    );

    const securityGroup = (role: string, description: string) =>
      new aws.ec2.SecurityGroup(`${name}-${role}`, { vpcId: vpc.vpcId, description }, parent);
    const clients = securityGroup("clients", "Lambda functions granted access to the database proxy");
    const proxyGroup = securityGroup("proxy", "RDS Proxy: reachable from granted functions only");
    const databaseGroup = securityGroup("postgres", "PostgreSQL: reachable from the proxy only");
    const postgresFrom = (rule: string, to: aws.ec2.SecurityGroup, from: aws.ec2.SecurityGroup) => [
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-${rule}-in`,
        { securityGroupId: to.id, referencedSecurityGroupId: from.id, ipProtocol: "tcp", fromPort: POSTGRES_PORT, toPort: POSTGRES_PORT },
        parent,
      ),
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-${rule}-out`,
        { securityGroupId: from.id, referencedSecurityGroupId: to.id, ipProtocol: "tcp", fromPort: POSTGRES_PORT, toPort: POSTGRES_PORT },
        parent,
      ),
    ];
    const rules = [
      ...postgresFrom("clients-to-proxy", proxyGroup, clients),
      ...postgresFrom("proxy-to-postgres", databaseGroup, proxyGroup),
    ];
    if (withNat) {
      // AWS APIs (and whatever else the functions call) over HTTPS, through the NAT gateway.
      rules.push(
        new aws.vpc.SecurityGroupEgressRule(
          `${name}-clients-https-out`,
          { securityGroupId: clients.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443 },
          parent,
        ),
      );
    }

    return {
      vpc,
      clientSubnetIds: withNat ? vpc.privateSubnetIds : vpc.isolatedSubnetIds,
      groups: { clients, proxy: proxyGroup, postgres: databaseGroup },
      rules,
    };
  }

  /** RDS PostgreSQL: encrypted, private, IAM auth, TLS forced, backups, its log groups first, the admin password managed by RDS. */
  private instance(
    settings: Omit<z.output<typeof databaseSettings>, "proxy" | "name"> & { databaseName: string; logRetentionDays: number },
    key: aws.kms.Key,
    network: ReturnType<Database["network"]>,
  ): aws.rds.Instance {
    const { name } = this;
    const parent = { parent: this };
    const vpc = network.vpc;
    const databaseGroup = network.groups.postgres;
    const subnetGroup = new aws.rds.SubnetGroup(`${name}-subnets`, { subnetIds: vpc.isolatedSubnetIds }, parent);
    const major = settings.engineVersion.split(".")[0];
    const parameters = new aws.rds.ParameterGroup(
      `${name}-params`,
      {
        family: `postgres${major}`,
        parameters: [
          { name: "rds.force_ssl", value: "1" },
          { name: "password_encryption", value: "scram-sha-256" },
          { name: "log_min_duration_statement", value: "1000" },
        ],
      },
      parent,
    );

    // RDS would create its log groups itself, with no retention: create them first.
    const identifier = rdsInstanceIdentifier(stackScopedName([name]));
    const logExports = ["postgresql", "upgrade"];
    const logGroups = logExports.map(
      (log) =>
        new aws.cloudwatch.LogGroup(
          `${name}-${log}-logs`,
          { name: `/aws/rds/instance/${identifier}/${log}`, retentionInDays: settings.logRetentionDays },
          parent,
        ),
    );

    const instance = new aws.rds.Instance(
      `${name}-postgres`,
      {
        identifier,
        engine: "postgres",
        engineVersion: settings.engineVersion,
        instanceClass: settings.instanceClass,
        allocatedStorage: settings.allocatedStorage,
        maxAllocatedStorage: settings.maxAllocatedStorage,
        storageType: "gp3",
        storageEncrypted: true,
        kmsKeyId: key.arn,
        dbName: settings.databaseName,
        username: settings.adminUser,
        // RDS generates the admin password and keeps it in Secrets Manager: it is never in this
        // program, its state, or any function's environment.
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: key.arn,
        dbSubnetGroupName: subnetGroup.name,
        vpcSecurityGroupIds: [databaseGroup.id],
        parameterGroupName: parameters.name,
        publiclyAccessible: false,
        multiAz: settings.multiAz,
        iamDatabaseAuthenticationEnabled: true,
        backupRetentionPeriod: settings.backupRetentionDays,
        copyTagsToSnapshot: true,
        deletionProtection: settings.deletionProtection,
        skipFinalSnapshot: !settings.finalSnapshot,
        finalSnapshotIdentifier: settings.finalSnapshot ? `${identifier}-final` : undefined,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: key.arn,
        performanceInsightsRetentionPeriod: 7,
        enabledCloudwatchLogsExports: logExports,
        autoMinorVersionUpgrade: true,
        caCertIdentifier: "rds-ca-rsa2048-g1",
      },
      { parent: this, dependsOn: logGroups },
    );
    return instance;
  }

  /**
   * The app user's password: random, kept in a secret only the proxy reads. The database gets only its
   * SCRAM verifier (through the migrate function), so no function ever sees it.
   */
  private appLogin(appUser: string, key: aws.kms.Key) {
    const { name } = this;
    const parent = { parent: this };
    const appPassword = new random.RandomPassword(`${name}-app-password`, { length: 40, special: false }, parent);
    const appSecret = new aws.secretsmanager.Secret(
      `${name}-app-user`,
      { description: `${name}: login of the database user ${appUser}, read by RDS Proxy only`, kmsKeyId: key.arn },
      parent,
    );
    const appSecretVersion = new aws.secretsmanager.SecretVersion(
      `${name}-app-user`,
      {
        secretId: appSecret.id,
        secretString: pulumi.secret(pulumi.jsonStringify({ username: appUser, password: appPassword.result })),
      },
      parent,
    );
    const appRole = pulumi.secret(
      appPassword.result.apply((password) => ({ name: appUser, passwordVerifier: scramSha256Verifier(password) })),
    );

    return { secret: appSecret, secretVersion: appSecretVersion, role: appRole };
  }

  /** RDS Proxy: TLS required, IAM auth required for both logins, its role reading exactly their secrets; pool settings and the target. */
  private proxy(
    proxySettings: z.output<typeof databaseSettings>["proxy"],
    settings: { adminUser: string; appUser: string; region: pulumi.Output<string> },
    key: aws.kms.Key,
    network: ReturnType<Database["network"]>,
    instance: aws.rds.Instance,
    appSecret: aws.secretsmanager.Secret,
  ) {
    const { name } = this;
    const parent = { parent: this };
    const { region } = settings;
    const vpc = network.vpc;
    const proxyGroup = network.groups.proxy;
    const adminSecretArn = instance.masterUserSecrets.apply((secrets) => secrets[0].secretArn);
    const { role: proxyRole, policy: proxySecrets } = serviceRole(
      `${name}-proxy-role`,
      "rds.amazonaws.com",
      [
        { Sid: "ReadOwnSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [adminSecretArn, appSecret.arn] },
        {
          Sid: "DecryptThemThroughSecretsManager",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: key.arn,
          Condition: { StringEquals: { "kms:ViaService": pulumi.interpolate`secretsmanager.${region}.amazonaws.com` } },
        },
      ],
      parent,
    );

    const login = (secretArn: pulumi.Input<string>, user: string) => ({
      authScheme: "SECRETS",
      secretArn,
      iamAuth: "REQUIRED",
      clientPasswordAuthType: "POSTGRES_SCRAM_SHA_256",
      description: `${user}: clients sign in with IAM; the proxy signs in to PostgreSQL with this secret`,
    });
    const proxy = new aws.rds.Proxy(
      `${name}-proxy`,
      {
        engineFamily: "POSTGRESQL",
        requireTls: true,
        idleClientTimeout: proxySettings.idleClientTimeoutSeconds,
        roleArn: proxyRole.arn,
        vpcSubnetIds: vpc.isolatedSubnetIds,
        vpcSecurityGroupIds: [proxyGroup.id],
        debugLogging: false,
        auths: [login(adminSecretArn, settings.adminUser), login(appSecret.arn, settings.appUser)],
      },
      { parent: this, dependsOn: [proxySecrets] },
    );
    const targetGroup = new aws.rds.ProxyDefaultTargetGroup(
      `${name}-proxy-pool`,
      {
        dbProxyName: proxy.name,
        connectionPoolConfig: {
          maxConnectionsPercent: proxySettings.maxConnectionsPercent,
          maxIdleConnectionsPercent: proxySettings.maxIdleConnectionsPercent,
          connectionBorrowTimeout: proxySettings.connectionBorrowTimeoutSeconds,
        },
      },
      parent,
    );
    const target = new aws.rds.ProxyTarget(
      `${name}-proxy-target`,
      { dbProxyName: proxy.name, targetGroupName: targetGroup.name, dbInstanceIdentifier: instance.identifier },
      parent,
    );

    return { proxy, target };
  }

  /**
   * What a function needs to connect as `user` (the app user, or the admin user for migrations):
   * `rds-db:connect` on exactly that user at this proxy, the subnets and security group that reach the
   * proxy, and the connection settings. Pass it to ContainerFunction as `database`.
   */
  grantConnect(user: string): DatabaseGrant {
    if (user !== this.appUser && user !== this.adminUser) {
      throw new Error(`grantConnect("${user}"): the proxy knows only "${this.appUser}" and "${this.adminUser}"`);
    }
    return {
      user,
      connectArn: pulumi.interpolate`${this.connectArnPrefix}/${user}`,
      environment: {
        DB_HOST: this.proxyEndpoint,
        DB_PORT: String(POSTGRES_PORT),
        DB_NAME: this.databaseName,
        DB_USER: user,
        DB_IDLE_TIMEOUT_MS: String(this.idleTimeoutMs),
      },
      subnetIds: this.clientSubnetIds,
      securityGroupIds: [this.clientSecurityGroupId],
    };
  }

  /**
   * Runs the migrate function on deploy (aws.lambda.Invocation): on the first deploy, and again exactly
   * when the migrations in `migrationsDir` change (or the app user's password does). A failing
   * migration fails the deployment with its message.
   */
  runMigrations(migrate: { functionName: pulumi.Output<string> }, migrationsDir: string): aws.lambda.Invocation {
    return new aws.lambda.Invocation(
      `${this.name}-migrate`,
      {
        functionName: migrate.functionName,
        input: pulumi.secret(pulumi.jsonStringify({ appRole: this.appRole })),
        triggers: { migrations: migrationsHash(migrationsDir) },
      },
      { parent: this, dependsOn: this.ready },
    );
  }
}
