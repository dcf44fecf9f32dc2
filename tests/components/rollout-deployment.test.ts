import {
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  PutLifecycleEventHookExecutionStatusCommand,
  StopDeploymentCommand,
} from "@aws-sdk/client-codedeploy";
import {
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ListAliasesCommand,
  ListVersionsByFunctionCommand,
} from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import Module from "node:module";
import { join } from "node:path";
import { strict as assert } from "node:assert";
import { RolloutFailed, rollOut, type RolloutRequest } from "../../components/rollout-deployment";
import { CALL_LIMITS, runRollout } from "../../components/rollout-resource";
import { WAIT_MARGIN_MINUTES } from "../../components/rollouts";
import { evaluateStack } from "../mock-engine";
import { lambdaContext } from "../app/lambda-context";
import { capturedLogs } from "../app/captured-logs";

/** What a version does: serves well, fires its alarms once it has traffic, throws, or answers HTTP 502. */
type Outcome = "succeed" | "alarm" | "crash" | "5xx";

/** The platform's before-traffic check (app/handlers/pre-traffic.ts), loaded as Lambda loads it: its sample event in its environment. */
function loadCheck(sampleEvent: object): (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<{ status: string }> {
  process.env.PRE_TRAFFIC_EVENT = JSON.stringify(sampleEvent);
  const module = require.resolve("../../app/handlers/pre-traffic");
  delete require.cache[module];
  return require(module).handler;
}

/**
 * CodeDeploy and Lambda as a Lambda deployment drives them: a deployment goes Created -> InProgress (the
 * alias weighted 10% to the target) -> Succeeded (the alias on the target) or, when the target's alarms
 * fire, Stopped with a rollback (the alias back on its version, no weights), one step per GetDeployment.
 */
class DeploymentWorld {
  readonly codedeploy = mockClient(CodeDeployClient);
  readonly lambda = mockClient(LambdaClient);
  alias: { FunctionVersion: string; RoutingConfig?: { AdditionalVersionWeights: Record<string, number> } } = { FunctionVersion: "4" };
  versions: { Version: string; Description?: string }[] = ["$LATEST", "1", "2", "3", "4"].map((Version) => ({ Version }));
  /** What happens to each target version. */
  outcomes: Record<string, Outcome> = {};
  deployments = new Map<string, { current: string; target: string; steps: string[]; appSpec: any; content?: string }>();
  hookCalls = 0;
  /** What the check logged (its verdict and why). */
  checkLogs: string[] = [];
  private checking = false;
  deleted: string[] = [];
  stopped: { deploymentId?: string; autoRollbackEnabled?: boolean }[] = [];
  /** Each version's architecture (Lambda's GetFunctionConfiguration), arm64 unless set. */
  architectures: Record<string, string> = {};
  /** The before-traffic check CodeDeploy runs for an AppSpec that names one, and what it reported. */
  check?: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
  hookReports: { deploymentId?: string; status?: string }[] = [];
  /** Versions invoked (by the check), and the alias's versions each time the check ran. */
  invoked: string[] = [];
  /** The alias as it stood at every InProgress step, and which versions were gone by then. */
  duringShift: { alias: string[]; deleted: string[] }[] = [];

  constructor() {
    this.codedeploy.on(ListDeploymentsCommand).callsFake(async () => ({
      deployments: [...this.deployments].filter(([, d]) => !["Succeeded", "Stopped", "Failed"].includes(d.steps[0])).map(([id]) => id),
    }));
    this.codedeploy.on(CreateDeploymentCommand).callsFake(async (input) => {
      const appSpec = JSON.parse(input.revision.appSpecContent.content);
      const { Properties: properties } = Object.values(appSpec.Resources[0])[0] as any;
      const id = `d-${[...this.deployments.keys()].filter((key) => key !== "d-0").length + 1}`;
      const outcome = this.outcomes[properties.TargetVersion] ?? "succeed";
      this.deployments.set(id, {
        current: properties.CurrentVersion,
        target: properties.TargetVersion,
        // BeforeAllowTraffic runs before any shift; a version that fails once it has traffic is stopped by its alarms.
        steps: ["Created", ...(appSpec.Hooks ? ["BeforeAllowTraffic"] : []), "InProgress", outcome === "alarm" ? "Stopped" : "Succeeded"],
        appSpec,
        content: input.revision.appSpecContent.content,
      });
      return { deploymentId: id };
    });
    this.codedeploy.on(GetDeploymentCommand).callsFake(async ({ deploymentId }) => {
      const deployment = this.deployments.get(deploymentId)!;
      const revision = { revisionType: "AppSpecContent" as const, appSpecContent: { content: deployment.content } };
      // The check reads the deployment while it runs: that is no step of the rollout's own watching.
      if (this.checking) return { deploymentInfo: { deploymentId, status: "InProgress", revision } };
      let status = deployment.steps.length > 1 ? deployment.steps.shift()! : deployment.steps[0];
      if (status === "BeforeAllowTraffic") {
        // CodeDeploy invokes the hook with the deployment and execution ids; a Failed report fails the deployment, no traffic moved.
        this.hookCalls++;
        this.checking = true;
        const { lines } = await capturedLogs(() =>
          this.check!(
            { DeploymentId: deploymentId, LifecycleEventHookExecutionId: `hook-${deploymentId}` },
            lambdaContext("primes-hook", 30_000),
          ),
        ).finally(() => (this.checking = false));
        this.checkLogs.push(...lines.map((line) => line.message ?? line.text));
        const report = this.hookReports.find((entry) => entry.deploymentId === deploymentId);
        if (report?.status !== "Succeeded") deployment.steps = ["Failed"];
        status = "InProgress";
      }
      if (status === "InProgress" && deployment.steps[0] !== "Failed") {
        this.alias = { ...this.alias, RoutingConfig: { AdditionalVersionWeights: { [deployment.target]: 0.1 } } };
        this.duringShift.push({ alias: [this.alias.FunctionVersion, deployment.target], deleted: [...this.deleted] });
      }
      if (status === "Succeeded") this.alias = { FunctionVersion: deployment.target };
      if (status === "Stopped" || status === "Failed") this.alias = { FunctionVersion: deployment.current };
      return {
        deploymentInfo: {
          deploymentId,
          status,
          // GetDeployment returns the revision: the AppSpec the check reads its target from.
          revision,
          ...(status === "Stopped" && {
            errorInformation: { code: "ALARM_ACTIVE", message: "One or more alarms have been activated: rollouts-primes-errors" },
            rollbackInfo: { rollbackMessage: "Rolled back: the alarms fired" },
          }),
          ...(status === "Failed" && {
            errorInformation: { code: "HOOK_EXECUTION_FAILURE", message: "The BeforeAllowTraffic hook reported Failed" },
            rollbackInfo: { rollbackMessage: "Rolled back: the deployment failed" },
          }),
        },
      };
    });
    this.codedeploy
      .on(PutLifecycleEventHookExecutionStatusCommand)
      .callsFake(async (input) => (this.hookReports.push(input), { lifecycleEventHookExecutionId: input.lifecycleEventHookExecutionId }));
    this.lambda.on(InvokeCommand).callsFake(async ({ Qualifier }) => {
      this.invoked.push(Qualifier);
      const outcome = this.outcomes[Qualifier] ?? "succeed";
      if (outcome === "crash")
        return { StatusCode: 200, FunctionError: "Unhandled", Payload: Buffer.from('{"errorType":"TypeError","errorMessage":"boom"}') };
      return { StatusCode: 200, Payload: Buffer.from(JSON.stringify({ statusCode: outcome === "5xx" ? 502 : 200, body: "{}" })) };
    });
    this.lambda
      .on(GetFunctionConfigurationCommand)
      .callsFake(async ({ Qualifier }) => ({ Version: Qualifier, Architectures: [this.architectures[Qualifier] ?? "arm64"] }));
    this.codedeploy.on(StopDeploymentCommand).callsFake(async (input) => (this.stopped.push(input), { status: "Pending" }));
    this.lambda.on(GetAliasCommand).callsFake(async () => ({ Name: "live", ...this.alias }));
    this.lambda.on(ListAliasesCommand).callsFake(async () => ({ Aliases: [{ Name: "live", ...this.alias }] }));
    this.lambda.on(ListVersionsByFunctionCommand).callsFake(async () => ({ Versions: this.versions }));
    this.lambda.on(DeleteFunctionCommand).callsFake(async ({ Qualifier }) => {
      this.deleted.push(Qualifier);
      this.versions = this.versions.filter((version) => version.Version !== Qualifier);
      return {};
    });
  }

  publish(): string {
    const version = String(Math.max(...this.versions.filter((v) => v.Version !== "$LATEST").map((v) => Number(v.Version))) + 1);
    this.versions.push({ Version: version });
    return version;
  }

  restore() {
    this.codedeploy.restore();
    this.lambda.restore();
  }
}

const request = (targetVersion: string): RolloutRequest => ({
  functionName: "primes-a1b2c3d",
  alias: "live",
  targetVersion,
  application: "rollouts-a1b2c3d",
  deploymentGroup: "primes",
  waitSeconds: 15 * 60,
  pollSeconds: 0,
});

/** A clock the rollout's waits move: every sleep advances it, so a test never waits in real time. */
function fakeClock() {
  let now = 0;
  const logs: string[] = [];
  return {
    logs,
    options: { now: () => now, sleep: async (ms: number) => void (now += Math.max(ms, 1000)), log: (line: string) => void logs.push(line) },
  };
}

describe("a rollout (CodeDeploy deployment of the live alias), against CodeDeploy's and Lambda's APIs (aws-sdk-client-mock)", () => {
  let world: DeploymentWorld;
  const clients = () => ({ codedeploy: new CodeDeployClient({ region: "us-east-1" }), lambda: new LambdaClient({ region: "us-east-1" }) });
  beforeEach(() => (world = new DeploymentWorld()));
  afterEach(() => world.restore());

  it("deploys the new version from the one the alias serves, reports progress, and removes the versions nothing uses", async () => {
    world.versions.push({ Version: "5" }, { Version: "6", Description: "power tuning run-1: graviton-tuning-512" });
    const target = world.publish(); // 7
    const clock = fakeClock();
    const outcome = await rollOut(clients(), request(target), clock.options);
    assert.equal(world.alias.FunctionVersion, target);
    assert.deepEqual(Object.values(world.deployments.get("d-1")!.appSpec.Resources[0])[0], {
      Type: "AWS::Lambda::Function",
      Properties: { Name: "primes-a1b2c3d", Alias: "live", CurrentVersion: "4", TargetVersion: target },
    });
    assert.deepEqual(outcome, {
      deploymentId: "d-1",
      fromVersion: "4",
      version: target,
      architecture: "arm64",
      deletedVersions: ["1", "2", "3", "5"],
    });
    // The previous version stays (one update-alias from serving again), and power tuning's own is its to remove.
    assert.deepEqual(
      world.versions.map((v) => v.Version),
      ["$LATEST", "4", "6", target],
    );
    assert.deepEqual(clock.logs.slice(0, 4), [
      `primes-a1b2c3d:live 4 -> ${target}: d-1`,
      "d-1: Created",
      "d-1: InProgress",
      "d-1: Succeeded",
    ]);
  });

  it("fails on a rollback, leaving the alias on the version it served; the next up (the fix, a newer version) deploys cleanly from there", async () => {
    const bad = world.publish(); // 5
    world.outcomes[bad] = "alarm";
    const failed: Error = await rollOut(clients(), request(bad), fakeClock().options).then(
      () => assert.fail("a rollback must fail the up"),
      (error) => error,
    );
    assert.ok(failed instanceof RolloutFailed);
    assert.match(failed.message, /version 5 did not go live \(d-1 Stopped: One or more alarms .*rollouts-primes-errors; Rolled back/);
    assert.match(failed.message, /The live alias serves version 4\. Fix the cause .* then run pulumi up again/);
    assert.deepEqual(world.alias, { FunctionVersion: "4" }, "no weights left behind");
    assert.deepEqual(world.deleted, [], "nothing is removed after a rollback");

    // pulumi up with the fixed code: the function publishes 6, the Rollout's target changes, and it deploys from 4.
    const fixed = world.publish();
    const outcome = await rollOut(clients(), request(fixed), fakeClock().options);
    assert.equal(world.deployments.get("d-2")!.current, "4");
    assert.deepEqual(world.alias, { FunctionVersion: fixed });
    assert.deepEqual(outcome.deletedVersions, ["1", "2", "3", bad], "the failed version goes too; 4 stays as the previous one");
  });

  it("waits first for a deployment of the group that an interrupted up left running, then deploys from where it ended", async () => {
    const first = world.publish(); // 5
    world.deployments.set("d-0", { current: "4", target: first, steps: ["InProgress", "Succeeded"], appSpec: {} });
    const second = world.publish(); // 6
    const clock = fakeClock();
    await rollOut(clients(), request(second), clock.options);
    assert.equal(clock.logs[0], "waiting for d-0, which was running already");
    assert.equal(world.deployments.get("d-1")!.current, first, "from the version the earlier deployment left live");
    assert.equal(world.alias.FunctionVersion, second);
  });

  it("stops (with a rollback) a deployment still running when its wait runs out, and fails", async () => {
    const target = world.publish();
    world.codedeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: "InProgress" } });
    const error: Error = await rollOut(clients(), request(target), fakeClock().options).then(
      () => assert.fail("a stopped deployment must fail the up"),
      (e) => e,
    );
    assert.ok(error instanceof RolloutFailed);
    assert.match(error.message, /still InProgress when the rollout's wait ran out; it is stopped and rolled back/);
    assert.deepEqual(world.stopped, [{ deploymentId: "d-1", autoRollbackEnabled: true }]);
  });

  it("creates no deployment when the alias is at the version already (the first up, or an up after a rollout by hand)", async () => {
    const outcome = await rollOut(clients(), request("4"), fakeClock().options);
    assert.equal(world.codedeploy.commandCalls(CreateDeploymentCommand).length, 0);
    assert.equal(outcome.deploymentId, undefined);
  });

  it("with a before-traffic check: a version that fails its sample event gets no traffic and is rolled back; the next up deploys the fix", async () => {
    world.check = loadCheck({ rawPath: "/primes", queryStringParameters: { max: "100" } });
    const broken = world.publish(); // 5
    world.outcomes[broken] = "crash";
    const checked = { ...request(broken), beforeAllowTraffic: "primes-hook-a1b2c3d" };
    const failed: Error = await rollOut(clients(), checked, fakeClock().options).then(
      () => assert.fail("a failed check must fail the up"),
      (error) => error,
    );
    assert.ok(failed instanceof RolloutFailed);
    assert.match(failed.message, /version 5 did not go live \(d-1 Failed: The BeforeAllowTraffic hook reported Failed/);
    assert.deepEqual(world.deployments.get("d-1")!.appSpec.Hooks, [{ BeforeAllowTraffic: "primes-hook-a1b2c3d" }]);
    assert.deepEqual(world.invoked, [broken], "the check tried the new version itself, by its number");
    assert.deepEqual(world.hookReports, [{ deploymentId: "d-1", lifecycleEventHookExecutionId: "hook-d-1", status: "Failed" }]);
    assert.deepEqual(world.duringShift, [], "no traffic ever moved to it");
    assert.deepEqual(world.checkLogs, [
      `primes-a1b2c3d version ${broken} may not have traffic: it failed (Unhandled): {"errorType":"TypeError","errorMessage":"boom"}`,
    ]);
    assert.deepEqual(world.alias, { FunctionVersion: "4" });

    // A 5xx answer fails the check too; the fixed version (a 4xx to a sample it refuses is its job) goes live.
    const erroring = world.publish(); // 6
    world.outcomes[erroring] = "5xx";
    await assert.rejects(rollOut(clients(), { ...checked, targetVersion: erroring }, fakeClock().options), RolloutFailed);
    assert.equal(world.hookReports.at(-1)!.status, "Failed");
    const fixed = world.publish(); // 7
    const outcome = await rollOut(clients(), { ...checked, targetVersion: fixed }, fakeClock().options);
    assert.equal(world.hookReports.at(-1)!.status, "Succeeded");
    assert.equal(world.deployments.get("d-3")!.current, "4", "each attempt starts from the version still live");
    assert.deepEqual([outcome.version, world.alias.FunctionVersion], [fixed, fixed]);
    assert.equal(world.hookCalls, 3);
  });

  it("all at once (no deployment group): Pulumi moved the alias, so no CodeDeploy call; the versions nothing uses go, the previous one stays", async () => {
    const next = world.publish(); // 5
    world.alias = { FunctionVersion: next }; // Pulumi's alias update, before the Rollout's
    const { application: _, deploymentGroup: __, ...allAtOnce } = request(next);
    const outcome = await rollOut(clients(), allAtOnce, fakeClock().options, "4");
    assert.equal(world.codedeploy.calls().length, 0);
    assert.deepEqual(outcome, {
      deploymentId: undefined,
      fromVersion: "4",
      version: next,
      architecture: "arm64",
      deletedVersions: ["1", "2", "3"],
    });
    // The stack's first up: nothing was live before, nothing to keep but the alias's.
    world.alias = { FunctionVersion: world.publish() }; // 6
    assert.deepEqual((await rollOut(clients(), { ...allAtOnce, targetVersion: "6" }, fakeClock().options)).deletedVersions, ["4", "5"]);
  });

  it("switches architecture as a canary: the arm64 version takes 10% first, the x86_64 one stays until the shift ends, and the rollout reports arm64 live", async () => {
    world.architectures["4"] = "x86_64";
    const arm = world.publish(); // 5: the same function, its architectures and image switched, published
    world.architectures[arm] = "arm64";
    const clock = fakeClock();
    const outcome = await rollOut(clients(), request(arm), clock.options);
    assert.deepEqual(world.duringShift, [{ alias: ["4", arm], deleted: [] }], "both versions serve while traffic is split, none deleted");
    assert.equal(outcome.architecture, "arm64");
    assert.equal(clock.logs.at(-1), `primes-a1b2c3d:live serves version ${arm} on arm64`);
    assert.deepEqual(
      world.versions.map((version) => version.Version),
      ["$LATEST", "4", arm],
      "the x86_64 version is the one rollback target left",
    );
  });

  it("bounds every CodeDeploy and Lambda call well inside the rollout's own wait", () => {
    const worstCallMs = CALL_LIMITS.maxAttempts * (CALL_LIMITS.connectionTimeoutMs + CALL_LIMITS.requestTimeoutMs);
    // The shortest wait is a group's margin alone (10 minutes past the shift): a call is a small part of it.
    assert.ok(worstCallMs * 5 <= WAIT_MARGIN_MINUTES * 60_000, `one call can take ${worstCallMs} ms`);
  });

  it("runs as Pulumi ships it: the provider serialized into the stack's state, loaded fresh, creates the rollout", async function () {
    this.timeout(60_000);
    const { resources } = await evaluateStack("prod");
    const rollout = resources.find((resource) => resource.type.startsWith("pulumi-nodejs:dynamic") && resource.name === "rollouts-get-job");
    assert.ok(rollout, "prod registers a Rollout for get-job");
    // The serialized text is a module of its own; it resolves its requires from the project, as the engine runs it.
    const file = join(__dirname, "..", "..", "serialized-rollout-provider.js");
    const loaded = new Module(file);
    loaded.filename = file;
    loaded.paths = (Module as any)._nodeModulePaths(join(__dirname, "..", ".."));
    (loaded as any)._compile(rollout.inputs.__provider, file);
    const provider = loaded.exports.handler();
    const target = world.publish();
    // Its progress goes to the engine's log (stdout): kept out of the test's output.
    const { result: created } = (await capturedLogs(() =>
      provider.create({ ...request(target), region: "us-east-1", waitSeconds: 1 }),
    )) as any;
    assert.equal(created.id, "primes-a1b2c3d:live");
    assert.equal(created.outs.version, target);
    assert.equal(world.alias.FunctionVersion, target);
    // An up that changes nothing rolls nothing out; a new version is an update that deploys it.
    const olds = created.outs;
    assert.deepEqual(await provider.diff(created.id, olds, { ...olds }), { changes: false, replaces: [] });
    const next = world.publish();
    const { result: updated } = (await capturedLogs(() => provider.update(created.id, olds, { ...olds, targetVersion: next }))) as any;
    assert.equal(updated.outs.fromVersion, target);
    assert.equal(world.alias.FunctionVersion, next);
  });

  it("runRollout makes its own clients for the function's region", async () => {
    const target = world.publish();
    const outcome = await runRollout({ ...request(target), region: "eu-west-1", waitSeconds: 1 }, () => undefined);
    assert.equal(outcome.version, target);
    assert.equal(await world.codedeploy.call(0).thisValue.config.region(), "eu-west-1");
  });
});
