import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stackConfigFrom } from "../../config";
import { imageBuilds, main, MAX_REPOSITORY_CHARACTERS, RUNNERS, type ImageBuild } from "../../scripts/images";

const FIXTURE = "tests/fixtures/own-image";
const ownFunctions = (functions: Record<string, object>) =>
  stackConfigFrom({ "graviton-platform:ownImageFunctions": JSON.stringify(functions) }).ownImageFunctions;
const summary = (builds: ImageBuild[]) => builds.map((build) => `${build.repository} ${build.architecture} ${build["config-paths"]}`);

describe("npm run images: what CI builds for stacks that take prebuilt images", () => {
  it("builds the app image and each own image once per architecture, natively, and names every config path that takes it", () => {
    const builds = imageBuilds(ownFunctions({ first: { context: FIXTURE }, second: { context: FIXTURE, memory: 512 } }));
    assert.deepEqual(summary(builds), [
      "app arm64 prebuiltImages",
      "app x86_64 prebuiltImages",
      "tests/fixtures/own-image arm64 ownImageFunctions.first.prebuiltImages ownImageFunctions.second.prebuiltImages",
      "tests/fixtures/own-image x86_64 ownImageFunctions.first.prebuiltImages ownImageFunctions.second.prebuiltImages",
    ]);
    for (const build of builds) assert.equal(build.runner, RUNNERS[build.architecture]);
    assert.deepEqual(builds.map((build) => [build.context, build.dockerfile, build.platform]).slice(1, 3), [
      [".", "app/Dockerfile", "linux/amd64"],
      [FIXTURE, `${FIXTURE}/Dockerfile`, "linux/arm64"],
    ]);
    const other = imageBuilds(ownFunctions({ python: { context: FIXTURE, dockerfile: `${FIXTURE}/Dockerfile.python` } }));
    assert.deepEqual(summary(other).slice(2), [
      "tests/fixtures/own-image/dockerfile.python arm64 ownImageFunctions.python.prebuiltImages",
      "tests/fixtures/own-image/dockerfile.python x86_64 ownImageFunctions.python.prebuiltImages",
    ]);
  });

  it("builds a Dockerfile pinned to one platform for that architecture only", () => {
    const dir = mkdtempSync(".test-pinned-");
    try {
      writeFileSync(join(dir, "Dockerfile"), "FROM --platform=linux/amd64 public.ecr.aws/lambda/python:3.13\n");
      const builds = imageBuilds(ownFunctions({ pinned: { context: dir, architecture: "x86_64" } }));
      assert.deepEqual(summary(builds).slice(2), [
        `${dir.toLowerCase().replace(/^\./, "")} x86_64 ownImageFunctions.pinned.prebuiltImages`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses two images that would share a repository, by name", () => {
    const dirs = [".test-Images-Clash", ".test-images-clash"];
    try {
      for (const dir of dirs) {
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir);
        writeFileSync(join(dir, "Dockerfile"), "FROM public.ecr.aws/lambda/nodejs:22\n");
      }
      assert.throws(
        () => imageBuilds(ownFunctions({ upper: { context: dirs[0] }, lower: { context: dirs[1] } })),
        /lower's image \(\.test-images-clash\/Dockerfile\) and \.test-Images-Clash\/Dockerfile's would share the repository test-images-clash: rename one/,
      );
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a flag it does not know, and a stack file with a mistake, saying what is wrong", async () => {
    let printed = "";
    assert.equal(await main(["--jsn"], (text) => void (printed += text)), 2);
    assert.match(printed, /Unknown option '--jsn'[\s\S]*usage: npm run images/);
    const project = mkdtempSync(join(tmpdir(), "images-"));
    try {
      writeFileSync(join(project, "Pulumi.broken.yaml"), "config:\n  graviton-platform:architecture: arm\n");
      printed = "";
      assert.equal(await main([], (text) => void (printed += text), project), 1);
      assert.match(printed, /graviton-platform:architecture must be "arm64" or "x86_64", got "arm"/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it("refuses an image whose repository name ECR would refuse as too long, with the namespace", () => {
    // A build context at the longest path the config accepts, built with a Dockerfile from elsewhere.
    const deep = [".test-images-long", ..."abcdefghijklmnopqr".split("").map((letter) => letter.repeat(9))].join("/");
    const elsewhere = ".test-images-long-dockerfile";
    try {
      mkdirSync(deep, { recursive: true });
      mkdirSync(elsewhere);
      writeFileSync(join(deep, "Dockerfile"), "FROM public.ecr.aws/lambda/nodejs:22\n");
      writeFileSync(join(elsewhere, "Dockerfile.lambda"), "FROM public.ecr.aws/lambda/nodejs:22\n");
      assert.ok(deep.length <= 200);
      assert.ok(
        imageBuilds(ownFunctions({ fits: { context: deep } })).every((build) => build.repository.length <= MAX_REPOSITORY_CHARACTERS),
      );
      assert.throws(
        () => imageBuilds(ownFunctions({ long: { context: deep, dockerfile: `${elsewhere}/Dockerfile.lambda` } })),
        /long's image would go to a 214-character repository .*at most 200 here/,
      );
    } finally {
      for (const dir of [".test-images-long", elsewhere]) rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lists the stack files' images as JSON for the workflow's matrix", () => {
    const listed = spawnSync("npm", ["run", "--silent", "images", "--", "--json"], { encoding: "utf8" });
    assert.equal(listed.status, 0, listed.stderr);
    const builds: ImageBuild[] = JSON.parse(listed.stdout);
    assert.deepEqual(
      builds.filter((build) => build.repository === "app").map((build) => build.architecture),
      ["arm64", "x86_64"],
    );
    assert.ok(builds.every((build) => /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(build.repository)));
  });
});
