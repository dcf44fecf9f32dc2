import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { finalStage, inProject } from "../../components/function-settings";
import type { OwnImageFunctionConfig } from "../../config";

/** The AWS Lambda Node.js base images (https://gallery.ecr.aws/lambda/nodejs), whose runtime the local one is. */
const NODE_BASE_IMAGE = /^(public\.ecr\.aws\/lambda\/nodejs|amazon\/aws-lambda-nodejs)([:@]|$)/;

/** Where the Lambda Node.js runtime looks for a handler's module, in this order. */
const MODULE_EXTENSIONS = [".js", ".mjs", ".cjs"];

/**
 * How `npm run dev` and `invoke --local` run a function that brings its own image: as the Lambda
 * Node.js runtime would, from its handler's module in its build context (the image copies it to
 * LAMBDA_TASK_ROOT as it is, as the examples' Dockerfiles do). Any other image, one with its own
 * ENTRYPOINT, or a handler that a build step makes, runs on a stack only; the answer says why.
 */
export function localHandlerOf(fn: OwnImageFunctionConfig): { bundle: string; exportName: string } | { runsOnAStackOnly: string } {
  const dockerfile = readFileSync(inProject(fn.dockerfile), "utf8");
  const image = finalStage(dockerfile).image ?? "";
  if (!NODE_BASE_IMAGE.test(image))
    return { runsOnAStackOnly: `its image is built FROM ${image || "nothing"}, not the AWS Lambda Node.js base image` };
  if (fn.entryPoint) return { runsOnAStackOnly: "it sets its own entryPoint" };
  const cmd = [...dockerfile.matchAll(/^\s*CMD\s+(\[.*\])\s*$/gm)].at(-1)?.[1];
  let handler = fn.command?.[0];
  try {
    handler ??= cmd ? (JSON.parse(cmd) as string[])[0] : undefined;
  } catch {
    handler = undefined;
  }
  // The runtime's handler string: the module's path up to the first dot, then the export.
  const match = typeof handler === "string" ? /^([\w\-/]+)\.(\w+)$/.exec(handler) : null;
  if (!match) return { runsOnAStackOnly: `its handler (command, or the Dockerfile's CMD) is not "<file>.<export>": ${String(handler)}` };
  const [, module, exportName] = match;
  const bundle = MODULE_EXTENSIONS.map((extension) => join(inProject(fn.context), `${module}${extension}`)).find((file) =>
    existsSync(file),
  );
  if (!bundle)
    return { runsOnAStackOnly: `its handler's module ${module}.js, .mjs or .cjs is not in ${fn.context} (does a build step make it?)` };
  return { bundle, exportName };
}
