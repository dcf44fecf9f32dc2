import { strict as assert } from "node:assert";
import { ContainerImage } from "../../components/container-image";
import { evaluate } from "../mock-engine";
import { Registered } from "../registered";

async function buildImage(architectures: ("arm64" | "x86_64")[]) {
  let component!: ContainerImage;
  const deployment = await evaluate(() => {
    component = new ContainerImage("app", { context: ".", dockerfile: "app/Dockerfile", architectures, keepImages: 7 });
    return { imageUris: component.imageUris };
  });
  return { registered: new Registered(deployment.resources), outputs: deployment.outputs, component };
}

describe("ContainerImage", () => {
  it("creates one private repository with scan on push, immutable tags (but the build tags, re-pushable) and KMS encryption", async () => {
    const { registered } = await buildImage(["arm64"]);
    const [repository] = registered.all("aws:ecr/repository:Repository");
    assert.equal(registered.all("aws:ecr/repository:Repository").length, 1);
    assert.equal(repository.inputs.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION");
    assert.deepEqual(repository.inputs.imageTagMutabilityExclusionFilters, [{ filter: "build-*", filterType: "WILDCARD" }]);
    for (const image of registered.all("docker:index/image:Image")) {
      assert.match(image.inputs.imageName.split(":").pop(), /^build-/, "every tag it pushes is one the exclusion lets it push again");
    }
    assert.equal(repository.inputs.imageScanningConfiguration.scanOnPush, true);
    assert.deepEqual(repository.inputs.encryptionConfigurations, [{ encryptionType: "KMS" }]);
  });

  it("attaches a lifecycle policy that expires untagged images and keeps the newest N per architecture", async () => {
    const { registered } = await buildImage(["arm64", "x86_64"]);
    const policy = JSON.parse(registered.one("aws:ecr/lifecyclePolicy:LifecyclePolicy", "app").inputs.policy);
    assert.equal(policy.rules[0].selection.tagStatus, "untagged");
    const kept = policy.rules.slice(1).map((rule: any) => [rule.selection.tagPrefixList[0], rule.selection.countNumber]);
    assert.deepEqual(kept, [
      ["build-arm64-", 7],
      ["build-x86_64-", 7],
    ]);
    assert.deepEqual(
      policy.rules.map((rule: any) => rule.rulePriority),
      [1, 2, 3],
    );
  });

  it("builds only the architectures asked for, each for exactly its own platform", async () => {
    const arm = await buildImage(["arm64"]);
    assert.deepEqual(
      arm.registered.all("docker:index/image:Image").map((image) => image.inputs.build.platform),
      ["linux/arm64"],
    );

    const both = await buildImage(["arm64", "x86_64"]);
    const platforms = both.registered.all("docker:index/image:Image").map((image) => image.inputs.build.platform);
    assert.deepEqual(platforms.sort(), ["linux/amd64", "linux/arm64"]);
  });

  it("tags each image build-<architecture>-<content hash>, pushes to its repository, and exposes the digest URI", async () => {
    const { registered, outputs } = await buildImage(["arm64", "x86_64"]);
    const repositoryUrl = registered.all("aws:ecr/repository:Repository")[0].state.repositoryUrl;
    for (const image of registered.all("docker:index/image:Image")) {
      const architecture = image.name.replace("app-", "");
      assert.match(image.inputs.imageName, new RegExp(`^${repositoryUrl}:build-${architecture}-[0-9a-f]{20}$`));
      assert.equal(image.inputs.registry.server, repositoryUrl);
      assert.deepEqual(image.secretInputs, ["registry"], "the registry password is a secret");
      assert.equal(image.inputs.build.builderVersion, "BuilderBuildKit");
      assert.equal(outputs.imageUris[architecture], image.state.repoDigest);
      assert.match(outputs.imageUris[architecture], /@sha256:[0-9a-f]{64}$/);
    }
  });

  it("refuses the image of an architecture it did not build, and an empty architecture list", async () => {
    const { component } = await buildImage(["arm64"]);
    assert.throws(() => component.imageUri("x86_64"), /No x86_64 image was built.*built: arm64/);
    await assert.rejects(buildImage([]), /architectures is empty/);
  });

  it("with prebuilt images by digest: no repository, no build, the given URIs, and the repository they name", async () => {
    const arm64 = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app@sha256:${"c".repeat(64)}`;
    let component!: ContainerImage;
    const deployment = await evaluate(() => {
      component = new ContainerImage("app", { context: ".", architectures: ["arm64"], prebuilt: { arm64 } });
      return { imageUris: component.imageUris, repositoryUrl: component.repositoryUrl, repositoryArn: component.repositoryArn };
    });
    assert.deepEqual(
      deployment.resources.map((resource) => resource.type),
      ["graviton:lambda:ContainerImage"],
    );
    assert.deepEqual(deployment.outputs, {
      imageUris: { arm64 },
      repositoryUrl: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app",
      repositoryArn: "arn:aws:ecr:eu-west-1:123456789012:repository/team/app",
    });
    await assert.rejects(
      evaluate(() => void new ContainerImage("app", { context: ".", architectures: ["arm64", "x86_64"], prebuilt: { arm64 } })),
      /prebuilt images are given, but none for x86_64; add prebuiltImages\.x86_64/,
    );
  });
});
