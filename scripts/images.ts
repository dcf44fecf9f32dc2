// npm run images [-- --json]
// The images CI builds and pushes by digest (.github/workflows/images.yml), for stacks that take them
// prebuilt: the app image, and the image of every function with its own image in any stack file (one per
// build context and Dockerfile, which functions sharing it share), each for every architecture its
// Dockerfile can build: both, unless it pins one. Each goes to its own ECR repository under the fork's
// namespace, and is given to every config path that takes it (`prebuiltImages`,
// `ownImageFunctions.<name>.prebuiltImages`).
import { join } from "node:path";
import { pinnedPlatform } from "../components/function-settings";
import { DOCKER_PLATFORMS } from "../components/container-image-settings";
import { ARCHITECTURES, type Architecture } from "../components/settings-schema";
import { stackConfigFrom, type OwnImageFunctionConfig, readStackConfig, listStacks } from "../config";
import { runCommand } from "./run-command";
import { COMMANDS, parseCommandLine } from "./command-line";

const USAGE = COMMANDS["images"].usage;

/** GitHub's hosted runners of each architecture: every image is built natively, with no emulation. */
export const RUNNERS: Record<Architecture, string> = { arm64: "ubuntu-24.04-arm", x86_64: "ubuntu-24.04" };

/** One build of CI's matrix: an image for one architecture, and where its digest goes in the stack config. */
export interface ImageBuild {
  /** The repository under the fork's ECR namespace: `app`, or the build context's path. */
  repository: string;
  context: string;
  dockerfile: string;
  architecture: Architecture;
  platform: string;
  runner: string;
  /** The config paths, space-separated, that take this image's digest for its architecture. */
  "config-paths": string;
}

/** An ECR repository name (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html) from a project path. */
function repositoryOf(context: string, dockerfile: string): string {
  const path = dockerfile === `${context}/Dockerfile` ? context : `${context}/${dockerfile.split("/").pop()}`;
  return path
    .toLowerCase()
    .split("/")
    .filter((part) => part !== ".")
    .map((part) => part.replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+|[._-]+$/g, "") || "x")
    .join("/");
}

/**
 * ECR allows repository names of 256 characters (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html),
 * the fork's ECR_NAMESPACE and its slash included: the repository under it gets at most 200, leaving 55 for the namespace.
 */
export const MAX_REPOSITORY_CHARACTERS = 200;

/** The builds for the functions with their own image of `stacks`, and the app image's. */
export function imageBuilds(ownFunctions: OwnImageFunctionConfig[]): ImageBuild[] {
  const images = new Map<string, { context: string; dockerfile: string; configPaths: string[] }>([
    ["app", { context: ".", dockerfile: "app/Dockerfile", configPaths: ["prebuiltImages"] }],
  ]);
  for (const fn of ownFunctions) {
    const repository = repositoryOf(fn.context, fn.dockerfile);
    if (repository.length > MAX_REPOSITORY_CHARACTERS)
      throw new Error(
        `${fn.name}'s image would go to a ${repository.length}-character repository (${repository.slice(0, 60)}...); ECR allows 256 with ECR_NAMESPACE, so at most ${MAX_REPOSITORY_CHARACTERS} here: use a shorter build context path or Dockerfile name`,
      );
    const image = images.get(repository) ?? { context: fn.context, dockerfile: fn.dockerfile, configPaths: [] };
    if (image.context !== fn.context || image.dockerfile !== fn.dockerfile)
      throw new Error(
        `${fn.name}'s image (${fn.dockerfile}) and ${image.dockerfile}'s would share the repository ${repository}: rename one`,
      );
    const path = `ownImageFunctions.${fn.name}.prebuiltImages`;
    if (!image.configPaths.includes(path)) image.configPaths.push(path);
    images.set(repository, image);
  }
  return [...images].flatMap(([repository, { context, dockerfile, configPaths }]) => {
    const pinned = pinnedPlatform(dockerfile);
    return ARCHITECTURES.filter((architecture) => !pinned || DOCKER_PLATFORMS[architecture] === pinned).map((architecture) => ({
      repository,
      context,
      dockerfile,
      architecture,
      platform: DOCKER_PLATFORMS[architecture],
      runner: RUNNERS[architecture],
      "config-paths": configPaths.join(" "),
    }));
  });
}

/** Every stack's functions with their own image. */
export const stacksOwnFunctions = (projectDir = join(__dirname, "..")): OwnImageFunctionConfig[] =>
  listStacks(projectDir).flatMap((stack) => stackConfigFrom(readStackConfig(stack, projectDir)).ownImageFunctions);

/** The command: the list as text, or with --json as CI's matrix. */
export async function main(argv: string[], write: (text: string) => void, projectDir?: string): Promise<number> {
  let json: boolean;
  try {
    json = Boolean(parseCommandLine("images", argv).values.json);
  } catch (error) {
    write(`images: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  let builds: ImageBuild[];
  try {
    builds = imageBuilds(stacksOwnFunctions(projectDir));
  } catch (error) {
    write(`images: ${(error as Error).message}\n`);
    return 1;
  }
  write(
    json
      ? `${JSON.stringify(builds)}\n`
      : table([
          ["repository", "architecture", "dockerfile", "config paths that take its digest"],
          ...builds.map((build) => [build.repository, build.architecture, build.dockerfile, build["config-paths"]]),
        ]),
  );
  return 0;
}

/** Rows as columns padded to their widest cell, the first row the header. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map(
      (row) =>
        `${row
          .map((cell, column) => cell.padEnd(widths[column]))
          .join("  ")
          .trimEnd()}\n`,
    )
    .join("");
}

if (require.main === module) runCommand("images", (argv, write) => main(argv, write));
