import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { Architecture, settingsFrom } from "./settings-schema";
import { buildContextHash } from "./build-context-hash";
import { BUILD_TAG_PREFIX, containerImageSettings, DOCKER_PLATFORMS, PRIVATE_ECR_IMAGE_BY_DIGEST } from "./container-image-settings";

/** The settings above, and what to build. */
export type ContainerImageArgs = z.input<typeof containerImageSettings> & {
  /** Build context directory (relative to the Pulumi project). @example "app" */
  context: string;
  /** Dockerfile path (relative to the Pulumi project). @default `<context>/Dockerfile` @example "app/Dockerfile" */
  dockerfile?: string;
  /** The architectures to build an image for: one image each, built for exactly that platform. @example ["arm64", "x86_64"] */
  architectures: Architecture[];
};

/**
 * One private ECR repository (scan on push, immutable tags but for the build tags, KMS encryption,
 * lifecycle policy) and one single-platform image per architecture, tagged
 * `build-<architecture>-<content hash>` and used by digest: a rebuild for any reason succeeds.
 * With `prebuilt` images (by digest, pushed by CI: .github/workflows/images.yml) it builds nothing and
 * creates no repository: the images live where CI pushed them, and the stack needs no Docker.
 */
export class ContainerImage extends pulumi.ComponentResource {
  readonly repositoryUrl: pulumi.Output<string>;
  readonly repositoryArn: pulumi.Output<string>;
  /** Image URI by digest (`<repo>@sha256:...`), per architecture built. */
  readonly imageUris: Partial<Record<Architecture, pulumi.Output<string>>>;
  /** The underlying resources, for a fork to read or extend (see "Changing a component" in docs/extending.md); none for prebuilt images. */
  readonly nodes: { repository?: aws.ecr.Repository; images: docker.Image[] };

  constructor(name: string, args: ContainerImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("graviton:lambda:ContainerImage", name, {}, opts);
    if (args.architectures.length === 0) {
      throw new Error(`ContainerImage ${name}: architectures is empty; build at least one of arm64, x86_64.`);
    }
    const dockerfile = args.dockerfile ?? `${args.context}/Dockerfile`;
    const { keepImages, forceDelete, prebuilt } = settingsFrom(containerImageSettings, args);

    if (prebuilt) {
      const missing = args.architectures.filter((architecture) => !prebuilt[architecture]);
      if (missing.length) {
        throw new Error(
          `ContainerImage ${name}: prebuilt images are given, but none for ${missing.join(", ")}; add prebuiltImages.${missing[0]} (an image by digest), or build: remove prebuiltImages.`,
        );
      }
      const [uri] = args.architectures.map((architecture) => prebuilt[architecture]!);
      const [, account, region, repositoryName] = PRIVATE_ECR_IMAGE_BY_DIGEST.exec(uri)!;
      this.imageUris = Object.fromEntries(args.architectures.map((architecture) => [architecture, pulumi.output(prebuilt[architecture]!)]));
      this.repositoryUrl = pulumi.output(uri.split("@")[0]);
      const partition = uri.includes(".amazonaws.com.cn/") ? "aws-cn" : "aws";
      this.repositoryArn = pulumi.output(`arn:${partition}:ecr:${region}:${account}:repository/${repositoryName}`);
      this.nodes = { images: [] };
      this.registerOutputs({ repositoryUrl: this.repositoryUrl, repositoryArn: this.repositoryArn, imageUris: this.imageUris });
      return;
    }

    const repository = new aws.ecr.Repository(
      name,
      {
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters: [{ filter: `${BUILD_TAG_PREFIX}*`, filterType: "WILDCARD" }],
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "KMS" }],
        forceDelete,
      },
      { parent: this },
    );

    new aws.ecr.LifecyclePolicy(
      name,
      {
        repository: repository.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: "Expire untagged images after 1 day",
              selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
              action: { type: "expire" },
            },
            ...args.architectures.map((architecture, index) => ({
              rulePriority: index + 2,
              description: `Keep the newest ${keepImages} ${architecture} images`,
              selection: {
                tagStatus: "tagged",
                tagPrefixList: [`${BUILD_TAG_PREFIX}${architecture}-`],
                countType: "imageCountMoreThan",
                countNumber: keepImages,
              },
              action: { type: "expire" },
            })),
          ],
        }),
      },
      { parent: this },
    );

    const credentials = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, { parent: this });
    const contentHash = buildContextHash(args.context, dockerfile).slice(0, 20);

    const images: docker.Image[] = [];
    this.imageUris = {};
    for (const architecture of args.architectures) {
      const image = new docker.Image(
        `${name}-${architecture}`,
        {
          imageName: pulumi.interpolate`${repository.repositoryUrl}:${BUILD_TAG_PREFIX}${architecture}-${contentHash}`,
          build: {
            context: args.context,
            dockerfile,
            platform: DOCKER_PLATFORMS[architecture],
            builderVersion: "BuilderBuildKit",
          },
          registry: {
            server: repository.repositoryUrl,
            username: credentials.userName,
            password: pulumi.secret(credentials.password),
          },
        },
        { parent: this },
      );
      this.imageUris[architecture] = image.repoDigest;
      images.push(image);
    }

    this.repositoryUrl = repository.repositoryUrl;
    this.repositoryArn = repository.arn;
    this.nodes = { repository, images };
    this.registerOutputs({ repositoryUrl: this.repositoryUrl, repositoryArn: this.repositoryArn, imageUris: this.imageUris });
  }

  /** The image for one architecture; fails clearly when that architecture was not built. */
  imageUri(architecture: Architecture): pulumi.Output<string> {
    const uri = this.imageUris[architecture];
    if (!uri) {
      throw new Error(
        `No ${architecture} image was built for this repository (built: ${Object.keys(this.imageUris).join(", ")}); add it to architectures.`,
      );
    }
    return uri;
  }
}
