// The project's stacks: one Pulumi.<stack>.yaml beside Pulumi.yaml each, read as the Pulumi CLI reads
// them. Tests, npm run plan, npm run dev and CI's matrices all take the list from here, so adding a stack is
// adding its file.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";

/** A Pulumi stack name: letters, digits, `-`, `_` and `.`, at most 100; with `qualified`, also `org/name` or `org/project/name`. */
const STACK_NAME = /^(?!\.)[A-Za-z0-9_.-]{1,100}$/;

/** Refuses a stack name Pulumi would refuse (and one like `../x` that would name a file elsewhere), saying why. */
export function checkStackName(name: string, options: { qualified?: boolean } = {}): string {
  const parts = name.split("/");
  if (parts.length > (options.qualified ? 3 : 1) || !parts.every((part) => STACK_NAME.test(part))) {
    throw new Error(
      `${JSON.stringify(name.slice(0, 120))} is not a stack name: letters, digits, -, _ and . (at most 100, not starting with .)${options.qualified ? ", optionally as org/name or org/project/name" : ""}`,
    );
  }
  return name;
}

/** The stacks of the project in `projectDir`, from its Pulumi.<stack>.yaml files, sorted. */
export function listStacks(projectDir = "."): string[] {
  return readdirSync(projectDir)
    .flatMap((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1] ?? [])
    .sort();
}

/** The policy configuration a stack is planned and previewed with: production stacks (`prod`, `prod-eu`, `eu-prod`) are held to policy/strict.json. */
export function policyConfigFor(stack: string): string | undefined {
  return /(^|[-_.])prod($|[-_.])/.test(stack) ? "policy/strict.json" : undefined;
}

/**
 * The stack's file, `Pulumi.<stack>.yaml` in `projectDir`; for a stack without one, an error that lists the
 * stacks there. A `configFile` (as `pulumi up --config-file` takes it) is read instead: a stack file kept
 * elsewhere, such as one a test or a benchmark generates, which then never joins the project's stacks.
 */
export function stackFileOf(stack: string, projectDir = ".", configFile?: string): string {
  checkStackName(stack);
  if (configFile !== undefined) {
    if (!existsSync(configFile)) throw new Error(`--config-file ${configFile}: there is no such file`);
    if (!statSync(configFile).isFile()) throw new Error(`--config-file ${configFile}: not a file (a stack file, Pulumi.<stack>.yaml)`);
    return configFile;
  }
  const file = join(projectDir, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) {
    throw new Error(
      `Unknown stack "${stack}": there is no Pulumi.${stack}.yaml. Stacks here: ${listStacks(projectDir).join(", ")}. ` +
        "A stack is a Pulumi.<stack>.yaml file beside Pulumi.yaml: copy one to add a stack.",
    );
  }
  return file;
}

/** Reads `Pulumi.<stack>.yaml` (or `configFile`) and returns its config the way the Pulumi CLI hands it to a program. */
export function readStackConfig(stack: string, projectDir = ".", configFile?: string): Record<string, string> {
  const file = stackFileOf(stack, projectDir, configFile);
  return stackConfigOfText(readFileSync(file, "utf8"), file);
}

/** A stack file's text (`file` names it in errors) as the config the Pulumi CLI hands a program: every value a string, structured ones JSON. */
export function stackConfigOfText(text: string, file: string): Record<string, string> {
  let document: any;
  try {
    // Pulumi reads stack files with YAML 1.1 merge keys (`<<: *defaults`); so does this.
    document = parseYaml(text, { merge: true });
  } catch (error) {
    throw new Error(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  const config = document?.config ?? {};
  if (typeof config !== "object" || Array.isArray(config)) throw new Error(`${file}: "config" must be a map of keys to values.`);
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]));
}
