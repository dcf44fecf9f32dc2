import { strict as assert } from "node:assert";
import { AWS_LIMITS, type AwsLimit } from "../../components/aws-limits";
import { lambdaDescription } from "../../components/container-function";
import { MAX_TUNED_ARNS } from "../../components/power-tuning-policy";
import { ConfigError, parseStackConfig } from "../../config";
import { evaluateStack } from "../mock-engine";
import { checkStackName, listStacks } from "../../config";
import { checkConformance } from "./conformance";
import { documentedRuleViolations } from "./documented-rules";
import { largestConfig, smallestConfig } from "./extreme-configs";
import { MODELS_MISSING, modelsDir, serviceModel } from "./service-models";
import { validateRequest } from "./validate-request";

/**
 * Every resource the program registers, as the API requests the AWS provider makes for it, checked
 * against AWS's own API models (botocore's) and the rules AWS documents beside them: on every stack file,
 * and on the largest and smallest configs the schemas accept. Nothing the config accepts may be refused.
 */
describe("AWS API conformance: what the program registers is what AWS's API models accept", function () {
  this.timeout(120_000);
  before(function () {
    if (modelsDir()) return;
    // CI installs them (.ci/run); elsewhere say how, and skip rather than fail a laptop without Python.
    if (process.env.CI) throw new Error(MODELS_MISSING);
    console.warn(`    skipped: ${MODELS_MISSING}`);
    this.skip();
  });

  describe("the checker itself finds what AWS refuses", () => {
    const violations = (service: string, operation: string, request: Record<string, unknown>) =>
      validateRequest(service, operation, request).violations.join("\n");

    it("model constraints: a one-character variable name, a 4,097-character filter, a 257-character description", () => {
      const base = { FunctionName: "f-a1b2c3d", Role: "arn:aws:iam::123456789012:role/r", Code: { ImageUri: "x" } };
      assert.equal(violations("lambda", "CreateFunction", { ...base, Environment: { Variables: { AB: "1" } } }), "");
      assert.match(
        violations("lambda", "CreateFunction", { ...base, Environment: { Variables: { A: "1" } } }),
        /EnvironmentVariableName's pattern/,
      );
      assert.match(violations("lambda", "CreateFunction", { ...base, description: "d".repeat(257) }), /257 characters; at most 256/);
      assert.equal(violations("lambda", "CreateFunction", { ...base, description: "d".repeat(256) }), "");
      const filter = (length: number) => ({ FunctionName: "f", FilterCriteria: { Filters: [{ Pattern: "p".repeat(length) }] } });
      assert.equal(violations("lambda", "CreateEventSourceMapping", filter(4096)), "");
      assert.match(violations("lambda", "CreateEventSourceMapping", filter(4097)), /4097 characters; at most 4096/);
      assert.match(violations("lambda", "CreateFunction", { Role: "r", Code: {} }), /requires FunctionName/);
      assert.match(violations("lambda", "CreateFunction", { ...base, MemorySize: "lots" }), /must be a number/);
    });

    it("documented rules: the storage ceiling, the borrow timeout, a role's inline policies, route keys, the master user, CodeDeploy's description and shift time", () => {
      const rules = (
        requests: { service: string; operation: string; request: Record<string, unknown> }[],
        protocols = new Map<string, string>(),
      ) =>
        documentedRuleViolations(
          requests.map((request) => ({ ...request, resource: "r" })),
          protocols,
        ).join("\n");
      const instance = (allocated: number, max: number) => ({
        service: "rds",
        operation: "CreateDBInstance",
        request: { allocatedStorage: allocated, maxAllocatedStorage: max, MasterUsername: "postgres" },
      });
      assert.equal(rules([instance(100, 110)]), "");
      assert.match(rules([instance(100, 109)]), /less than 10% above AllocatedStorage/);
      assert.match(rules([{ ...instance(20, 22), request: { MasterUsername: "a".repeat(17) } }]), /MasterUsername/);
      const pool = (timeout: number) => ({
        service: "rds",
        operation: "ModifyDBProxyTargetGroup",
        request: { ConnectionPoolConfig: { connectionBorrowTimeout: timeout } },
      });
      assert.equal(rules([pool(300)]), "");
      assert.match(rules([pool(301)]), /ConnectionBorrowTimeout is 301; from 0 to 300/);
      const inline = (characters: number) => ({
        service: "iam",
        operation: "PutRolePolicy",
        request: { RoleName: "r", PolicyDocument: JSON.stringify({ s: "x".repeat(characters - 8) }) },
      });
      assert.equal(rules([inline(5120), inline(5120)]), "");
      assert.match(rules([inline(5120), inline(5121)]), /inline policies are 10241 characters/);
      const route = (routeKey: string) => ({ service: "apigatewayv2", operation: "CreateRoute", request: { apiId: "api-id", routeKey } });
      for (const good of ["GET /", "GET /jobs/{id}", "ANY /{proxy+}", "POST /a/b.c/{x}/{rest+}", "$default"])
        assert.equal(rules([route(good)]), "", good);
      for (const bad of ["GET /{proxy+}/tail", "GET /a//b", "GET /a{b}c", "get /a", "GET a"])
        assert.match(rules([route(bad)]), /is not one API Gateway takes/, bad);
      assert.equal(rules([route("submit")], new Map([["api-id", "WEBSOCKET"]])), "");
      const deployment = (description: string) => ({ service: "codedeploy", operation: "CreateDeployment", request: { description } });
      assert.equal(rules([deployment("d".repeat(100))]), "");
      assert.match(rules([deployment("d".repeat(101))]), /description is 101 characters; at most 100/);
      const linear = (linearPercentage: number, linearInterval: number) => ({
        service: "codedeploy",
        operation: "CreateDeploymentConfig",
        request: { trafficRoutingConfig: { type: "TimeBasedLinear", timeBasedLinear: { linearPercentage, linearInterval } } },
      });
      assert.equal(rules([linear(10, 288)]), "", "10 steps of 288 minutes: 2,880");
      assert.equal(rules([linear(9, 240)]), "", "12 steps (ceil(100 / 9)) of 240 minutes: 2,880");
      assert.match(rules([linear(9, 241)]), /shifts traffic over 2892 minutes/);
      assert.match(rules([linear(10, 289)]), /shifts traffic over 2890 minutes; at most 2880/);
      // A function's permissions share one 20 KB resource-based policy: 39 of these (518 bytes each) fit, 40 do not.
      const permission = (index: number) => ({
        service: "lambda",
        operation: "AddPermission",
        request: {
          FunctionName: "f".repeat(64),
          qualifier: "live",
          StatementId: `route-${index}`.padEnd(100, "x"),
          principal: "apigateway.amazonaws.com",
          action: "lambda:InvokeFunction",
          sourceArn: `arn:aws:execute-api:ap-southeast-5:123456789012:abcdefghij/*/GET/${"r".repeat(60)}/{id}`,
        },
      });
      assert.equal(rules(Array.from({ length: 39 }, (_, index) => permission(index))), "");
      assert.match(
        rules(Array.from({ length: 40 }, (_, index) => permission(index))),
        /resource-based policy of f{64}:live is 207\d\d bytes; at most 20480/,
      );
    });
  });

  for (const stack of listStacks())
    it(`Pulumi.${stack}.yaml: every request within the models and the documented rules, no input unmapped`, async () => {
      const result = checkConformance((await evaluateStack(stack)).resources);
      assert.deepEqual(result.unknownTypes, [], "every registered type maps to its API requests (tests/aws-api/api-requests.ts)");
      assert.deepEqual(result.unmapped, []);
      assert.deepEqual(result.violations, []);
      assert.ok(result.checked > 1000, `${result.checked} values checked`);
    });

  for (const [extreme, make] of [
    ["largest", largestConfig],
    ["smallest", smallestConfig],
  ] as const)
    it(`the ${extreme} config the schemas accept: every bound number at its ${extreme} value, on the ${extreme} stack name, and nothing AWS refuses`, async () => {
      const { stack, config, bound, unreached } = make();
      assert.equal(checkStackName(stack), stack);
      // Every bounded number of the schema (a record's in each entry the config has) reached its extreme.
      assert.deepEqual(unreached, [], "numbers the schema took no value for: the generator's base config is wrong");
      assert.ok(bound.length >= 40, `${bound.length} numbers at their bound`);
      const result = checkConformance((await evaluateStack(stack, config)).resources);
      assert.deepEqual([...result.unknownTypes, ...result.unmapped], []);
      assert.deepEqual(result.violations, []);
    });

  it("each limit the schemas use agrees with AWS's model where the model states it", () => {
    const checked: string[] = [];
    for (const [name, limit] of Object.entries(AWS_LIMITS) as [string, AwsLimit][]) {
      if (!limit.model) continue;
      const [service, reference] = limit.model.split(" ");
      const model = serviceModel(service);
      const [shapeName, member] = reference.split(".");
      const owner = model.shapes[shapeName];
      assert.ok(owner, `${name}: ${service} has no shape ${shapeName}`);
      const shape = member ? model.shapes[owner.members![member].shape] : owner;
      const documentation = member
        ? String((owner.members![member] as any).documentation ?? "")
        : String((owner as any).documentation ?? "");
      const words = documentation.replace(/<[^>]+>/g, " ").replace(/(\d),(\d)/g, "$1$2");
      for (const bound of ["min", "max"] as const) {
        if (limit[bound] === undefined) continue;
        if (shape[bound] !== undefined) assert.equal(limit[bound], shape[bound], `${name}.${bound} against ${limit.model}`);
        else
          assert.ok(
            new RegExp(`\\b${limit[bound]}\\b`).test(words),
            `${name}.${bound} (${limit[bound]}) is in ${limit.model}'s documentation`,
          );
      }
      if (limit.pattern && shape.pattern)
        assert.equal(limit.pattern.source, `^${shape.pattern}$`, `${name}.pattern against ${limit.model}`);
      checked.push(name);
    }
    assert.ok(checked.length >= 8, checked.join(", "));
  });

  describe("refused by name at config time (each was accepted before, and AWS refuses it)", () => {
    const refusal = (values: Record<string, unknown>): string => {
      try {
        parseStackConfig(values);
        return "";
      } catch (error) {
        assert.ok(error instanceof ConfigError, String(error));
        return error.message;
      }
    };
    const own = (settings: object) => ({ ownImageFunctions: { f: { context: "tests/fixtures/own-image", ...settings } } });

    it("Lambda: a one-character variable name, filter patterns over 4,096 characters or whose values are not lists", () => {
      assert.match(
        refusal({ functions: { "get-job": { environment: { A: "1" } } } }),
        /functions\.get-job\.environment\.A is not a variable name Lambda accepts/,
      );
      assert.equal(refusal({ functions: { "get-job": { environment: { AB: "1" } } } }), "");
      const pattern = (length: number) => ({ jobs: { filterPatterns: [{ body: { type: ["x".repeat(length)] } }] } });
      const overhead = JSON.stringify({ body: { type: [""] } }).length;
      assert.equal(refusal(pattern(4096 - overhead)), "");
      assert.match(refusal(pattern(4097 - overhead)), /jobs\.filterPatterns\.0 is 4097 characters as JSON; Lambda allows 4096/);
      assert.match(
        refusal({ jobs: { filterPatterns: [{ body: { type: "echo" } }] } }),
        /filterPatterns\.0\.body\.type must be a list of values to match/,
      );
      assert.match(refusal({ jobs: { filterPatterns: [{ body: { type: [] } }] } }), /filterPatterns\.0\.body\.type must be a list/);
    });

    it("RDS: a storage ceiling less than 10% above the storage, a borrow timeout over 300 s, a master user over 16 characters", () => {
      assert.match(
        refusal({ database: { allocatedStorage: 95 } }),
        /database\.maxAllocatedStorage must be at least 105, 10% above allocatedStorage \(95\)/,
      );
      assert.equal(refusal({ database: { allocatedStorage: 90 } }), "", "90 GB under the default ceiling of 100 is 11% headroom");
      assert.equal(refusal({ database: { allocatedStorage: 95, maxAllocatedStorage: 105 } }), "");
      assert.match(
        refusal({ database: { allocatedStorage: 59579, maxAllocatedStorage: 65536 } }),
        /allocatedStorage must be a whole number from 20 to 59578/,
      );
      assert.match(
        refusal({ database: { proxy: { connectionBorrowTimeoutSeconds: 301 } } }),
        /connectionBorrowTimeoutSeconds must be a whole number from 0 to 300/,
      );
      assert.equal(refusal({ database: { proxy: { connectionBorrowTimeoutSeconds: 300 } } }), "");
      assert.match(
        refusal({ database: { adminUser: "a".repeat(17) } }),
        /database\.adminUser must be at most 16 characters: RDS's master user name/,
      );
      assert.equal(refusal({ database: { adminUser: "a".repeat(16) } }), "");
    });

    it("API Gateway: an issuer over 2,048 characters, route keys it does not take", () => {
      const issuer = (length: number) => ({
        auth: { issuer: `https://${"i".repeat(length - 16)}.example`, audience: ["a"], scope: "jobs" },
      });
      assert.equal(refusal(issuer(2048)), "");
      assert.match(refusal(issuer(2049)), /auth\.issuer must be at most 2048 characters/);
      for (const route of ["GET /{proxy+}/tail", "GET /a//b", "GET /a{b}c", "GET /a/"])
        assert.match(refusal(own({ route })), /ownImageFunctions\.f\.route must be an HTTP API route key/, route);
      assert.equal(refusal(own({ route: "GET /a/{id}/{rest+}" })), "");
    });

    it("a description of a function with its own image fits Lambda's 256 characters at the longest name and Dockerfile path", () => {
      const longest = `${"f".repeat(40)}: its own image (${"d/".repeat(100)})`;
      for (const suffix of ["", " (x86_64 twin)"]) {
        const description = lambdaDescription(longest, suffix);
        assert.ok(description.length <= AWS_LIMITS.lambdaDescriptionCharacters.max, `${description.length}`);
        assert.ok(description.endsWith(`...${suffix}`));
      }
      assert.equal(lambdaDescription("short", " (x86_64 twin)"), "short (x86_64 twin)");
    });

    it("power tuning: more tuned functions than its role's managed policies can name", () => {
      const many = Object.fromEntries(
        Array.from({ length: MAX_TUNED_ARNS + 1 }, (_, index) => [`f${index}`, { context: "tests/fixtures/own-image" }]),
      );
      assert.equal(refusal({ ownImageFunctions: many, tuning: { functions: Object.keys(many).slice(0, MAX_TUNED_ARNS) } }), "");
      assert.match(
        refusal({ ownImageFunctions: many, tuning: { functions: Object.keys(many) } }),
        new RegExp(
          `tuning\\.functions name ${MAX_TUNED_ARNS + 1} functions with their twins; power tuning's role can be granted at most ${MAX_TUNED_ARNS}`,
        ),
      );
    });
  });
});
