import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { spawnSync } from "node:child_process";
import { listStacks, policyConfigFor } from "../config";

const workflow = (file: string) => parseYaml(readFileSync(`.github/workflows/${file}`, "utf8"), { strict: true });
const commands = (job: any): string[] => job.steps.flatMap((step: any) => (step.run ? [step.run] : []));

describe("GitHub workflows for forks", () => {
  it("checks: on pull requests, npm ci, the type check and npm test, with no cloud credentials", () => {
    const checks = workflow("checks.yml");
    assert.ok("pull_request" in checks.on);
    assert.deepEqual(commands(checks.jobs.test), ["npm ci", "npm run format:check", "npm run typecheck", "npm test"]);
    assert.doesNotMatch(JSON.stringify(checks), /aws-actions|secrets\.|id-token/);
  });

  it("checks: the offline plan for every stack, the matrix made from the Pulumi.<stack>.yaml files", () => {
    const checks = workflow("checks.yml");
    const plan = checks.jobs.plan;
    assert.equal(plan.strategy.matrix.include, "${{ fromJson(needs.stacks.outputs.matrix) }}");
    assert.ok(commands(checks.jobs.stacks).some((command) => command.includes("npm run --silent stacks -- --json")));
    const listed = spawnSync("npm", ["run", "--silent", "stacks", "--", "--json"], { encoding: "utf8" });
    // Every stack file, with the policy config its stack names (policyConfigFor), whatever stacks a fork adds.
    assert.deepEqual(
      JSON.parse(listed.stdout),
      listStacks().map((stack) => {
        const file = policyConfigFor(stack);
        return { stack, "policy-config": file ? `--policy-config ${file}` : "", "policy-file": file ?? "" };
      }),
    );
    assert.deepEqual(
      JSON.parse(listed.stdout).find((entry: any) => entry.stack === "prod")?.["policy-file"],
      "policy/strict.json",
      "prod is checked with the strict policy config",
    );
    assert.ok(
      commands(plan).some(
        (command) => command.startsWith("npm run plan -- --stack ${{ matrix.stack }}") && command.endsWith("${{ matrix.policy-config }}"),
      ),
    );
  });

  it("preview: pulumi preview with the policy pack per stack, AWS credentials from OIDC, off until configured", () => {
    const preview = workflow("preview.yml");
    const job = preview.jobs.preview;
    assert.ok("pull_request" in preview.on);
    assert.equal(preview.permissions["id-token"], "write");
    assert.equal(job.if, "${{ vars.PULUMI_PREVIEW_ENABLED == 'true' }}");
    assert.equal(job.strategy.matrix.include, "${{ fromJson(needs.stacks.outputs.matrix) }}");
    assert.ok(commands(preview.jobs.stacks).some((command) => command.includes("npm run --silent stacks -- --json")));
    const aws = job.steps.find((step: any) => String(step.uses).startsWith("aws-actions/configure-aws-credentials@"));
    assert.ok(aws.with["role-to-assume"], "credentials come from an assumed role (OIDC), not stored keys");
    const pulumi = job.steps.find((step: any) => String(step.uses).startsWith("pulumi/actions@"));
    assert.equal(pulumi.with.command, "preview");
    assert.equal(pulumi.with.policyPacks, "policy");
    assert.equal(pulumi.with.policyPackConfigs, "${{ matrix.policy-file }}");
    assert.equal(pulumi.with["stack-name"], "${{ matrix.stack }}");
  });

  it("images: every image of the stacks, one single-platform image per architecture, built natively, no attestations (Lambda refuses indexes), a unique tag, used by digest", () => {
    const images = workflow("images.yml");
    const build = images.jobs.build;
    assert.equal(images.jobs.images.if, "${{ vars.IMAGES_ENABLED == 'true' }}");
    assert.equal(images.permissions["id-token"], "write");
    assert.ok(commands(images.jobs.images).some((command) => command.includes("npm run --silent images -- --json")));
    assert.equal(build.strategy.matrix.include, "${{ fromJson(needs.images.outputs.matrix) }}");
    assert.equal(build["runs-on"], "${{ matrix.runner }}");
    const push = build.steps.find((step: any) => String(step.uses).startsWith("docker/build-push-action@"));
    assert.deepEqual(
      [push.with.provenance, push.with.sbom, push.with.platforms, push.with.context, push.with.file],
      [false, false, "${{ matrix.platform }}", "${{ matrix.context }}", "${{ matrix.dockerfile }}"],
    );
    assert.equal(push.with.push, true);
    assert.match(
      push.with.tags,
      /\/\$\{\{ matrix\.repository \}\}:release-\$\{\{ matrix\.architecture \}\}-\$\{\{ github\.sha \}\}$/,
      "never untagged: lifecycle rules expire untagged images",
    );
    const aws = build.steps.find((step: any) => String(step.uses).startsWith("aws-actions/configure-aws-credentials@"));
    assert.ok(aws.with["role-to-assume"], "credentials from OIDC, not stored keys");
    assert.match(commands(build).join("\n"), /create-repository .*--image-tag-mutability IMMUTABLE/s);
    assert.match(commands(build).join("\n"), /for path in \$CONFIG_PATHS[\s\S]*'\$path\.\$\{\{ matrix\.architecture \}\}'/);
  });
});
