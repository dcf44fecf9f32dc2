import { strict as assert } from "node:assert";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main, plan } from "../../scripts/plan";

async function run(...argv: string[]): Promise<{ code: number; output: string }> {
  let output = "";
  const code = await main(argv, (text) => (output += text));
  return { code, output };
}

describe("npm run plan", () => {
  let scratch: string;
  before(() => (scratch = mkdtempSync(join(tmpdir(), "plan-"))));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  for (const stack of ["dev", "prod"]) {
    it(`plans ${stack}: a resource tree with the reviewer's settings, and exit 0 (no mandatory violation)`, async () => {
      const { code, output } = await run("--stack", stack);
      assert.equal(code, 0, output);
      assert.match(output, /graviton:lambda:ContainerFunction primes\n/);
      assert.match(output, /aws:lambda\/function:Function primes +architecture=arm64 imagePlatform=linux\/arm64 memory=\d+ timeout=30/);
      assert.match(output, /Policies: 0 mandatory/);
    });
  }

  it("shows what only AWS can know as unknown instead of inventing it", async () => {
    const { output } = await run("--stack", "dev");
    assert.match(output, /imageUri=\(known after deploy\)/);
    assert.doesNotMatch(output, /123456789012|sha256:/);
    assert.match(output, /\[checked at deploy\] lambda-private-ecr-image on aws:lambda\/function:Function number-fact/);
  });

  it("exits 1 on a mandatory violation and prints the resource, the rule, why and how to fix it", async () => {
    const config = join(scratch, "strict.json");
    writeFileSync(config, JSON.stringify({ "lambda-reserved-concurrency": "mandatory" }));
    const { code, output } = await run("--stack", "dev", "--policy-config", config);
    assert.equal(code, 1);
    assert.match(output, /\[mandatory\] lambda-reserved-concurrency on aws:lambda\/function:Function primes\n {4}what: Function primes has no reserved concurrency\.\n {4}why: .+\n {4}fix: .*reservedConcurrency/);
  });

  it("--json prints the same plan as JSON", async () => {
    const { code, output } = await run("--stack", "dev", "--json");
    assert.equal(code, 0);
    const parsed = JSON.parse(output);
    assert.equal(parsed.stack, "dev");
    assert.deepEqual(Object.keys(parsed.summary), ["resources", "mandatory", "advisory"]);
    const primes = parsed.resources.find((node: any) => node.name === "primes");
    assert.equal(primes.type, "graviton:lambda:ContainerFunction");
    const twin = primes.children.find((node: any) => node.name === "primes-x86_64" && node.type === "aws:lambda/function:Function");
    assert.deepEqual([twin.settings.architecture, twin.settings.imagePlatform], ["x86_64", "linux/amd64"]);
    assert.ok(parsed.violations.every((violation: any) => violation.policy && violation.message && violation.howToFix));
  });

  it("--diagram writes a Mermaid diagram of the components and their connections", async () => {
    const diagram = join(scratch, "stack.mmd");
    assert.equal((await run("--stack", "dev", "--diagram", diagram)).code, 0);
    const text = readFileSync(diagram, "utf8");
    assert.match(text, /^flowchart LR\n/);
    assert.match(text, /graviton_lambda_ContainerImage_app --> graviton_lambda_ContainerFunction_primes/);
    assert.match(text, /graviton_lambda_ContainerFunction_primes --> graviton_api_HttpApi_api/);
  });

  it("exits 2 with a clear message for an unknown stack or a missing --stack", async () => {
    const unknown = await run("--stack", "staging");
    assert.equal(unknown.code, 2);
    assert.match(unknown.output, /Unknown stack "staging": there is no Pulumi\.staging\.yaml\. Stacks here: dev, prod\./);
    const missing = await run();
    assert.equal(missing.code, 2);
    assert.match(missing.output, /--stack is required/);
  });

  it("refuses a malformed stack file, naming it", async () => {
    copyFileSync("Pulumi.yaml", join(scratch, "Pulumi.yaml"));
    writeFileSync(join(scratch, "Pulumi.broken.yaml"), "config:\n  graviton-platform:architecture: [arm64\n");
    await assert.rejects(plan("broken", {}, scratch), /Pulumi\.broken\.yaml is not valid YAML/);
  });

  it("refuses a stack whose config is invalid, with the config error", async () => {
    writeFileSync(join(scratch, "Pulumi.typo.yaml"), "config:\n  graviton-platform:architecture: arm\n");
    await assert.rejects(plan("typo", {}, scratch), /graviton-platform:architecture must be "arm64" or "x86_64", got "arm"/);
  });
});
