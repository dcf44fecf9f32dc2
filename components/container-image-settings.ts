// The ContainerImage component's settings (`ecrKeepImages`, `ecrForceDelete`, `prebuiltImages`) and the
// image rules the config checks: no Pulumi here, so the config reads them without loading the engine.
import { z } from "zod";
import { type Architecture, flag, strictObject, wholeNumber } from "./settings-schema";

/** The Docker platform that builds an image for each Lambda architecture. */
export const DOCKER_PLATFORMS: Record<Architecture, string> = {
  arm64: "linux/arm64",
  x86_64: "linux/amd64",
};

/**
 * Tags this component pushes start with this (`build-<architecture>-<content hash>`), and only these may
 * be pushed again: the repository is IMMUTABLE_WITH_EXCLUSION with this one exclusion. The docker
 * provider rebuilds and pushes for reasons of its own (file modes, a `build` input, a provider upgrade,
 * an `up` interrupted after the push), and an IMMUTABLE repository refuses the second push of a tag, so
 * the deploy would fail. Functions run images by digest, never by tag, so a re-pushed build tag changes
 * nothing that runs; every other tag (a release tag CI pushes) stays immutable.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html
 */
export const BUILD_TAG_PREFIX = "build-";

/**
 * A private ECR image by digest (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<hex>`):
 * what a prebuilt image must be. Lambda takes images from private ECR only, and a digest, unlike a tag,
 * names the same bytes in every stack.
 */
export const PRIVATE_ECR_IMAGE_BY_DIGEST =
  /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?\/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)@sha256:[0-9a-f]{64}$/;

const imageByDigest = z
  .string({ error: "must be an image URI (a string)" })
  .max(512, { error: "must be at most 512 characters" })
  .regex(PRIVATE_ECR_IMAGE_BY_DIGEST, {
    error: "must be a private ECR image by digest: <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex digits>",
  });

/** The repository's settings (`ecrKeepImages`, `ecrForceDelete`, `prebuiltImages` of the stack config). */
export const containerImageSettings = strictObject({
  keepImages: wholeNumber(1, 1000)
    .default(20)
    .meta({ description: "tagged images kept per architecture by the ECR lifecycle policy (untagged ones expire after a day)" }),
  forceDelete: flag().default(false).meta({ description: "let `pulumi destroy` delete repositories that still hold images" }),
  prebuilt: strictObject({
    arm64: imageByDigest.optional().meta({ description: "the arm64 image, by digest" }),
    x86_64: imageByDigest.optional().meta({ description: "the x86_64 image, by digest" }),
  })
    .optional()
    .meta({
      description:
        "images CI built and pushed, by digest, per architecture (`arm64`, `x86_64`): the stack builds none and needs no Docker; every architecture in use needs one",
    }),
});
