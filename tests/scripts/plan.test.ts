import { strict as assert } from "node:assert";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { main } from "../../scripts/plan";
import { plan } from "../../scripts/stack-plan";
import { readStackOutputs } from "../../scripts/stack-outputs";
import { checkStackName, listStacks } from "../../config";

async function run(...argv: string[]): Promise<{ code: number; output: string }> {
  let output = "";
  const code = await main(argv, (text) => (output += text));
  return { code, output };
}

describe("npm run plan", () => {
  let scratch: string;
  before(() => (scratch = mkdtempSync(join(tmpdir(), "plan-"))));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  for (const stack of listStacks()) {
    it(`plans ${stack}: a resource tree with the reviewer's settings, and exit 0 (no mandatory violation)`, async () => {
      const { code, output } = await run("--stack", stack);
      assert.equal(code, 0, output);
      assert.match(output, /graviton:lambda:ContainerFunction get-job\n/);
      assert.match(output, /aws:lambda\/function:Function get-job +architecture=arm64 imagePlatform=linux\/arm64 memory=\d+ timeout=10/);
      assert.match(output, /Policies: 0 mandatory/);
      assert.doesNotMatch(output, /undefined|NaN|\[object Object\]/, "every setting shown has a value");
      assert.match(output, /aws:sqs\/queue:Queue jobs-dlq +visibilityTimeout=30 s \(SQS default\) encrypted=true/);
    });
  }

  it("shows what only AWS can know as unknown instead of inventing it", async () => {
    const { output } = await run("--stack", "dev");
    assert.match(output, /imageUri=\(known after deploy\)/);
    assert.doesNotMatch(output, /123456789012|sha256:/);
    // One short block for what needs AWS's values, by check, not a line per resource.
    const deferred = output.slice(output.indexOf("[checked at deploy]"), output.indexOf("\nPolicies:"));
    assert.match(deferred, /^\[checked at deploy\] \d+ checks need values only AWS assigns/);
    assert.match(deferred, /lambda-private-ecr-image \(\d+\)/);
    assert.ok(deferred.split("\n").length <= 10 && deferred.split("\n").every((line) => line.length <= 110), deferred);
  });

  it("exits 1 on a mandatory violation and prints the resource, the rule, why and how to fix it", async () => {
    const config = join(scratch, "strict.json");
    writeFileSync(config, JSON.stringify({ "lambda-reserved-concurrency": "mandatory" }));
    const { code, output } = await run("--stack", "dev", "--policy-config", config);
    assert.equal(code, 1);
    assert.match(
      output,
      /\[mandatory\] lambda-reserved-concurrency on aws:lambda\/function:Function get-job\n {4}what: Function get-job has no reserved concurrency\.\n {4}why: .+\n {4}fix: .*reservedConcurrency/,
    );
  });

  it("--json prints the same plan as JSON", async () => {
    const { code, output } = await run("--stack", "dev", "--json");
    assert.equal(code, 0);
    const parsed = JSON.parse(output);
    assert.equal(parsed.stack, "dev");
    assert.deepEqual(Object.keys(parsed.summary), ["resources", "mandatory", "advisory"]);
    const component = (name: string) => parsed.resources.find((node: any) => node.name === name);
    const lambdaFunction = (parent: any, name: string) =>
      parent.children.find((node: any) => node.name === name && node.type === "aws:lambda/function:Function");
    assert.equal(component("get-job").type, "graviton:lambda:ContainerFunction");
    const getJob = lambdaFunction(component("get-job"), "get-job");
    assert.deepEqual([getJob.settings.architecture, getJob.settings.imagePlatform], ["arm64", "linux/arm64"]);
    // example:begin the HTTP demos: primes has an x86_64 twin on dev
    const twin = lambdaFunction(component("primes"), "primes-x86_64");
    assert.deepEqual([twin.settings.architecture, twin.settings.imagePlatform], ["x86_64", "linux/amd64"]);
    // example:end
    assert.ok(parsed.violations.every((violation: any) => violation.policy && violation.message && violation.howToFix));
  });

  it("--diagram writes a Mermaid diagram of the components and their connections", async () => {
    const diagram = join(scratch, "stack.mmd");
    assert.equal((await run("--stack", "dev", "--diagram", diagram)).code, 0);
    const text = readFileSync(diagram, "utf8");
    assert.match(text, /^flowchart LR\n/);
    assert.match(text, /graviton_lambda_ContainerImage_app --> graviton_lambda_ContainerFunction_get_job/);
    assert.match(text, /graviton_lambda_ContainerFunction_get_job --> graviton_api_HttpApi_api/);
  });

  it("exits 2 with a clear message for an unknown stack or a missing --stack", async () => {
    const stacks = listStacks();
    const missingStack = ["staging", "qa", "sandbox"].find((name) => !stacks.includes(name))!;
    const unknown = await run("--stack", missingStack);
    assert.equal(unknown.code, 2);
    assert.ok(
      unknown.output.includes(
        `Unknown stack "${missingStack}": there is no Pulumi.${missingStack}.yaml. Stacks here: ${stacks.join(", ")}.`,
      ),
      unknown.output,
    );
    const missing = await run();
    assert.equal(missing.code, 2);
    assert.match(missing.output, /--stack is required/);
  });

  it("--config-file plans a stack file kept elsewhere, as pulumi up --config-file reads one; a missing one is exit 2", async () => {
    const file = join(scratch, "candidate.yaml");
    writeFileSync(
      file,
      readFileSync("Pulumi.dev.yaml", "utf8").replace(/graviton-platform:architecture: \S+/, "graviton-platform:architecture: x86_64"),
    );
    const candidate = await run("--stack", "candidate", "--config-file", file);
    assert.equal(candidate.code, 0, candidate.output);
    assert.match(candidate.output, /Function get-job {2}architecture=x86_64 /);
    assert.match(candidate.output, /LogGroup get-job {2}name=\/aws\/lambda\/graviton-platform-candidate\/get-job /);
    assert.ok(!listStacks().includes("candidate"), "the file joins no stack of the project");
    const missing = await run("--stack", "dev", "--config-file", join(scratch, "none.yaml"));
    assert.equal(missing.code, 2);
    assert.match(missing.output, /--config-file .*none\.yaml: there is no such file/);
    const folder = await run("--stack", "dev", "--config-file", scratch);
    assert.equal(folder.code, 2);
    assert.match(folder.output, /--config-file .*: not a file/);
  });

  it("refuses a stack name Pulumi would refuse, or one that names a file elsewhere", async () => {
    for (const stack of ["../../etc/x", "a/b", ".hidden", "x".repeat(101), "dev prod", "dev\u0000"]) {
      const { code, output } = await run("--stack", stack);
      assert.equal(code, 2, stack);
      assert.match(output, /is not a stack name: letters, digits, -, _ and \./);
    }
    assert.throws(() => readStackOutputs("../x"), /is not a stack name/);
    assert.equal(checkStackName("acme/graviton-platform/prod", { qualified: true }), "acme/graviton-platform/prod");
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

  it("refuses keys in no namespace or a misspelt one, which Pulumi would ignore", async () => {
    writeFileSync(join(scratch, "Pulumi.stray.yaml"), "config:\n  architecture: sparc\n  graviton-platfrom:architecture: x86_64\n");
    await assert.rejects(plan("stray", {}, scratch), (error: Error) => {
      assert.match(error.message, /architecture has no namespace: write graviton-platform:architecture/);
      assert.match(error.message, /unknown namespace "graviton-platfrom"/);
      return true;
    });
  });

  it("refuses a policy configuration naming an unknown policy, level or setting, instead of turning a policy off", async () => {
    const file = join(scratch, "policy.json");
    for (const [config, expected] of [
      [{ "sfn-logging": "fatal" }, /"sfn-logging" has the level "fatal"; it must be one of advisory, mandatory, remediate, disabled/],
      [{ "sfn-loging": "mandatory" }, /"sfn-loging" is not a policy of this pack/],
      [
        { "capacity-unreserved-headroom": { accountConcurrencyLimt: 5 } },
        /has no setting "accountConcurrencyLimt"; its settings are accountConcurrencyLimit/,
      ],
      [["mandatory"], /must be a JSON object/],
    ] as const) {
      writeFileSync(file, JSON.stringify(config));
      const { code, output } = await run("--stack", "dev", "--policy-config", file);
      assert.equal(code, 2, output);
      assert.match(output, expected);
    }
    writeFileSync(file, "{not json");
    assert.match((await run("--stack", "dev", "--policy-config", file)).output, /--policy-config .*policy\.json is not JSON/);
  });

  it("refuses a diagram path in a folder that does not exist, by name (exit 2, not a stack trace)", async () => {
    const { code, output } = await run("--stack", "dev", "--diagram", join(scratch, "missing", "plan.md"));
    assert.equal(code, 2);
    assert.match(output, /^plan: --diagram .*plan\.md: the folder .*missing does not exist/);
  });

  it("hands all of a large output to a pipe before exiting (no cut at 64 KB)", () => {
    const script = join(scratch, "large-output.ts");
    writeFileSync(
      script,
      `import { runCommand } from ${JSON.stringify(join(process.cwd(), "scripts/run-command"))};\nrunCommand("stacks", async (_argv, write) => { for (let i = 0; i < 50; i++) write("x".repeat(10_000) + "\\n"); return 3; });\n`,
    );
    // A reader that starts late lets the pipe's 64 KB buffer fill, as `| less` or a slow CI log does.
    const command = `"${process.execPath}" -r ts-node/register "${script}" | (sleep 0.5; wc -c); exit \${PIPESTATUS[0]}`;
    const result = spawnSync("bash", ["-c", command], { env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" } });
    assert.equal(Number(String(result.stdout).trim()), 50 * 10_001);
    assert.equal(result.status, 3);
  });
});
