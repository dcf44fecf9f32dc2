import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appFunctions, appHooks } from "../../app/functions";
import { LAMBDA_ENVIRONMENT } from "./lambda-environment";
import { APP_METRICS, type AppMetricName } from "../../app/observability/metric-catalogue";
import { LocalLambda, type LocalInvocation } from "../../dev/lambda/local-lambda";
import { emfProblems, isEmf } from "./emf-specification";
// example:begin the HTTP demos
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { httpEvent } from "./api-gateway-event";
// example:end

const lambdaEnvironment = { ...process.env, ...LAMBDA_ENVIRONMENT };

describe("app bundles (what the image's final stage copies)", function () {
  this.timeout(60_000);
  let dist: string;

  before(() => {
    dist = mkdtempSync(join(tmpdir(), "app-dist-"));
    execFileSync(process.execPath, ["app/build.mjs"], { env: { ...process.env, APP_DIST_DIR: dist }, stdio: "pipe" });
  });
  after(() => rmSync(dist, { recursive: true, force: true }));

  it("has a handler file for every function and hook in app/functions.ts, and a function or hook for every handler", () => {
    const handlers = readdirSync("app/handlers").map((file) => file.replace(/\.ts$/, ""));
    const declared = [...Object.values(appFunctions), ...Object.values(appHooks)].map((fn) => fn.handler.split(".")[0]);
    assert.deepEqual(declared.sort(), handlers.sort());
  });

  for (const [name, fn] of [...Object.entries(appFunctions), ...Object.entries(appHooks)]) {
    const [file, exported] = fn.handler.split(".");
    it(`${name}: ${file}.mjs is a minified ES module with a source map, exporting ${exported}`, () => {
      const bundle = join(dist, `${file}.mjs`);
      assert.ok(existsSync(`${bundle}.map`), "source map written");
      const code = readFileSync(bundle, "utf8");
      assert.match(code, /export\s*\{/, "ES module exports");
      assert.ok(code.length / code.split("\n").length > 1000, "minified (long lines; only template literals keep their newlines)");
      const script = `import * as bundle from ${JSON.stringify(bundle)}; process.stdout.write(typeof bundle.${exported});`;
      assert.equal(
        execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env: lambdaEnvironment }),
        "function",
      );
    });
  }

  it("carries only the environment credential provider, not the SDK's whole chain (no SSO, profile, process or container providers)", () => {
    for (const file of ["worker.mjs", "get-job.mjs", "power-tuning.mjs"]) {
      const code = readFileSync(join(dist, file), "utf8");
      for (const marker of ["sso_start_url", "credential_process", "web_identity_token_file", "AWS_CONTAINER_CREDENTIALS_FULL_URI"]) {
        assert.ok(!code.includes(marker), `${file} bundles a credential provider that reads ${marker}`);
      }
      assert.ok(code.includes("AWS_SECRET_ACCESS_KEY"), `${file} reads credentials from the environment`);
    }
  });

  // example:begin the HTTP demos
  it("runs in a fresh Node process the way the Lambda runtime loads it (as an ES module)", () => {
    const event = httpEvent({ method: "GET", path: "/primes", query: { max: "1000" } });
    const context = `{ awsRequestId: "r-1", functionName: "primes", getRemainingTimeInMillis: () => 10000 }`;
    const script = `import { handler } from ${JSON.stringify(join(dist, "primes.mjs"))};
      const response = await handler(${JSON.stringify(event)}, ${context});
      process.stdout.write("\\n" + JSON.stringify(response));`;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    const response = JSON.parse(output.trim().split("\n").at(-1)!);
    assert.equal(response.statusCode, 200);
    assert.equal(JSON.parse(response.body).count, 168);
  });
  // example:end

  describe("telemetry as Lambda runs the bundles: Powertools' JSON logs and EMF metrics", () => {
    const NAMESPACE = "graviton-platform/test";
    const environments: LocalLambda[] = [];
    const run = (name: string, environment: Record<string, string> = {}) => {
      const lambda = new LocalLambda({
        name,
        bundle: join(dist, `${appFunctions[name as keyof typeof appFunctions].handler.split(".")[0]}.mjs`),
        memoryMb: 256,
        timeoutSeconds: 10,
        environment: { ...LAMBDA_ENVIRONMENT, POWERTOOLS_SERVICE_NAME: name, POWERTOOLS_METRICS_NAMESPACE: NAMESPACE, ...environment },
      });
      environments.push(lambda);
      return lambda;
    };
    after(() => environments.forEach((lambda) => lambda.stop()));

    const linesOf = (invocation: LocalInvocation) =>
      invocation.logs
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line));
    /** The EMF records of an invocation, each checked against the specification and the metric catalogue. */
    const metricsOf = (invocation: LocalInvocation, service: string) => {
      const records = linesOf(invocation).filter(isEmf);
      const metrics: Record<string, { value: number | number[]; reason?: string; unit: string }> = {};
      for (const record of records) {
        assert.deepEqual(emfProblems(record), [], JSON.stringify(record));
        const [directive] = record._aws.CloudWatchMetrics;
        assert.equal(directive.Namespace, NAMESPACE, "the stack's namespace");
        assert.equal(record.service, service, "the service dimension is the function's name");
        for (const { Name, Unit } of directive.Metrics) {
          const spec = APP_METRICS[Name as AppMetricName];
          assert.ok(spec, `${Name} is in the metric catalogue`);
          assert.ok(spec.emittedBy === "every" || (spec.emittedBy as readonly string[]).includes(service), `${service} may emit ${Name}`);
          assert.equal(Unit, spec.unit);
          assert.deepEqual(directive.Dimensions, "reasons" in spec ? [["service", "reason"]] : [["service"]]);
          if ("reasons" in spec) assert.ok((spec.reasons as readonly string[]).includes(record.reason), `${Name}: reason ${record.reason}`);
          metrics[Name] = { value: record[Name], reason: record.reason, unit: Unit };
        }
      }
      return metrics;
    };

    it("counts a cold start once per execution environment, in the function's service", async () => {
      const authorizer = run("ws-authorizer");
      const event = { type: "REQUEST", methodArn: "arn:aws:execute-api:us-east-1:1:a/live/$connect" };
      const cold = await authorizer.invoke(event);
      assert.deepEqual(metricsOf(cold, "ws-authorizer").ColdStart, { value: 1, reason: undefined, unit: "Count" });
      const warm = metricsOf(await authorizer.invoke(event), "ws-authorizer");
      assert.deepEqual(Object.keys(warm), ["TokenRejections"], "no ColdStart on a warm invocation");
    });

    it("logs JSON lines with the request id and cold start, and counts a refused token by reason", async () => {
      const authorizer = run("ws-authorizer");
      const invocation = await authorizer.invoke({ type: "REQUEST", methodArn: "arn:aws:execute-api:us-east-1:1:a/live/$connect" });
      assert.equal(invocation.error?.errorMessage, "Unauthorized");
      const refusal = linesOf(invocation).find((line) => line.message === "connection refused");
      assert.deepEqual(
        {
          level: refusal.level,
          service: refusal.service,
          reason: refusal.reason,
          request: refusal.function_request_id,
          cold: refusal.cold_start,
        },
        { level: "INFO", service: "ws-authorizer", reason: "missing", request: invocation.requestId, cold: true },
      );
      assert.deepEqual(metricsOf(invocation, "ws-authorizer").TokenRejections, { value: 1, reason: "missing", unit: "Count" });
    });

    // example:begin the HTTP demos
    it("times the numbers API and counts its failures", async () => {
      const upstream = createServer((_request, response) => response.end("7 is a number."));
      await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
      try {
        const event = httpEvent({ method: "POST", path: "/number", body: JSON.stringify({ number: 7 }) });
        const port = (upstream.address() as AddressInfo).port;
        const answered = metricsOf(await run("number-fact", { NUMBERS_API_URL: `http://127.0.0.1:${port}` }).invoke(event), "number-fact");
        assert.equal(answered.UpstreamLatency.unit, "Milliseconds");
        assert.ok((answered.UpstreamLatency.value as number) > 0);
        const failed = metricsOf(await run("number-fact", { NUMBERS_API_URL: "http://127.0.0.1:9" }).invoke(event), "number-fact");
        assert.deepEqual(failed.UpstreamFailures, { value: 1, reason: undefined, unit: "Count" });
        assert.equal(failed.UpstreamLatency, undefined);
      } finally {
        upstream.close();
      }
    });
    // example:end
  });
});
