import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listStacks } from "../config";
import { appFunctions } from "../app/functions";
import { DOCKER_PLATFORMS } from "../components/container-image-settings";
import { Architecture, ConfigError, stackConfigFrom } from "../config";
import { presetVariables } from "../components/permission-presets";
import { runPolicies } from "../policy/run-offline";
import { evaluate, evaluateStack } from "./mock-engine";
import { readStackConfig } from "../config";
import { Registered } from "./registered";
import { ENVIRONMENT_MAX_BYTES, environmentBytes, STACK_ENVIRONMENT_NAMES } from "../components/lambda-environment";

/** The stack file's per-function settings. */
const readConfigFunctions = (stack: string): Record<string, { environment?: Record<string, string> }> =>
  JSON.parse(readStackConfig(stack)["graviton-platform:functions"] ?? "{}");

const stacks = listStacks();

/** For every Lambda function: its architecture and the Docker platform of the image it runs. */
function functionPlatforms(registered: Registered) {
  const platformByDigest = new Map(
    registered.all("docker:index/image:Image").map((image) => [image.state.repoDigest, image.inputs.build.platform]),
  );
  return Object.fromEntries(
    registered
      .all("aws:lambda/function:Function")
      .map((fn) => [fn.name, { architecture: fn.inputs.architectures[0], platform: platformByDigest.get(fn.inputs.imageUri) }]),
  );
}

const PLATFORM = {
  arm64: { architecture: "arm64", platform: "linux/arm64" },
  x86_64: { architecture: "x86_64", platform: "linux/amd64" },
} as const;

// example:begin
/** The dev stack's map-reduce example (three functions with their own image), on one architecture. */
const mapReduceOn = (architecture: Architecture) =>
  Object.fromEntries(["map-reduce-driver", "map-reduce-mapper", "map-reduce-reducer"].map((name) => [name, architecture]));
// example:end

/** What functionPlatforms should find: every function of app/functions.ts on `architecture`, except `others`. */
const everyFunctionOn = (architecture: Architecture, others: Record<string, Architecture> = {}) =>
  Object.fromEntries([
    ...Object.keys(appFunctions).map((name) => [name, PLATFORM[architecture]]),
    ...Object.entries(others).map(([name, other]) => [name, PLATFORM[other]]),
  ]);

/**
 * The names AWS would refuse as too long. Pulumi names a resource `<name>-<7 hex>` unless it is named
 * explicitly. Lambda: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html; IAM:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html; SQS, Step Functions,
 * CloudWatch Logs and alarms, and ECR quotas.
 */
const NAME_LIMITS: Record<string, [string, number]> = {
  "aws:lambda/function:Function": ["name", 64],
  "aws:iam/role:Role": ["name", 64],
  "aws:iam/rolePolicy:RolePolicy": ["name", 128],
  "aws:sqs/queue:Queue": ["name", 80],
  "aws:sfn/stateMachine:StateMachine": ["name", 80],
  "aws:cloudwatch/logGroup:LogGroup": ["name", 512],
  "aws:cloudwatch/metricAlarm:MetricAlarm": ["name", 255],
  "aws:cloudwatch/queryDefinition:QueryDefinition": ["name", 255],
  "aws:ecr/repository:Repository": ["name", 256],
};
function namesOverLimits(registered: Registered): string[] {
  return registered.resources.flatMap((resource) => {
    const limit = NAME_LIMITS[resource.type];
    if (!limit) return [];
    const explicit = resource.inputs[limit[0]];
    const length = typeof explicit === "string" ? explicit.length : resource.name.length + 8;
    return length <= limit[1] ? [] : [`${resource.type} ${resource.name}: a ${length}-character name; AWS allows ${limit[1]}`];
  });
}

describe("the whole program under each Pulumi.<stack>.yaml", () => {
  it("finds the stacks from the Pulumi.<stack>.yaml files: adding a stack is adding its file", () => {
    assert.ok(stacks.includes("dev") && stacks.includes("prod"));
    const dir = mkdtempSync(join(tmpdir(), "stacks-"));
    try {
      for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.team_a.test.yaml", "README.md"])
        writeFileSync(join(dir, file), "");
      assert.deepEqual(listStacks(dir), ["dev", "staging", "team_a.test"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("tags every AWS resource with the project and the stack (the AWS provider's default tags)", async () => {
    const registered = new Registered((await evaluateStack("dev")).resources);
    const [provider] = registered.all("pulumi:providers:aws");
    assert.deepEqual(
      JSON.parse(provider.inputs.defaultTags),
      { tags: { project: "graviton-platform", stack: "dev" } },
      "providers take nested config as JSON",
    );
    assert.equal(provider.inputs.region, "us-east-1");
    const untagged = registered.resources.filter(
      (resource) => resource.type.startsWith("aws:") && !resource.provider?.startsWith(`${provider.urn}::`),
    );
    assert.deepEqual(
      untagged.map((resource) => `${resource.type} ${resource.name}`),
      [],
      "every AWS resource goes through the tagging provider",
    );
  });

  for (const stack of stacks) {
    describe(stack, () => {
      it("evaluates with every function's image matching its architecture, and exports what users need", async () => {
        const { resources, outputs } = await evaluateStack(stack);
        const registered = new Registered(resources);
        for (const [name, { architecture, platform }] of Object.entries(functionPlatforms(registered))) {
          assert.equal(platform, DOCKER_PLATFORMS[architecture as Architecture], `${name} runs an image of its own architecture`);
        }
        assert.match(outputs.apiUrl, /^https:\/\//);
        assert.match(outputs.ecrRepositoryUrls.app, /\.dkr\.ecr\.us-east-1\.amazonaws\.com\//);
        for (const fn of registered.all("aws:lambda/function:Function")) {
          const variables = Object.keys(fn.inputs.environment?.variables ?? {});
          const base = fn.name.replace(/-(arm64|x86_64)$/, "");
          const own = Object.keys(readConfigFunctions(stack)[base]?.environment ?? {});
          // A function with its own image also gets where its presets' resources are (BUCKET_*, FUNCTION_*).
          const ownImage = stackConfigFrom(readStackConfig(stack)).ownImageFunctions.find((candidate) => candidate.name === base);
          own.push(...presetVariables(ownImage?.permissions ?? []).map((variable) => variable.name));
          const undeclared = variables.filter((name) => !own.includes(name) && !STACK_ENVIRONMENT_NAMES.includes(name));
          assert.deepEqual(
            undeclared,
            [],
            `${fn.name}: every variable the stack sets is listed in STACK_ENVIRONMENT, so users cannot override it`,
          );
          assert.ok(environmentBytes(fn.inputs.environment?.variables ?? {}) <= ENVIRONMENT_MAX_BYTES);
        }
        assert.deepEqual(namesOverLimits(registered), []);
        for (const name of Object.keys(appFunctions)) {
          const exported = outputs.lambdaFunctions[name];
          assert.ok(exported.name && exported.arn.startsWith("arn:aws:lambda:"), `${name} name and ARN exported`);
          assert.equal(exported.architecture, "arm64");
        }
      });
    });
  }

  /** A stack of the platform alone: arm64, and get-job with an x86_64 twin. */
  const TWINNED = {
    "aws:region": "us-east-1",
    "graviton-platform:functions": JSON.stringify({ "get-job": { compareArchitectures: true } }),
  };

  it("a twin runs the other architecture's image, and the app image is built for exactly the architectures in use", async () => {
    const { resources, outputs } = await evaluateStack("dev", TWINNED);
    const registered = new Registered(resources);
    assert.deepEqual(functionPlatforms(registered), everyFunctionOn("arm64", { "get-job-x86_64": "x86_64" }));
    assert.deepEqual(
      registered.all("docker:index/image:Image").map((image) => [image.name, image.inputs.build.platform]),
      [
        ["app-arm64", "linux/arm64"],
        ["app-x86_64", "linux/amd64"],
      ],
    );
    assert.equal(outputs.lambdaFunctions["get-job"].twin.architecture, "x86_64");
    assert.equal(outputs.lambdaFunctions.worker.twin, undefined);
  });

  // example:begin the examples on dev: twins of primes and PythonPrime, and the examples' own images
  it("dev: arm64 everywhere, plus x86_64 twins of primes and PythonPrime; the app's and PythonPrime's images per architecture, nothing more", async () => {
    const { resources, outputs } = await evaluateStack("dev");
    const registered = new Registered(resources);
    assert.deepEqual(
      functionPlatforms(registered),
      everyFunctionOn("arm64", {
        "primes-x86_64": "x86_64",
        "python-prime": "arm64",
        "python-prime-x86_64": "x86_64",
        ...mapReduceOn("arm64"),
      }),
    );
    assert.deepEqual(
      registered.all("docker:index/image:Image").map((image) => [image.name, image.inputs.build.dockerfile]),
      [
        ["app-arm64", "app/Dockerfile"],
        ["app-x86_64", "app/Dockerfile"],
        ["python-prime-arm64", "examples/python-prime/Dockerfile"],
        ["python-prime-x86_64", "examples/python-prime/Dockerfile"],
        ["map-reduce-mapper-arm64", "examples/map-reduce/Dockerfile"],
        ["map-reduce-reducer-arm64", "examples/map-reduce/Dockerfile"],
        ["map-reduce-driver-arm64", "examples/map-reduce/Dockerfile"],
      ],
    );
    assert.ok(outputs.ecrRepositoryUrls["python-prime"], "PythonPrime has its own repository");
    assert.equal(outputs.lambdaFunctions["python-prime"].twin.architecture, "x86_64");
    assert.equal(outputs.lambdaFunctions.primes.twin.architecture, "x86_64");
    assert.equal(outputs.lambdaFunctions["number-fact"].twin, undefined);
  });

  it("dev: flipping the global architecture flips the examples' functions and their own images too", async () => {
    const config = { ...readStackConfig("dev"), "graviton-platform:architecture": "x86_64" };
    const registered = new Registered((await evaluateStack("dev", config)).resources);
    assert.deepEqual(
      functionPlatforms(registered),
      everyFunctionOn("x86_64", {
        "primes-arm64": "arm64",
        "python-prime": "x86_64",
        "python-prime-arm64": "arm64",
        ...mapReduceOn("x86_64"),
      }),
    );
  });
  // example:end

  it("prod: power tuning measures no more memory values at once than its task function reserves", async () => {
    const registered = new Registered((await evaluateStack("prod")).resources);
    const reserved = registered.one("aws:lambda/function:Function", "power-tuning").inputs.reservedConcurrentExecutions;
    const definition = JSON.parse(registered.one("aws:sfn/stateMachine:StateMachine", "tuning").inputs.definition);
    assert.equal(reserved, 10);
    assert.equal(definition.States.Measure.MaxConcurrency, reserved);
  });

  it("prod: arm64 only, so only the arm64 image is built, and functions have reserved concurrency", async () => {
    const registered = new Registered((await evaluateStack("prod")).resources);
    assert.deepEqual(
      registered.all("docker:index/image:Image").map((image) => image.inputs.build.platform),
      ["linux/arm64"],
    );
    for (const fn of registered.all("aws:lambda/function:Function")) {
      assert.ok(fn.inputs.reservedConcurrentExecutions > 0, `${fn.name} has reserved concurrency`);
    }
  });

  it("flipping the global architecture flips every function and the image it runs, together", async () => {
    const config = { ...TWINNED, "graviton-platform:architecture": "x86_64" };
    const registered = new Registered((await evaluateStack("dev", config)).resources);
    assert.deepEqual(functionPlatforms(registered), everyFunctionOn("x86_64", { "get-job-arm64": "arm64" }));
  });

  it("a per-function architecture overrides the global one, and only the architectures in use are built", async () => {
    const config = {
      "aws:region": "us-east-1",
      "graviton-platform:architecture": "x86_64",
      "graviton-platform:functions": JSON.stringify({ "get-job": { architecture: "x86_64" }, worker: { architecture: "x86_64" } }),
    };
    const registered = new Registered((await evaluateStack("dev", config)).resources);
    assert.deepEqual(
      registered.all("docker:index/image:Image").map((image) => image.inputs.build.platform),
      ["linux/amd64"],
    );

    const mixed = { ...config, "graviton-platform:functions": JSON.stringify({ "get-job": { architecture: "arm64" } }) };
    assert.deepEqual(
      functionPlatforms(new Registered((await evaluateStack("dev", mixed)).resources)),
      everyFunctionOn("x86_64", { "get-job": "arm64" }),
    );
  });

  describe("prebuilt images by digest (CI builds once, the stacks promote the same bytes)", () => {
    const digest = (fill: string) => `sha256:${fill.repeat(64)}`;
    const PREBUILT = {
      arm64: `123456789012.dkr.ecr.us-east-1.amazonaws.com/graviton-platform/app@${digest("a")}`,
      x86_64: `123456789012.dkr.ecr.us-east-1.amazonaws.com/graviton-platform/app@${digest("b")}`,
    };
    // Functions with their own image (dev's examples) are prebuilt too, or the stack still builds them; get-job
    // has a twin, so both architectures are in use.
    const withPrebuilt = (prebuilt: unknown) => {
      const dev = readStackConfig("dev");
      const own = JSON.parse(dev["graviton-platform:ownImageFunctions"] ?? "{}");
      const functions = JSON.parse(dev["graviton-platform:functions"] ?? "{}");
      return {
        ...dev,
        "graviton-platform:functions": JSON.stringify({ ...functions, "get-job": { compareArchitectures: true } }),
        "graviton-platform:prebuiltImages": JSON.stringify(prebuilt),
        "graviton-platform:ownImageFunctions": JSON.stringify({
          ...own,
          ...Object.fromEntries(Object.entries(own).map(([name, fn]) => [name, { ...(fn as object), prebuiltImages: PREBUILT }])),
        }),
      };
    };

    it("registers no image build and no repository (no Docker needed), runs each function on its architecture's image, and passes the policies", async () => {
      const { resources } = await evaluateStack("dev", withPrebuilt(PREBUILT));
      const registered = new Registered(resources);
      assert.deepEqual(registered.all("docker:index/image:Image"), []);
      assert.deepEqual(registered.all("aws:ecr/repository:Repository"), []);
      for (const fn of registered.all("aws:lambda/function:Function"))
        assert.equal(fn.inputs.imageUri, PREBUILT[fn.inputs.architectures[0] as Architecture], fn.name);
      const report = await runPolicies(resources, {});
      assert.deepEqual(
        report.violations.filter((violation) => violation.enforcementLevel === "mandatory"),
        [],
      );

      const foreign = Object.fromEntries(
        Object.entries(PREBUILT).map(([arch, uri]) => [arch, uri.replace("123456789012", "210987654321")]),
      );
      const elsewhere = await runPolicies((await evaluateStack("dev", withPrebuilt(foreign))).resources, {});
      assert.ok(
        elsewhere.violations.some(
          (violation) => violation.policy === "lambda-image-own-account" && violation.enforcementLevel === "mandatory",
        ),
        "an image from another account is a mandatory violation",
      );
    });

    it("refuses, by name, a missing architecture and anything that is not a private ECR image by digest", () => {
      const problems = (prebuilt: unknown) => {
        try {
          stackConfigFrom(withPrebuilt(prebuilt));
          return "";
        } catch (error) {
          return (error as Error).message;
        }
      };
      assert.match(problems({ arm64: PREBUILT.arm64 }), /prebuiltImages\.x86_64 is required: some function \(or twin\) runs on x86_64/);
      for (const bad of [
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/graviton-platform/app:latest", // a tag moves; a digest does not
        `public.ecr.aws/lambda/nodejs@${digest("a")}`, // Lambda runs private ECR images only
        `docker.io/library/node@${digest("a")}`,
        `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${"a".repeat(63)}`,
        `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@${digest("A")}`,
        `123456789012.dkr.ecr.us-east-1.amazonaws.com/a\u0000pp@${digest("a")}`,
        `123456789012.dkr.ecr.us-east-1.amazonaws.com/${"a".repeat(600)}@${digest("a")}`,
        42,
        null,
      ]) {
        assert.match(
          problems({ ...PREBUILT, arm64: bad }),
          /prebuiltImages\.arm64 must be (a private ECR image by digest|an image URI|at most 512)/,
          String(bad),
        );
      }
      assert.match(problems({ ...PREBUILT, riscv: PREBUILT.arm64 }), /prebuiltImages has unknown key "riscv"/);
    });
  });

  it("keeps every name within AWS's limits for a function with its own image at the longest name the config accepts (40)", async () => {
    const longest = `f${"x".repeat(39)}`;
    const config = {
      "aws:region": "us-east-1",
      "graviton-platform:buckets": JSON.stringify({ ["b".repeat(55)]: {} }),
      "graviton-platform:ownImageFunctions": JSON.stringify({
        [longest]: {
          context: "tests/fixtures/own-image",
          compareArchitectures: true,
          route: `GET /${"r".repeat(200)}`,
          permissions: [
            { preset: "s3-write", bucket: "b".repeat(55) },
            { preset: "sqs-send", queue: "jobs-dlq" },
          ],
        },
      }),
      "graviton-platform:tuning": JSON.stringify({ functions: [longest] }),
    };
    const registered = new Registered((await evaluateStack("dev", config)).resources);
    assert.ok(registered.all("aws:lambda/function:Function").some((fn) => fn.name === `${longest}-x86_64`));
    assert.deepEqual(namesOverLimits(registered), []);
  });

  it("a bad config value fails the program before any resource is registered", async () => {
    let failure: unknown;
    const program = require.resolve("../index.ts");
    const { resources } = await evaluate(
      () => {
        delete require.cache[program];
        try {
          require(program);
        } catch (error) {
          failure = error;
        }
      },
      { config: { ...readStackConfig("dev"), "graviton-platform:architecture": "arm" } },
    );
    assert.ok(failure instanceof ConfigError);
    assert.match((failure as Error).message, /graviton-platform:architecture must be "arm64" or "x86_64", got "arm"/);
    assert.deepEqual(resources, []);
  });

  it("reads top-level values set with 'pulumi config set' (plain strings) as their types", async () => {
    const config = { ...readStackConfig("dev"), "graviton-platform:logRetentionDays": "30", "graviton-platform:ecrForceDelete": "false" };
    const registered = new Registered((await evaluateStack("dev", config)).resources);
    assert.ok(registered.all("aws:cloudwatch/logGroup:LogGroup").every((group) => group.inputs.retentionInDays === 30));
    assert.equal(registered.all("aws:ecr/repository:Repository")[0].inputs.forceDelete, false);
  });
});
