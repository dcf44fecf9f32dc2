import { strict as assert } from "node:assert";
import { appFunctions } from "../app/functions";
import { concurrencyLimit, ConfigError, parseStackConfig, stackConfigFrom, strayConfigKeys } from "../config";
import { ENVIRONMENT_MAX_BYTES, environmentBytes, STACK_ENVIRONMENT_NAMES } from "../components/lambda-environment";
import { readStackConfig } from "../config";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function rejects(values: Record<string, unknown>, ...expected: (string | RegExp)[]): void {
  assert.throws(
    () => parseStackConfig(values),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
      for (const fragment of expected) {
        if (typeof fragment === "string") assert.ok(error.message.includes(fragment), `"${fragment}" not in:\n${error.message}`);
        else assert.match(error.message, fragment);
      }
      return true;
    },
  );
}

describe("stack config", () => {
  it("resolves every function of the stack once, the app's then those with their own image, each with its concurrency limit", () => {
    const config = parseStackConfig({
      functions: { worker: { reservedConcurrency: 20 } },
      jobs: { maximumConcurrency: 10 },
      ownImageFunctions: { mine: { context: "tests/fixtures/own-image", reservedConcurrency: 3 } },
    });
    assert.deepEqual(
      config.everyFunction.map((fn) => [fn.name, fn.image]),
      [...config.functions.map((fn) => [fn.name, "app"]), ["mine", "own"]],
    );
    assert.equal(config.everyFunction.find((fn) => fn.name === "worker")!.concurrencyLimit, 10);
    assert.equal(config.everyFunction.find((fn) => fn.name === "mine")!.concurrencyLimit, 3);
  });

  it("one rule for a function's concurrency: its reservation, and for the worker the smaller of it and the queue mapping's maximum", () => {
    const limitOf = (values: Record<string, unknown>, name: string) => {
      const config = parseStackConfig(values);
      return concurrencyLimit(
        config.functions.find((fn) => fn.name === name)!,
        config.jobs,
      );
    };
    assert.equal(limitOf({ jobs: { maximumConcurrency: 10 }, functions: { worker: { reservedConcurrency: 20 } } }, "worker"), 10);
    assert.equal(limitOf({ jobs: { maximumConcurrency: 10 } }, "worker"), 10);
    assert.equal(limitOf({ functions: { "get-job": { reservedConcurrency: 7 } } }, "get-job"), 7);
    assert.equal(limitOf({}, "get-job"), undefined, "only the account's pool");
  });

  describe("rejects malformed values, naming the key, the value and what is allowed", () => {
    it("an unknown architecture", () =>
      rejects({ architecture: "arm" }, 'graviton-platform:architecture must be "arm64" or "x86_64", got "arm"'));
    it("a per-function architecture typo", () =>
      rejects(
        { functions: { "power-tuning": { architecture: "amd64" } } },
        'graviton-platform:functions.power-tuning.architecture must be "arm64" or "x86_64", got "amd64"',
      ));
    it("memory below Lambda's 128 MB", () =>
      rejects(
        { functions: { "power-tuning": { memory: 64 } } },
        "graviton-platform:functions.power-tuning.memory must be a whole number from 128 to 10240 (MB), got 64",
      ));
    it("memory above Lambda's 10,240 MB", () =>
      rejects({ functions: { "power-tuning": { memory: 10241 } } }, "functions.power-tuning.memory", "got 10241"));
    it("fractional memory", () =>
      rejects({ functions: { "power-tuning": { memory: 512.5 } } }, "functions.power-tuning.memory", "got 512.5"));
    it("a zero timeout", () =>
      rejects(
        { functions: { "get-job": { timeout: 0 } } },
        "graviton-platform:functions.get-job.timeout must be a whole number from 1 to 900 (seconds), got 0",
      ));
    it("a timeout over 15 minutes", () =>
      rejects({ functions: { "power-tuning": { timeout: 901 } } }, "functions.power-tuning.timeout", "got 901"));
    it("an unknown function name", () =>
      rejects(
        { functions: { prime: { memory: 512 } } },
        `graviton-platform:functions has unknown key "prime"; allowed: ${Object.keys(appFunctions).join(", ")}`,
      ));
    it("an unknown top-level key", () =>
      rejects({ architecure: "arm64" }, 'graviton-platform has unknown key "architecure"', "allowed: architecture, functions"));
    it("an unknown per-function key", () =>
      rejects(
        { functions: { "power-tuning": { memorySize: 512 } } },
        'graviton-platform:functions.power-tuning has unknown key "memorySize"; allowed: architecture, memory',
      ));
    it("memory given as a string", () =>
      rejects({ functions: { "power-tuning": { memory: "512" } } }, "functions.power-tuning.memory", 'got "512"'));
    it("compareArchitectures that is not a boolean", () =>
      rejects(
        { functions: { "power-tuning": { compareArchitectures: "yes" } } },
        "functions.power-tuning.compareArchitectures must be true or false",
        'got "yes"',
      ));
    it("functions that is not a map", () => rejects({ functions: ["primes"] }, "graviton-platform:functions must be an object"));
    it("negative reserved concurrency", () =>
      rejects({ functions: { "power-tuning": { reservedConcurrency: -1 } } }, "functions.power-tuning.reservedConcurrency", "got -1"));
    it("an environment value that is not a string", () =>
      rejects(
        { functions: { "power-tuning": { environment: { PORT: 8080 } } } },
        "functions.power-tuning.environment.PORT",
        "quote numbers",
        "got 8080",
      ));
    it("an environment variable Lambda reserves", () =>
      rejects(
        { functions: { "power-tuning": { environment: { AWS_REGION: "eu-west-1" } } } },
        "functions.power-tuning.environment.AWS_REGION is reserved by Lambda",
      ));
    it("an environment larger than Lambda's 4 KB", () =>
      rejects(
        { functions: { "power-tuning": { environment: { BIG: "x".repeat(5000) } } } },
        "functions.power-tuning.environment is",
        "Lambda allows 4096",
      ));
    it("a log retention CloudWatch does not offer", () =>
      rejects({ logRetentionDays: 10 }, "graviton-platform:logRetentionDays must be one of CloudWatch's retention periods", "got 10"));
    it("expected traffic with only one of its two numbers", () =>
      rejects(
        { functions: { "power-tuning": { expectedRps: 50 } } },
        "functions.power-tuning must set expectedRps and expectedDurationMs together",
      ));
    it("a NAT strategy awsx does not have", () =>
      rejects(
        { network: { natGateways: "two" } },
        'graviton-platform:network.natGateways must be one of none, single, onePerAz, got "two"',
      ));
    it("a single availability zone (RDS needs two)", () =>
      rejects({ network: { availabilityZones: 1 } }, "network.availabilityZones must be a whole number from 2 to 6", "got 1"));
    it("something that is not an RDS instance class", () =>
      rejects(
        { database: { instanceClass: "t4g.micro" } },
        'database.instanceClass must be an RDS instance class such as "db.t4g.micro", got "t4g.micro"',
      ));
    it("backups switched off", () =>
      rejects({ database: { backupRetentionDays: 0 } }, "database.backupRetentionDays must be a whole number from 1 to 35 (days), got 0"));
    it("an engine version that is not a PostgreSQL version", () =>
      rejects({ database: { engineVersion: 18 } }, "database.engineVersion must be a PostgreSQL version", "got 18"));
    it("a PostgreSQL major RDS Proxy does not document", () =>
      rejects(
        { database: { engineVersion: "18" } },
        "database.engineVersion must be a PostgreSQL major that RDS Proxy documents (13, 14, 15, 16, 17)",
        'got "18"',
      ));
    it("storage autoscaling below the storage", () =>
      rejects(
        { database: { allocatedStorage: 200 } },
        "database.maxAllocatedStorage must be at least 220, 10% above allocatedStorage (200)",
      ));
    it("the app connecting as the admin", () =>
      rejects(
        { database: { appUser: "postgres" } },
        'database.appUser must differ from adminUser: the app never connects as the admin, got "postgres"',
      ));
    it("a user name RDS or the migrations own", () =>
      rejects({ database: { appUser: "app_rw" } }, "database.appUser must not be one of rdsadmin", 'got "app_rw"'));
    it("a user name that would need quoting", () =>
      rejects({ database: { appUser: "App-User" } }, "database.appUser must be a lower-case PostgreSQL name"));
    it("more idle proxy connections than connections", () =>
      rejects(
        { database: { proxy: { maxConnectionsPercent: 50, maxIdleConnectionsPercent: 60 } } },
        "database.proxy.maxIdleConnectionsPercent must not exceed maxConnectionsPercent, got 60",
      ));
    it("an unknown database key", () =>
      rejects({ database: { multiAZ: true } }, 'graviton-platform:database has unknown key "multiAZ"; allowed: instanceClass'));
    it("a worker reserving less concurrency than the queue may use", () =>
      rejects(
        { functions: { worker: { reservedConcurrency: 3 } } },
        "graviton-platform:functions.worker.reservedConcurrency must be at least jobs.maximumConcurrency (5)",
        "got 3",
      ));
    it("a batch above 10 without a batching window", () =>
      rejects({ jobs: { batchSize: 50 } }, "graviton-platform:jobs.batchSize above 10 needs batchingWindowSeconds of at least 1, got 50"));
    it("maximum concurrency below SQS's minimum of 2", () =>
      rejects({ jobs: { maximumConcurrency: 1 } }, "jobs.maximumConcurrency must be a whole number from 2 to 1000", "got 1"));
    it("a filter pattern on something SQS records do not have", () =>
      rejects(
        { jobs: { filterPatterns: [{ detail: { type: ["x"] } }] } },
        "jobs.filterPatterns.0 must be a filter pattern on body, attributes",
      ));
    describe("functions that bring their own image (ownImageFunctions)", () => {
      // Build contexts of the tests' own, inside the project as contexts must be: one plain, one pinned to amd64.
      let context: string;
      let pinned: string;
      const own = (settings: Record<string, unknown>, name = "my-function") => ({
        ownImageFunctions: { [name]: { context, ...settings } },
      });
      before(() => {
        [context, pinned] = [mkdtempSync(".test-own-image-"), mkdtempSync(".test-own-image-")];
        writeFileSync(join(context, "Dockerfile"), "FROM public.ecr.aws/lambda/python:3.13\n");
        writeFileSync(
          join(pinned, "Dockerfile"),
          "FROM --platform=$BUILDPLATFORM node:22 AS build\nFROM --platform=linux/amd64 public.ecr.aws/lambda/python:3.13\n",
        );
      });
      after(() => [context, pinned].forEach((dir) => rmSync(dir, { recursive: true, force: true })));

      it("resolves one with the stack's defaults: global architecture, the Dockerfile in its context, the image's own CMD", () => {
        const [fn] = parseStackConfig(own({ route: "GET /mine" })).ownImageFunctions;
        assert.equal(fn.authorized, false, "a route is public unless it says authorized: true");
        assert.equal(parseStackConfig(own({ route: "GET /mine", authorized: true })).ownImageFunctions[0].authorized, true);
        assert.deepEqual(
          [fn.name, fn.architecture, fn.dockerfile, fn.command, fn.route, fn.memory, fn.timeout],
          ["my-function", "arm64", `${context}/Dockerfile`, undefined, "GET /mine", 128, 30],
        );
        assert.deepEqual(parseStackConfig({ ...own({}), tuning: { functions: ["get-job", "my-function"] } }).tuning.functions, [
          "get-job",
          "my-function",
        ]);
      });
      it("names every mistake: a taken name, a missing context or Dockerfile, a pinned platform, a taken route", () => {
        rejects(own({}, "get-job"), "ownImageFunctions.get-job is a function of app/functions.ts already");
        rejects(own({}, "My_Function"), "ownImageFunctions.My_Function is not a function name: lowercase letters, digits and -");
        rejects(own({ context: "examples/nowhere" }), "ownImageFunctions.my-function.context must be a directory of the project");
        rejects(own({ dockerfile: `${context}/Dockerfile.Lambda` }), `dockerfile names ${context}/Dockerfile.Lambda, which does not exist`);
        rejects(
          own({ context: pinned }),
          /architecture is arm64, but .*Dockerfile builds for linux\/amd64 only \(FROM --platform=linux\/amd64\)/,
        );
        rejects(own({ route: "POST /jobs" }), "route POST /jobs is served already");
        rejects(own({ route: "GET /jobs/{id}" }), "route GET /jobs/{id} is served already");
        rejects(
          { tuning: { functions: ["my-function"] } },
          "tuning.functions.0 must name functions of app/functions.ts or ownImageFunctions",
        );
      });
      it("refuses hostile values by name", () => {
        for (const badContext of ["/etc", "../outside", "examples/../..", "a\u0000b", "x".repeat(300), 42])
          rejects(own({ context: badContext }), "ownImageFunctions.my-function.context must be");
        for (const command of ["handler.handler", [""], [42], Array(40).fill("x"), ["x".repeat(2000)]])
          rejects(own({ command }), "ownImageFunctions.my-function.command");
        for (const route of ["GET primes", "FETCH /x", "GET /a b", "GET /\u0000"])
          rejects(own({ route }), 'must be an HTTP API route key, "METHOD /path"');
        rejects(own({ prebuiltImages: { arm64: "python:3.13" } }), "prebuiltImages.arm64 must be a private ECR image by digest");
        rejects(
          own({ environment: { PADDING: "x".repeat(3800) } }),
          "environment with what the stack adds (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE)",
        );
        rejects(own({ bogus: 1 }), 'has unknown key "bogus"');
      });
    });
    it("a function to tune that the app does not have, or the tuner itself", () => {
      rejects(
        { tuning: { functions: ["prime"] } },
        "graviton-platform:tuning.functions.0 must name functions of app/functions.ts",
        'got "prime"',
      );
      rejects({ tuning: { functions: ["power-tuning"] } }, "tuning.functions.0 must name functions");
    });
    it("a variable name Lambda reserves, with that reason even when it does not look like a name", () => {
      rejects(
        { functions: { "power-tuning": { environment: { _HANDLER: "x" } } } },
        "functions.power-tuning.environment._HANDLER is reserved by Lambda",
      );
      rejects(
        { functions: { "power-tuning": { environment: { "1BAD": "x" } } } },
        "functions.power-tuning.environment.1BAD is not a variable name",
      );
    });
    it("a variable the stack sets itself, by name", () => {
      for (const name of STACK_ENVIRONMENT_NAMES) {
        rejects(
          { functions: { worker: { environment: { [name]: "mine" } } } },
          `functions.worker.environment.${name} is set by the stack itself`,
        );
      }
    });
    it("an environment that fits on its own but not with what the stack adds (Lambda counts all 4 KB together)", () => {
      const own = { PADDING: "x".repeat(3600) };
      assert.ok(environmentBytes(own) <= ENVIRONMENT_MAX_BYTES);
      rejects(
        { functions: { worker: { environment: own } } },
        "functions.worker.environment with what the stack adds (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, DB_HOST",
        "Lambda allows 4096",
      );
      parseStackConfig({ functions: { "power-tuning": { environment: own } } }); // power-tuning gets only the telemetry settings
      assert.throws(
        () => parseStackConfig({ functions: { "power-tuning": { environment: { PADDING: "x".repeat(3800) } } } }),
        /functions\.power-tuning\.environment with what the stack adds \(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE\) can reach \d+ bytes/,
      );
    });
    it("no NAT gateway while the worker must reach API Gateway's management API from the database's VPC", () =>
      rejects(
        { network: { natGateways: "none" } },
        "network.natGateways must not be none: worker runs in the database's VPC",
        'got "none"',
      ));
    it("a value too long to show is cut in the message", () =>
      rejects({ architecture: "a".repeat(5000) }, /got "a{79}\.\.\. \(5002 characters\)/));
    it("every problem at once, not just the first", () =>
      rejects(
        { architecture: "arm", functions: { "power-tuning": { memory: 64 } } },
        "graviton-platform:architecture",
        "functions.power-tuning.memory",
      ));
  });

  describe("rollouts: refused by name at config time, with the fix", () => {
    const own = (settings: object = {}) => ({ context: "tests/fixtures/own-image", ...settings });
    it("a deployment config that is neither CodeDeploy's nor the stack's own", () => {
      rejects(
        { deploymentConfig: "CodeDeployDefault.LambdaCanary50Percent1Minute" },
        "graviton-platform:deploymentConfig names CodeDeployDefault.LambdaCanary50Percent1Minute, which is neither one of CodeDeploy's Lambda deployment configs nor one of deploymentConfigs",
        "define it under deploymentConfigs",
      );
      rejects({ functions: { "get-job": { deploymentConfig: "fast" } } }, "functions.get-job.deploymentConfig names fast");
      assert.equal(
        parseStackConfig({
          deploymentConfigs: { fast: { type: "canary", percentage: 20, intervalMinutes: 2 } },
          functions: { "get-job": { deploymentConfig: "fast" } },
        }).functionNamed["get-job"].live?.gradual,
        true,
      );
    });
    it("a custom config that shifts traffic over CodeDeploy's 48 hours, or takes AWS's prefix", () => {
      rejects(
        { deploymentConfigs: { slow: { type: "linear", percentage: 1, intervalMinutes: 29 } } },
        "deploymentConfigs.slow must move all traffic within 2880 minutes",
      );
      assert.doesNotThrow(() =>
        parseStackConfig({ deploymentConfigs: { slow: { type: "linear", percentage: 10, intervalMinutes: 288 } } }),
      );
      rejects(
        { deploymentConfigs: { "CodeDeployDefault.Mine": { type: "canary", percentage: 10, intervalMinutes: 5 } } },
        "not starting with CodeDeployDefault.",
      );
    });
    it("provisioned concurrency above the function's reservation, or the account's unreserved minimum without one", () => {
      rejects(
        { functions: { "get-job": { reservedConcurrency: 5, provisionedConcurrency: 6 } } },
        "functions.get-job.provisionedConcurrency is 6, over the function's reservedConcurrency (5)",
      );
      assert.doesNotThrow(() => parseStackConfig({ functions: { "get-job": { reservedConcurrency: 5, provisionedConcurrency: 5 } } }));
      rejects(
        { functions: { "get-job": { provisionedConcurrency: 901 } } },
        "Lambda keeps 100 free: at most 900 with the default quota of 1000",
      );
      assert.doesNotThrow(() => parseStackConfig({ functions: { "get-job": { provisionedConcurrency: 900 } } }));
    });
    it("a rollout key on a function that serves nothing (no route, no caller)", () => {
      for (const key of [{ deploymentConfig: "CodeDeployDefault.LambdaAllAtOnce" }, { provisionedConcurrency: 1 }, { preTraffic: true }])
        rejects({ functions: { migrate: key } }, `functions.migrate.${Object.keys(key)[0]} is set on a function that serves no traffic`);
      rejects(
        { ownImageFunctions: { f: own({ provisionedConcurrency: 1 }) } },
        "ownImageFunctions.f.provisionedConcurrency is set on a function that serves no traffic",
      );
    });
    it("a check that is no function, the function itself, a function that serves a route, or one that already checks another", () => {
      rejects(
        { functions: { "get-job": { preTraffic: "smoke" } } },
        "functions.get-job.preTraffic names smoke, which is not a function with its own image (ownImageFunctions: none)",
      );
      const route = { route: "GET /f" };
      rejects({ ownImageFunctions: { f: own({ ...route, preTraffic: "f" }) } }, "ownImageFunctions.f.preTraffic names the function itself");
      rejects(
        { ownImageFunctions: { f: own(route), g: own({ route: "GET /g" }) }, functions: { "get-job": { preTraffic: "g" } } },
        "functions.get-job.preTraffic names g, which serves a route",
      );
      rejects(
        {
          ownImageFunctions: { check: own() },
          functions: { "get-job": { preTraffic: "check" }, "ws-authorizer": { preTraffic: "check" } },
        },
        "names check, which already checks get-job: a check may act on one deployment group only",
      );
      const checked = parseStackConfig({ ownImageFunctions: { check: own() }, functions: { "get-job": { preTraffic: "check" } } });
      assert.deepEqual(checked.functionNamed["get-job"].live, {
        deploymentConfig: "CodeDeployDefault.LambdaAllAtOnce",
        gradual: false,
        codeDeploy: true,
        preTraffic: { function: "check" },
      });
    });
    it("the platform's check without a sample event to send, or with one too large for its environment", () => {
      const dir = mkdtempSync(join("tests", "fixtures", "no-event-"));
      try {
        writeFileSync(join(dir, "Dockerfile"), "FROM public.ecr.aws/lambda/nodejs:22\n");
        const context = dir.replace(/\\/g, "/");
        rejects(
          { ownImageFunctions: { f: { context, route: "GET /f", preTraffic: true } } },
          `ownImageFunctions.f.preTraffic is true, but f has no sample event (${context}/event.json)`,
        );
        writeFileSync(join(dir, "event.json"), JSON.stringify({ padding: "x".repeat(2100) }));
        rejects(
          { ownImageFunctions: { f: { context, route: "GET /f", preTraffic: true } } },
          /is 2\d{3} bytes as compact JSON; the check carries it in its environment, at most 2048/,
        );
        writeFileSync(join(dir, "event.json"), JSON.stringify({ padding: "x".repeat(2000) }, null, 2));
        const { live } = parseStackConfig({ ownImageFunctions: { f: { context, route: "GET /f", preTraffic: true } } })
          .ownImageFunctions[0];
        assert.deepEqual(live?.preTraffic, { sampleEvent: JSON.stringify({ padding: "x".repeat(2000) }), hookName: "f-hook" });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      rejects(
        { ownImageFunctions: { "get-job-hook": own() }, functions: { "get-job": { preTraffic: true } } },
        "the check is deployed as get-job-hook, which is already a function's name",
      );
    });
  });

  describe("quotas a growing stack meets, refused by name where they bind", () => {
    const own = (count: number, settings: (index: number) => object = () => ({})) =>
      Object.fromEntries(
        Array.from({ length: count }, (_, index) => [`fn-${index}`, { context: "tests/fixtures/own-image", ...settings(index) }]),
      );
    it("API Gateway's 300 routes per HTTP API: the app's and the functions' together", () => {
      const appRoutes = parseStackConfig({}).functions.filter((fn) => fn.route).length + 1; // and POST /jobs
      const routed = (count: number) => ({ ownImageFunctions: own(count, (index) => ({ route: `GET /r/${index}` })) });
      assert.equal(parseStackConfig(routed(300 - appRoutes)).ownImageFunctions.length, 300 - appRoutes);
      rejects(
        routed(301 - appRoutes),
        `ownImageFunctions serve ${301 - appRoutes} routes, 301 with the app's: API Gateway's quota "Routes per API" is 300`,
      );
    });
    it("CodeDeploy's 50 custom deployment configs per account", () => {
      const configs = (count: number) => ({
        deploymentConfigs: Object.fromEntries(
          Array.from({ length: count }, (_, index) => [`c${index}`, { type: "canary", percentage: 10, intervalMinutes: 5 }]),
        ),
      });
      assert.doesNotThrow(() => parseStackConfig(configs(50)));
      rejects(configs(51), "deploymentConfigs must be at most 50: CodeDeploy keeps that many custom deployment configs per account");
    });
  });

  describe("stack files", () => {
    it("reports keys in no namespace or a misspelt one, with the key they meant", () => {
      assert.deepEqual(
        strayConfigKeys(["aws:region", "graviton-platform:architecture", "architecture", "graviton-platfrom:architecture"]),
        [
          "architecture has no namespace: write graviton-platform:architecture",
          'graviton-platfrom:architecture is in the unknown namespace "graviton-platfrom": this project\'s keys are graviton-platform:<key> (did you mean graviton-platform:architecture?)',
        ],
      );
    });
    it("refuses a renamed key by its old name, naming the new one (containerFunctions is now ownImageFunctions)", () => {
      assert.deepEqual(strayConfigKeys(["graviton-platform:containerFunctions"]), [
        "graviton-platform:containerFunctions is now graviton-platform:ownImageFunctions (the same settings): rename it in Pulumi.<stack>.yaml",
      ]);
      assert.throws(
        () => stackConfigFrom({ "graviton-platform:containerFunctions": "{}" }),
        /containerFunctions is now graviton-platform:ownImageFunctions/,
      );
    });
    it("reads YAML merge keys (<<: *anchor) as Pulumi does", () => {
      const dir = mkdtempSync(join(tmpdir(), "stack-"));
      try {
        writeFileSync(
          join(dir, "Pulumi.merged.yaml"),
          "x-small: &small\n  memory: 256\n  timeout: 10\nconfig:\n  graviton-platform:functions:\n    migrate:\n      <<: *small\n      memory: 512\n",
        );
        const config = readStackConfig("merged", dir);
        assert.deepEqual(JSON.parse(config["graviton-platform:functions"]), { migrate: { memory: 512, timeout: 10 } });
        const migrate = parseStackConfig({ functions: JSON.parse(config["graviton-platform:functions"]) }).functions.find(
          (fn) => fn.name === "migrate",
        )!;
        assert.deepEqual([migrate.memory, migrate.timeout], [512, 10]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("architecture toggles", () => {
    it("defaults every function to arm64", () => {
      const config = parseStackConfig({});
      assert.deepEqual(
        config.functions.map((fn) => fn.architecture),
        Object.keys(appFunctions).map(() => "arm64"),
      );
      assert.deepEqual(config.architecturesInUse, ["arm64"]);
    });
    it("the global architecture applies to every function", () => {
      const config = parseStackConfig({ architecture: "x86_64" });
      assert.ok(config.functions.every((fn) => fn.architecture === "x86_64"));
      assert.deepEqual(config.architecturesInUse, ["x86_64"]);
    });
    it("a per-function architecture wins over the global one", () => {
      const config = parseStackConfig({ architecture: "x86_64", functions: { "power-tuning": { architecture: "arm64" } } });
      const byName = Object.fromEntries(config.functions.map((fn) => [fn.name, fn.architecture]));
      assert.deepEqual(
        byName,
        Object.fromEntries(Object.keys(appFunctions).map((name) => [name, name === "power-tuning" ? "arm64" : "x86_64"])),
      );
      assert.deepEqual(config.architecturesInUse, ["arm64", "x86_64"]);
    });
    it("compareArchitectures puts the other architecture in use", () => {
      const config = parseStackConfig({ functions: { "power-tuning": { compareArchitectures: true } } });
      assert.deepEqual(config.architecturesInUse, ["arm64", "x86_64"]);
    });
  });

  it("falls back to the app's defaults for unset function settings", () => {
    const tuner = parseStackConfig({ functions: { "power-tuning": { memory: 2048 } } }).functions.find((fn) => fn.name === "power-tuning")!;
    assert.equal(tuner.memory, 2048);
    assert.equal(tuner.timeout, appFunctions["power-tuning"].timeout);
    assert.equal(tuner.reservedConcurrency, undefined);
    assert.deepEqual(tuner.environment, {});
  });
});
