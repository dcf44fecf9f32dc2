import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appFunctions } from "../../app/functions";
import { httpEvent } from "./api-gateway-event";
import { LAMBDA_ENVIRONMENT } from "./lambda-environment";

const lambdaEnvironment = { ...process.env, ...LAMBDA_ENVIRONMENT };

describe("app bundles (what the image's final stage copies)", function () {
  this.timeout(60_000);
  let dist: string;

  before(() => {
    dist = mkdtempSync(join(tmpdir(), "app-dist-"));
    execFileSync(process.execPath, ["app/build.mjs"], { env: { ...process.env, APP_DIST_DIR: dist }, stdio: "pipe" });
  });
  after(() => rmSync(dist, { recursive: true, force: true }));

  it("has a handler file for every function in app/functions.ts, and a function for every handler", () => {
    const handlers = readdirSync("app/handlers").map((file) => file.replace(/\.ts$/, ""));
    const declared = Object.values(appFunctions).map((fn) => fn.handler.split(".")[0]);
    assert.deepEqual(declared.sort(), handlers.sort());
  });

  for (const [name, fn] of Object.entries(appFunctions)) {
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

  it("runs in a fresh Node process the way the Lambda runtime loads it (as an ES module)", () => {
    const event = httpEvent({ method: "GET", path: "/primes", query: { max: "1000" } });
    const script = `import { handler } from ${JSON.stringify(join(dist, "primes.mjs"))};
      process.stdout.write(JSON.stringify(await handler(${JSON.stringify(event)})));`;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    const response = JSON.parse(output);
    assert.equal(response.statusCode, 200);
    assert.equal(JSON.parse(response.body).count, 168);
  });
});
