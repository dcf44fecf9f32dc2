import * as pulumi from "@pulumi/pulumi";
import { ContainerFunction } from "./container-function";
import { ContainerImage, type ContainerImageArgs } from "./container-image";
import { presetEnvironment, presetStatements, type PresetTargets } from "./permission-presets";
import { architecturesOf } from "./settings-schema";
import type { OwnImageFunctionConfig } from "./function-settings";

export interface OwnImageStack {
  /** The stack's repository settings (kept images, force delete); the function's prebuilt images win. */
  ecr: Pick<ContainerImageArgs, "keepImages" | "forceDelete">;
  /** What the stack sets on every function (its telemetry settings), by function name. */
  environment: (name: string) => Record<string, pulumi.Input<string>>;
  /** Where the resources its presets name are. */
  presetTargets: PresetTargets;
  logRetentionDays: number;
}

/**
 * A function that brings its own image, in any runtime: its own repository and a build per architecture
 * it runs on (or CI's images by digest), the stack's settings and its presets' variables in its
 * environment, and its presets as an inline policy `<name>-presets` of its role.
 */
export function ownImageFunction(
  fn: OwnImageFunctionConfig,
  stack: OwnImageStack,
  opts?: pulumi.ComponentResourceOptions,
): { image: ContainerImage; function: ContainerFunction } {
  const { context, dockerfile, prebuilt } = fn;
  const image = new ContainerImage(fn.name, { context, dockerfile, architectures: architecturesOf(fn), ...stack.ecr, prebuilt }, opts);
  const environment = { ...fn.environment, ...stack.environment(fn.name), ...presetEnvironment(fn.permissions, stack.presetTargets) };
  const description = `${fn.name}: its own image (${dockerfile})`;
  const created = new ContainerFunction(
    fn.name,
    { ...fn, image, environment, logRetentionDays: stack.logRetentionDays, description },
    opts,
  );
  if (fn.permissions.length > 0) created.allow(`${fn.name}-presets`, presetStatements(fn.permissions, stack.presetTargets));
  return { image, function: created };
}
