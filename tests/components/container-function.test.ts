import * as aws from "@pulumi/aws";
import { strict as assert } from "node:assert";
import { ContainerFunction, ContainerFunctionArgs } from "../../components/container-function";
import { ContainerImage } from "../../components/container-image";
import { DOCKER_PLATFORMS } from "../../components/container-image-settings";
import { checkEnvironmentSize } from "../../components/lambda-environment";
import { Architecture } from "../../config";
import { evaluate, RegisteredResource } from "../mock-engine";
import { Registered } from "../registered";

type FunctionSettings = Omit<ContainerFunctionArgs, "image" | "command">;

/** Deploys one ContainerFunction with a real ContainerImage of both architectures. */
async function deploy(settings: FunctionSettings) {
  const deployment = await evaluate(() => {
    const image = new ContainerImage("app", { context: ".", dockerfile: "app/Dockerfile", architectures: ["arm64", "x86_64"] });
    const fn = new ContainerFunction("primes", { image, command: ["primes.handler"], ...settings });
    return { architecture: fn.architecture, imageUri: fn.imageUri, twin: fn.twin };
  });
  const registered = new Registered(deployment.resources);
  /** The Docker platform of the image a function runs, found through its digest. */
  const platformOf = (fn: RegisteredResource) =>
    registered.all("docker:index/image:Image").find((image) => image.state.repoDigest === fn.inputs.imageUri)?.inputs.build.platform;
  return { registered, outputs: deployment.outputs, platformOf };
}

const functionsOf = (registered: Registered) => registered.all("aws:lambda/function:Function");

describe("ContainerFunction", () => {
  for (const architecture of ["arm64", "x86_64"] as Architecture[]) {
    it(`runs the ${architecture} image on an ${architecture} function: the two cannot disagree`, async () => {
      const { registered, outputs, platformOf } = await deploy({ architecture });
      const [fn] = functionsOf(registered);
      assert.deepEqual(fn.inputs.architectures, [architecture]);
      assert.equal(platformOf(fn), DOCKER_PLATFORMS[architecture]);
      assert.equal(outputs.architecture, architecture);
      assert.equal(outputs.imageUri, fn.inputs.imageUri);
    });
  }

  it("is a container-image function with the handler command, JSON logs, active tracing and the given size", async () => {
    const { registered } = await deploy({
      architecture: "arm64",
      memory: 1769,
      timeout: 30,
      reservedConcurrency: 5,
      environment: { MODE: "demo" },
    });
    const [fn] = functionsOf(registered);
    assert.equal(fn.inputs.packageType, "Image");
    assert.deepEqual(fn.inputs.imageConfig.commands, ["primes.handler"]);
    assert.equal(fn.inputs.loggingConfig.logFormat, "JSON");
    assert.equal(fn.inputs.tracingConfig.mode, "Active");
    assert.equal(fn.inputs.memorySize, 1769);
    assert.equal(fn.inputs.timeout, 30);
    assert.equal(fn.inputs.reservedConcurrentExecutions, 5);
    assert.deepEqual(fn.inputs.environment.variables, { MODE: "demo" });
    assert.deepEqual(fn.inputs.tags, { "graviton:function": "primes", "graviton:variant": "primary" });
  });

  it("tags declared peak traffic for the capacity policy, and a twin as a twin", async () => {
    const { registered } = await deploy({
      architecture: "arm64",
      compareArchitectures: true,
      expectedTraffic: { rps: 20, durationMs: 150 },
    });
    assert.deepEqual(registered.one("aws:lambda/function:Function", "primes").inputs.tags, {
      "graviton:function": "primes",
      "graviton:variant": "primary",
      "graviton:expected-rps": "20",
      "graviton:expected-duration-ms": "150",
    });
    assert.equal(registered.one("aws:lambda/function:Function", "primes-x86_64").inputs.tags["graviton:variant"], "twin");
  });

  it("logs to its own log group with retention, and depends on it so the group exists first", async () => {
    const { registered } = await deploy({ architecture: "arm64", logRetentionDays: 30 });
    const [fn] = functionsOf(registered);
    const [logGroup] = registered.all("aws:cloudwatch/logGroup:LogGroup");
    assert.equal(logGroup.inputs.retentionInDays, 30);
    assert.equal(fn.inputs.loggingConfig.logGroup, logGroup.inputs.name);
    assert.ok(fn.dependencies.includes(logGroup.urn), "the function depends on its log group");
    const basePolicy = registered.one("aws:iam/rolePolicy:RolePolicy", "primes-base");
    assert.ok(fn.dependencies.includes(basePolicy.urn), "and on its log permissions, so its first invocation can log");
  });

  it("has a role Lambda alone can assume, allowing no '*' action and writing only its own logs", async () => {
    const { registered } = await deploy({ architecture: "arm64", compareArchitectures: true });
    const trust = JSON.parse(registered.one("aws:iam/role:Role", "primes-role").inputs.assumeRolePolicy);
    assert.deepEqual(
      trust.Statement.map((statement: any) => [statement.Principal.Service, statement.Action]),
      [["lambda.amazonaws.com", "sts:AssumeRole"]],
    );
    const policy = JSON.parse(registered.one("aws:iam/rolePolicy:RolePolicy", "primes-base").inputs.policy);
    const actions = policy.Statement.flatMap((statement: any) => [statement.Action].flat());
    assert.ok(
      actions.every((action: string) => !action.includes("*")),
      `wildcard action in ${actions}`,
    );
    const logStatement = policy.Statement.find((statement: any) => statement.Sid === "WriteOwnLogs");
    const logGroupArns = registered.all("aws:cloudwatch/logGroup:LogGroup").map((group) => `${group.state.arn}:*`);
    assert.deepEqual([...logStatement.Resource].sort(), logGroupArns.sort());
  });

  it("deploys no twin unless asked", async () => {
    const { registered, outputs } = await deploy({ architecture: "arm64" });
    assert.equal(functionsOf(registered).length, 1);
    assert.equal(outputs.twin, undefined);
  });

  for (const architecture of ["arm64", "x86_64"] as Architecture[]) {
    it(`with compareArchitectures, an ${architecture} function gets a twin of the other architecture running its own image`, async () => {
      const { registered, outputs, platformOf } = await deploy({ architecture, compareArchitectures: true, reservedConcurrency: 5 });
      const other: Architecture = architecture === "arm64" ? "x86_64" : "arm64";
      const twin = registered.one("aws:lambda/function:Function", `primes-${other}`);
      const primary = registered.one("aws:lambda/function:Function", "primes");
      assert.deepEqual(twin.inputs.architectures, [other]);
      assert.equal(platformOf(twin), DOCKER_PLATFORMS[other]);
      assert.notEqual(twin.inputs.imageUri, primary.inputs.imageUri);
      assert.deepEqual(twin.inputs.imageConfig, primary.inputs.imageConfig);
      assert.equal(twin.inputs.memorySize, primary.inputs.memorySize);
      assert.equal(twin.inputs.reservedConcurrentExecutions, undefined, "a twin reserves no account concurrency");
      assert.notEqual(twin.inputs.loggingConfig.logGroup, primary.inputs.loggingConfig.logGroup);
      assert.equal(outputs.twin.architecture, other);
      assert.equal(outputs.twin.imageUri, twin.inputs.imageUri);
    });
  }

  it("exposes its underlying resources (nodes), so a fork can add to them without editing the component", async () => {
    const { resources } = await evaluate(() => {
      const image = new ContainerImage("app", { context: ".", dockerfile: "app/Dockerfile", architectures: ["arm64", "x86_64"] });
      const fn = new ContainerFunction("primes", { image, command: ["primes.handler"], architecture: "arm64", compareArchitectures: true });
      // One more alarm on the primary function, from outside the component.
      new aws.cloudwatch.MetricAlarm("primes-timeouts", {
        namespace: "AWS/Lambda",
        metricName: "Duration",
        dimensions: { FunctionName: fn.nodes.functions[0].name },
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 1,
        threshold: 25_000,
        comparisonOperator: "GreaterThanThreshold",
      });
      assert.equal(fn.nodes.functions.length, 2, "the function and its twin");
      assert.equal(fn.nodes.logGroups.length, 2);
      assert.equal(fn.nodes.role, fn.role);
    });
    const registered = new Registered(resources);
    const [primary] = functionsOf(registered).filter((fn) => fn.name === "primes");
    assert.equal(
      registered.one("aws:cloudwatch/metricAlarm:MetricAlarm", "primes-timeouts").inputs.dimensions.FunctionName,
      primary.state.name,
    );
  });

  it("refuses, naming the function, an environment that passes Lambda's 4 KB once the stack's own variables are in (checked when their values are known)", () => {
    const variables = { PADDING: "x".repeat(3000), DB_HOST: "y".repeat(1100) };
    assert.throws(
      () => checkEnvironmentSize("primes", variables),
      /^Error: Function primes: its environment is 4127 bytes \(PADDING, DB_HOST\); Lambda allows 4096 in all/,
    );
    assert.deepEqual(checkEnvironmentSize("primes", { A: "b" }), { A: "b" });
  });
});
