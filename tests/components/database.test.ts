import { rdsInstanceIdentifier } from "../../components/rds-names";
import { strict as assert } from "node:assert";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ContainerFunction } from "../../components/container-function";
import { ContainerImage } from "../../components/container-image";
import { Database, DatabaseArgs, migrationsHash } from "../../components/database";
import { Network } from "../../components/network";
import type { networkSettings } from "../../components/network-settings";
import type { z } from "zod";
import { scramSha256Verifier } from "../../components/postgres-password";
import { evaluate, MOCK_ACCOUNT, RegisteredResource } from "../mock-engine";
import { Registered } from "../registered";

const TYPES = {
  instance: "aws:rds/instance:Instance",
  proxy: "aws:rds/proxy:Proxy",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  fn: "aws:lambda/function:Function",
  invocation: "aws:lambda/invocation:Invocation",
};

/** A Network and a Database in it, with an app function (app user) and the migrate function (admin user) attached. */
async function deploy(args: Omit<DatabaseArgs, "network"> & NetworkArgs = {}, migrationsDir = "app/migrations") {
  const deployment = await evaluate(() => {
    const image = new ContainerImage("app", { context: ".", dockerfile: "app/Dockerfile", architectures: ["arm64"] });
    const { availabilityZones, natGateways, ...databaseArgs } = args;
    const network = new Network("db", { availabilityZones, natGateways });
    const database = new Database("db", { ...databaseArgs, network });
    new ContainerFunction("worker", {
      image,
      command: ["worker.handler"],
      architecture: "arm64",
      database: database.grantConnect(database.appUser),
    });
    const migrate = new ContainerFunction("migrate", {
      image,
      command: ["migrate.handler"],
      architecture: "arm64",
      database: database.grantConnect(database.adminUser),
    });
    database.runMigrations(migrate, migrationsDir);
    return { proxyEndpoint: database.proxyEndpoint, proxyResourceId: database.proxyResourceId, vpcId: network.vpcId };
  });
  return { registered: new Registered(deployment.resources), outputs: deployment.outputs, resources: deployment.resources };
}

type NetworkArgs = z.input<typeof networkSettings>;

const statements = (policy: RegisteredResource) => JSON.parse(policy.inputs.policy).Statement as any[];

describe("Database", () => {
  let dev: Awaited<ReturnType<typeof deploy>>;
  before(async () => (dev = await deploy()));

  it("runs PostgreSQL on a Graviton class, encrypted, private, IAM-enabled, backed up, with its admin password managed by RDS", () => {
    const db = dev.registered.one(TYPES.instance, "db-postgres").inputs;
    assert.equal(db.engine, "postgres");
    assert.equal(db.engineVersion, "17", "the newest major RDS Proxy documents");
    assert.equal(db.instanceClass, "db.t4g.micro");
    assert.equal(db.storageEncrypted, true);
    assert.equal(db.kmsKeyId, dev.registered.one("aws:kms/key:Key", "db-key").state.arn);
    assert.equal(db.publiclyAccessible, false);
    assert.equal(db.iamDatabaseAuthenticationEnabled, true);
    assert.equal(db.backupRetentionPeriod, 7);
    assert.equal(db.manageMasterUserPassword, true);
    assert.equal(db.password, undefined, "no admin password in the program or its state");
    assert.equal(db.performanceInsightsEnabled, true);
    assert.deepEqual(db.enabledCloudwatchLogsExports, ["postgresql", "upgrade"]);
    assert.deepEqual(db.vpcSecurityGroupIds, ["db-postgres-id"], "only the database security group");
    const params = dev.registered.one("aws:rds/parameterGroup:ParameterGroup", "db-params").inputs;
    assert.equal(params.family, "postgres17");
    assert.ok(
      params.parameters.some((p: any) => p.name === "rds.force_ssl" && p.value === "1"),
      "the database refuses unencrypted connections",
    );
    const subnets = dev.registered.one("aws:rds/subnetGroup:SubnetGroup", "db-subnets").inputs.subnetIds;
    assert.ok(subnets.length === 2 && subnets.every((id: string) => id.startsWith("subnet-isolated-")), "isolated subnets in two zones");
  });

  it("has deletion protection and a final snapshot only where the stack says so", async () => {
    const devDb = dev.registered.one(TYPES.instance, "db-postgres").inputs;
    assert.equal(devDb.deletionProtection, false);
    assert.equal(devDb.skipFinalSnapshot, true);
    const prod = await deploy({
      deletionProtection: true,
      finalSnapshot: true,
      multiAz: true,
      backupRetentionDays: 14,
      instanceClass: "db.m7g.large",
    });
    const prodDb = prod.registered.one(TYPES.instance, "db-postgres").inputs;
    assert.equal(prodDb.deletionProtection, true);
    assert.equal(prodDb.skipFinalSnapshot, false);
    assert.equal(prodDb.finalSnapshotIdentifier, "graviton-platform-test-db-final");
    assert.equal(prodDb.multiAz, true);
    assert.equal(prodDb.backupRetentionPeriod, 14);
    assert.equal(prodDb.instanceClass, "db.m7g.large");
  });

  it("creates PostgreSQL's log groups with retention before the database", () => {
    const db = dev.registered.one(TYPES.instance, "db-postgres");
    for (const log of ["postgresql", "upgrade"]) {
      const group = dev.registered.one("aws:cloudwatch/logGroup:LogGroup", `db-${log}-logs`);
      assert.equal(group.inputs.name, `/aws/rds/instance/graviton-platform-test-db/${log}`);
      assert.equal(group.inputs.retentionInDays, 14);
      assert.ok(db.dependencies.includes(group.urn));
    }
  });

  it("puts RDS Proxy in front: TLS required, IAM auth required for every user, pool settings, the target registered", async () => {
    const proxy = dev.registered.one(TYPES.proxy, "db-proxy");
    assert.equal(proxy.inputs.engineFamily, "POSTGRESQL");
    assert.equal(proxy.inputs.requireTls, true);
    assert.equal(proxy.inputs.idleClientTimeout, 1800);
    const adminSecret = dev.registered.one(TYPES.instance, "db-postgres").state.masterUserSecrets[0].secretArn;
    const appSecret = dev.registered.one("aws:secretsmanager/secret:Secret", "db-app-user").state.arn;
    assert.deepEqual(
      proxy.inputs.auths.map((auth: any) => [auth.secretArn, auth.iamAuth, auth.authScheme]),
      [
        [adminSecret, "REQUIRED", "SECRETS"],
        [appSecret, "REQUIRED", "SECRETS"],
      ],
    );
    const pool = dev.registered.one("aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup", "db-proxy-pool").inputs;
    assert.deepEqual(pool.connectionPoolConfig, { maxConnectionsPercent: 90, maxIdleConnectionsPercent: 50, connectionBorrowTimeout: 30 });
    const target = dev.registered.one("aws:rds/proxyTarget:ProxyTarget", "db-proxy-target").inputs;
    assert.deepEqual([target.dbInstanceIdentifier, target.targetGroupName], ["graviton-platform-test-db", "default"]);

    const tuned = await deploy({
      proxy: { idleClientTimeoutSeconds: 600, maxConnectionsPercent: 50, maxIdleConnectionsPercent: 10, connectionBorrowTimeoutSeconds: 5 },
    });
    assert.equal(tuned.registered.one(TYPES.proxy, "db-proxy").inputs.idleClientTimeout, 600);
    assert.deepEqual(
      tuned.registered.one("aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup", "db-proxy-pool").inputs.connectionPoolConfig,
      {
        maxConnectionsPercent: 50,
        maxIdleConnectionsPercent: 10,
        connectionBorrowTimeout: 5,
      },
    );
  });

  it("lets the proxy read only its own two secrets, and decrypt them only through Secrets Manager", () => {
    const role = dev.registered.one("aws:iam/role:Role", "db-proxy-role");
    assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal, { Service: "rds.amazonaws.com" });
    const [read, decrypt] = statements(dev.registered.one(TYPES.rolePolicy, "db-proxy-role"));
    assert.deepEqual(read.Action, "secretsmanager:GetSecretValue");
    assert.deepEqual(read.Resource, [
      dev.registered.one(TYPES.instance, "db-postgres").state.masterUserSecrets[0].secretArn,
      dev.registered.one("aws:secretsmanager/secret:Secret", "db-app-user").state.arn,
    ]);
    assert.equal(decrypt.Resource, dev.registered.one("aws:kms/key:Key", "db-key").state.arn);
    assert.deepEqual(decrypt.Condition, { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } });
  });

  it("allows exactly: functions -> proxy on 5432, proxy -> database on 5432 (and functions -> HTTPS out through NAT)", () => {
    const idOf = (name: string) => `db-${name}-id`;
    const rule = (r: any) => [
      r.inputs.securityGroupId,
      r.inputs.referencedSecurityGroupId ?? r.inputs.cidrIpv4,
      r.inputs.ipProtocol,
      r.inputs.fromPort,
      r.inputs.toPort,
    ];
    const sorted = (rules: unknown[][]) => rules.map((r) => JSON.stringify(r)).sort();
    assert.deepEqual(
      sorted(dev.registered.all(TYPES.ingress).map(rule)),
      sorted([
        [idOf("proxy"), idOf("clients"), "tcp", 5432, 5432],
        [idOf("postgres"), idOf("proxy"), "tcp", 5432, 5432],
      ]),
    );
    assert.deepEqual(
      sorted(dev.registered.all(TYPES.egress).map(rule)),
      sorted([
        [idOf("clients"), idOf("proxy"), "tcp", 5432, 5432],
        [idOf("proxy"), idOf("postgres"), "tcp", 5432, 5432],
        [idOf("clients"), "0.0.0.0/0", "tcp", 443, 443],
      ]),
    );
    for (const group of dev.registered.all(TYPES.securityGroup)) {
      assert.equal(group.inputs.ingress, undefined, `${group.name} has no inline rules`);
      assert.equal(group.inputs.egress, undefined, `${group.name} has no inline rules`);
    }
  });

  it("Network builds the VPC with awsx from the network settings: NAT strategy, zones, and where functions run", async () => {
    const vpc = dev.registered.one("awsx:ec2:Vpc", "db-vpc").inputs;
    assert.equal(vpc.numberOfAvailabilityZones, 2);
    assert.deepEqual(vpc.natGateways, { strategy: "Single" });
    assert.deepEqual(
      vpc.subnetSpecs.map((spec: any) => spec.type),
      ["Public", "Private", "Isolated"],
    );
    const worker = dev.registered.one(TYPES.fn, "worker").inputs;
    assert.deepEqual(worker.vpcConfig.subnetIds, ["subnet-private-a", "subnet-private-b"]);

    const isolated = await deploy({ natGateways: "none", availabilityZones: 3 });
    const noNat = isolated.registered.one("awsx:ec2:Vpc", "db-vpc").inputs;
    assert.deepEqual([noNat.natGateways, noNat.numberOfAvailabilityZones], [{ strategy: "None" }, 3]);
    assert.deepEqual(noNat.subnetSpecs, [{ type: "Isolated" }], "awsx allows no private subnets without NAT");
    assert.deepEqual(isolated.registered.one(TYPES.fn, "worker").inputs.vpcConfig.subnetIds, [
      "subnet-isolated-a",
      "subnet-isolated-b",
      "subnet-isolated-c",
    ]);
    assert.ok(!isolated.registered.all(TYPES.egress).some((r) => r.inputs.cidrIpv4), "no way out, so no rule for one");
    const prod = await deploy({ natGateways: "onePerAz" });
    assert.deepEqual(prod.registered.one("awsx:ec2:Vpc", "db-vpc").inputs.natGateways, { strategy: "OnePerAz" });
  });

  it("moves a deployed VPC into the Network unreplaced: same name, aliased to the Database that held it before", () => {
    const vpc = dev.registered.one("awsx:ec2:Vpc", "db-vpc");
    const database = dev.registered.one("graviton:data:Database", "db");
    assert.match(vpc.parent!, /::graviton:network:Network::db$/);
    // What the VPC's URN was when the Database held it; its subnets and gateways follow their parent's alias.
    assert.deepEqual(vpc.aliases, [{ parentUrn: database.urn }]);
  });

  it("grantConnect: rds-db:connect on exactly this proxy's resource id and user, the VPC attachment and the settings", () => {
    const proxy = dev.registered.one(TYPES.proxy, "db-proxy");
    const resourceId = proxy.state.arn.split(":").pop();
    assert.match(resourceId, /^prx-[0-9a-f]{17}$/);
    assert.equal(dev.outputs.proxyResourceId, resourceId);
    assert.notEqual(resourceId, proxy.state.name, "the resource id, not the proxy's name");
    for (const [fn, user] of [
      ["worker", "app_user"],
      ["migrate", "postgres"],
    ]) {
      const [connect, network] = statements(dev.registered.one(TYPES.rolePolicy, `${fn}-database`));
      assert.deepEqual(
        [connect.Action, connect.Resource],
        ["rds-db:connect", `arn:aws:rds-db:us-east-1:${MOCK_ACCOUNT}:dbuser:${resourceId}/${user}`],
      );
      assert.ok(network.Action.includes("ec2:CreateNetworkInterface"));
      const inputs = dev.registered.one(TYPES.fn, fn).inputs;
      assert.deepEqual(inputs.vpcConfig.securityGroupIds, ["db-clients-id"]);
      const env = inputs.environment.variables;
      assert.deepEqual([env.DB_HOST, env.DB_PORT, env.DB_NAME, env.DB_USER], [proxy.state.endpoint, "5432", "app", user]);
      assert.ok(Number(env.DB_IDLE_TIMEOUT_MS) < 1800 * 1000, "the pool closes idle connections before the proxy does");
      const fnResource = dev.registered.one(TYPES.fn, fn);
      assert.ok(fnResource.dependencies.includes(dev.registered.one(TYPES.rolePolicy, `${fn}-database`).urn), "granted before it runs");
    }
  });

  it("grantConnect refuses a user the proxy has no secret for", async () => {
    await assert.rejects(
      evaluate(() => void new Database("db", { network: new Network("db") }).grantConnect("root")),
      /grantConnect\("root"\): the proxy knows only "app_user" and "postgres"/,
    );
  });

  it("keeps every password out of plain inputs: the app user's secret and the migrate input are secret, and hold no admin password", () => {
    const password = dev.registered.one("random:index/randomPassword:RandomPassword", "db-app-password").state.result;
    const version = dev.registered.one("aws:secretsmanager/secretVersion:SecretVersion", "db-app-user");
    assert.deepEqual(version.secretInputs, ["secretString"]);
    assert.deepEqual(JSON.parse(version.inputs.secretString), { username: "app_user", password });
    const invocation = dev.registered.one(TYPES.invocation, "db-migrate");
    assert.deepEqual(invocation.secretInputs, ["input"]);
    assert.deepEqual(JSON.parse(invocation.inputs.input), {
      appRole: { name: "app_user", passwordVerifier: scramSha256Verifier(password) },
    });
    for (const resource of dev.resources) {
      const plain = Object.entries(resource.inputs).filter(([key]) => !resource.secretInputs.includes(key));
      assert.ok(!JSON.stringify(plain).includes(password), `${resource.type} ${resource.name} has the password in a plain input`);
    }
  });

  describe("migrations on deploy", () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "migrations-"));
      cpSync("app/migrations", dir, { recursive: true });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const invocationOf = async (migrationsDir: string) => (await deploy({}, migrationsDir)).registered.one(TYPES.invocation, "db-migrate");

    it("invokes the migrate function once the proxy, its target and the app user's secret exist", async () => {
      const invocation = dev.registered.one(TYPES.invocation, "db-migrate");
      assert.equal(invocation.inputs.functionName, dev.registered.one(TYPES.fn, "migrate").state.name);
      for (const [type, name] of [
        ["aws:rds/proxyTarget:ProxyTarget", "db-proxy-target"],
        ["aws:secretsmanager/secretVersion:SecretVersion", "db-app-user"],
      ]) {
        assert.ok(invocation.dependencies.includes(dev.registered.one(type, name).urn), `after ${name}`);
      }
      assert.deepEqual(invocation.inputs.triggers, { migrations: migrationsHash("app/migrations") });
    });

    it("re-runs when a migration changes or is added, and only then (same inputs otherwise)", async () => {
      const before = await invocationOf(dir);
      writeFileSync(join(dir, "README.md"), "not a migration");
      assert.deepEqual((await invocationOf(dir)).inputs, before.inputs, "an unrelated file changes nothing");
      writeFileSync(join(dir, "0002_job_notes.sql"), "ALTER TABLE jobs ADD COLUMN note text;");
      const added = await invocationOf(dir);
      assert.notDeepEqual(added.inputs.triggers, before.inputs.triggers, "a new migration re-runs it");
      writeFileSync(join(dir, "0002_job_notes.sql"), "ALTER TABLE jobs ADD COLUMN notes text;");
      assert.notDeepEqual((await invocationOf(dir)).inputs.triggers, added.inputs.triggers, "an edited migration re-runs it");
    });
  });

  it("builds an RDS identifier AWS accepts from any stack name (1-63 letters, digits, single hyphens, a letter first)", () => {
    const valid = /^[a-z](?!.*--)[a-z0-9-]{0,61}[a-z0-9]$/;
    for (const stack of ["dev", "team_a.staging", "Feature__X..Y", "9lives", "s".repeat(100), "___", "ünïcode"]) {
      const identifier = rdsInstanceIdentifier("graviton-platform", stack, "db");
      assert.match(identifier, valid, `${stack} -> ${identifier}`);
    }
    assert.equal(rdsInstanceIdentifier("graviton-platform", "team_a.staging", "db"), "graviton-platform-team-a-staging-db");
    assert.notEqual(
      rdsInstanceIdentifier("p", "s".repeat(100), "db"),
      rdsInstanceIdentifier("p", `${"s".repeat(99)}t`, "db"),
      "long names stay apart",
    );
  });
});
