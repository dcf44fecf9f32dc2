import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createHash } from "node:crypto";
import { readMigrations } from "../app/data/migrations";
import { scramSha256Verifier } from "./postgres-password";
import {
  databaseEnvironment,
  databaseSettings,
  poolIdleTimeoutMs,
  POSTGRES_PORT,
  type DatabaseArgs,
  type DatabaseNetwork,
  type DatabaseGrant,
} from "./database-settings";
import { z } from "zod";
import { rdsInstanceIdentifier } from "./rds-names";
import { logRetention, settingsFrom } from "./settings-schema";
import { serviceRole } from "./iam";
import { stackScopedName } from "./stack-name";

export * from "./database-settings";

/** The sha256 of the migrations (names and contents, in order): it changes exactly when they do. */
export function migrationsHash(dir: string): string {
  const hash = createHash("sha256");
  for (const migration of readMigrations(dir)) hash.update(`${migration.name}\0${migration.checksum}\n`);
  return hash.digest("hex");
}

/**
 * PostgreSQL on RDS (Graviton) behind RDS Proxy, in the stack's Network. Clients authenticate to the proxy with
 * IAM and TLS only; the proxy logs in to the database with secrets only it can read. Only functions
 * given a grant can reach the proxy, and only the proxy can reach the database.
 */
export class Database extends pulumi.ComponentResource {
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
    args: DatabaseArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("graviton:data:Database", name, {}, opts);
    const { proxy: proxySettings, name: databaseName, ...settings } = settingsFrom(databaseSettings, args);
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
    const network = this.network(args.network);
    const instance = this.instance({ ...settings, databaseName, logRetentionDays }, key, network);
    const appLogin = this.appLogin(settings.appUser, key);
    const proxy = this.proxy(proxySettings, { ...settings, region }, key, network, instance, appLogin.secret);

    this.nodes = { instance, proxy: proxy.proxy, key, securityGroups: network.groups };
    this.clientSubnetIds = pulumi.output(network.functionSubnetIds);
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
      proxyEndpoint: this.proxyEndpoint,
      proxyArn: this.proxyArn,
      proxyResourceId: this.proxyResourceId,
      databaseName: this.databaseName,
      adminUser: this.adminUser,
      appUser: this.appUser,
    });
  }

  /**
   * The security groups in the stack's network: functions -> proxy -> database on 5432, and HTTPS out of
   * the functions only when their subnets route out (through a NAT).
   */
  private network(network: DatabaseNetwork) {
    const { name } = this;
    const parent = { parent: this };
    const securityGroup = (role: string, description: string) =>
      new aws.ec2.SecurityGroup(`${name}-${role}`, { vpcId: network.vpcId, description }, parent);
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
    if (network.routesOut) {
      // AWS APIs (and whatever else the functions call) over HTTPS, through the NAT gateway.
      rules.push(
        new aws.vpc.SecurityGroupEgressRule(
          `${name}-clients-https-out`,
          { securityGroupId: clients.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443 },
          parent,
        ),
      );
    }

    return { ...network, groups: { clients, proxy: proxyGroup, postgres: databaseGroup }, rules };
  }

  /** RDS PostgreSQL: encrypted, private, IAM auth, TLS forced, backups, its log groups first, the admin password managed by RDS. */
  private instance(
    settings: Omit<z.output<typeof databaseSettings>, "proxy" | "name"> & { databaseName: string; logRetentionDays: number },
    key: aws.kms.Key,
    network: ReturnType<Database["network"]>,
  ): aws.rds.Instance {
    const { name } = this;
    const parent = { parent: this };
    const databaseGroup = network.groups.postgres;
    const subnetGroup = new aws.rds.SubnetGroup(`${name}-subnets`, { subnetIds: network.isolatedSubnetIds }, parent);
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
        vpcSubnetIds: network.isolatedSubnetIds,
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
      environment: databaseEnvironment({ host: this.proxyEndpoint, name: this.databaseName, user, idleTimeoutMs: this.idleTimeoutMs }),
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
