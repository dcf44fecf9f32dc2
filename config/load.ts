import { PROJECT } from "./project";
import { ConfigError } from "./errors";
import { parseStackConfig, type StackConfig } from "./model";

/**
 * Pulumi hands every config value to the program as a string: structured values as JSON, and top-level
 * scalars set with `pulumi config set` as plain text ("30", "true"). Parse what is JSON; keep the rest.
 */
function parseConfigValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Config namespaces this program reads or its providers do; a key in any other is a mistake. */
export const KNOWN_NAMESPACES = [PROJECT, "aws", "docker", "random", "pulumi"];

/** This project's keys that have a new name: the old one is refused, naming the new. */
export const RENAMED_KEYS: Record<string, string> = { containerFunctions: "ownImageFunctions" };

/**
 * Keys outside the known namespaces (a misspelt project name, or no namespace at all), each with the
 * key it most likely meant, and keys this project renamed, with their new name. Pulumi passes them
 * through silently; they would be ignored.
 */
export function strayConfigKeys(keys: string[]): string[] {
  return keys.flatMap((key) => {
    const colon = key.indexOf(":");
    if (colon < 0) return [`${key} has no namespace: write ${PROJECT}:${key}`];
    const namespace = key.slice(0, colon);
    const name = key.slice(colon + 1);
    if (namespace === PROJECT && Object.hasOwn(RENAMED_KEYS, name))
      return [`${key} is now ${PROJECT}:${RENAMED_KEYS[name]} (the same settings): rename it in Pulumi.<stack>.yaml`];
    if (KNOWN_NAMESPACES.includes(namespace)) return [];
    return [
      `${key} is in the unknown namespace "${namespace}": this project's keys are ${PROJECT}:<key> (did you mean ${PROJECT}:${key.slice(colon + 1)}?)`,
    ];
  });
}

/** A stack's whole config (every namespace, values as the Pulumi CLI hands them over: strings), validated. */
export function stackConfigFrom(all: Record<string, string>): StackConfig {
  const stray = strayConfigKeys(Object.keys(all));
  if (stray.length > 0) {
    throw new ConfigError(
      `Invalid stack configuration (fix it in Pulumi.<stack>.yaml):\n${stray.map((problem) => `  - ${problem}`).join("\n")}`,
    );
  }
  const prefix = `${PROJECT}:`;
  const values = Object.fromEntries(
    Object.entries(all)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), parseConfigValue(value)]),
  );
  return { ...parseStackConfig(values), region: all["aws:region"] };
}
