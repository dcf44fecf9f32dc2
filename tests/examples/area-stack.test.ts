import { strict as assert } from "node:assert";
import { join } from "node:path";
import { readStackConfig, stackConfigFrom } from "../../config";
import { runPolicies } from "../../policy/run-offline";
import { evaluate, evaluateStack, type MockDeployment } from "../mock-engine";
import { Registered } from "../registered";

const PLATFORM = "organization/graviton-platform/dev";

/**
 * A second stack of the product (examples/area-stack): its own function, on the dev platform stack's
 * database, through a stack reference to the platform's `shared` output, evaluated under mocks with the
 * outputs the platform program really exports.
 */
describe("how it splits: an area stack on the platform stack's database, by stack reference", function () {
  this.timeout(60_000);
  let platform: MockDeployment;
  let area: Registered;

  before(async () => {
    platform = await evaluateStack("dev");
    const program = require.resolve(join(__dirname, "..", "..", "examples", "area-stack", "index.ts"));
    const { resources } = await evaluate(
      () => {
        delete require.cache[program];
        return require(program);
      },
      {
        project: "graviton-area",
        stack: "reports-dev",
        config: { "graviton-area:platformStack": PLATFORM, "aws:region": "us-east-1" },
        stackReferences: { [PLATFORM]: platform.outputs },
      },
    );
    area = new Registered(resources);
  });

  it("the platform exports what an area needs: its database grant for the app user, its queue, its alarm topic", () => {
    const { database, jobs, alarmTopicArn } = platform.outputs.shared;
    const appUser = stackConfigFrom(readStackConfig("dev")).database.appUser;
    assert.equal(database.user, appUser);
    assert.ok(
      database.connectArn.startsWith("arn:aws:rds-db:us-east-1:") && database.connectArn.endsWith(`/${appUser}`),
      database.connectArn,
    );
    assert.deepEqual(Object.keys(database.environment).sort(), ["DB_HOST", "DB_IDLE_TIMEOUT_MS", "DB_NAME", "DB_PORT", "DB_USER"]);
    assert.ok(database.subnetIds.length >= 2 && database.securityGroupIds.length === 1);
    assert.match(jobs.queueArn, /^arn:aws:sqs:/);
    assert.match(alarmTopicArn, /^arn:aws:sns:|^arn:aws:mock:/);
  });

  it("runs the area's function in the platform's VPC, connecting to its proxy as the app user, and pages the platform's topic", () => {
    const { database, alarmTopicArn } = platform.outputs.shared;
    const fn = area.one("aws:lambda/function:Function", "reports");
    assert.deepEqual(fn.inputs.vpcConfig, { subnetIds: database.subnetIds, securityGroupIds: database.securityGroupIds });
    for (const [name, value] of Object.entries(database.environment)) assert.equal(fn.inputs.environment.variables[name], value, name);
    const grant = JSON.parse(area.one("aws:iam/rolePolicy:RolePolicy", "reports-database").inputs.policy).Statement;
    assert.deepEqual(grant[0], { Sid: "ConnectAsOneUser", Effect: "Allow", Action: "rds-db:connect", Resource: database.connectArn });
    assert.deepEqual(area.one("aws:cloudwatch/metricAlarm:MetricAlarm", "reports-errors").inputs.alarmActions, [alarmTopicArn]);
    // Its own resources only: nothing of the platform's is registered again.
    assert.equal(area.all("aws:rds/proxy:Proxy").length + area.all("awsx:ec2:Vpc").length + area.all("aws:sqs/queue:Queue").length, 0);
  });

  it("has no mandatory policy violation of its own", async () => {
    const { violations } = await runPolicies(area.resources);
    assert.deepEqual(
      violations.filter((violation) => violation.enforcementLevel === "mandatory"),
      [],
    );
  });
});
