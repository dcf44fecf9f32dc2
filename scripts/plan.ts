// npm run plan -- --stack dev [--config-file FILE] [--json] [--diagram FILE] [--policy-config FILE]
// Evaluates index.ts with Pulumi.<stack>.yaml under Pulumi's mock engine (no credentials, no CLI, no
// network), prints the resource tree with the settings a reviewer checks, runs the policy pack over it,
// and exits 1 on a mandatory violation (2 on a usage or config error).
// The command line is checked (the stack, the files it names) before the engine and the policy pack load,
// so a mistake in it is answered at once.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { stackFileOf } from "../config/stack-files";
import { runCommand } from "./run-command";
import type { PlanNode } from "./stack-plan";
import { COMMANDS, parseCommandLine } from "./command-line";

const USAGE = COMMANDS["plan"].usage;

/** `items`, comma-separated, in indented lines of at most `width` characters; an item is never split. */
function wrapped(items: string[], width: number, indent: string): string {
  const lines: string[] = [];
  for (const item of items) {
    if (lines.length > 0 && `${indent}${lines[lines.length - 1]}, ${item}`.length <= width) lines[lines.length - 1] += `, ${item}`;
    else lines.push(item);
  }
  return lines.map((line, index) => `${indent}${line}${index < lines.length - 1 ? "," : ""}\n`).join("");
}

function printTree(nodes: PlanNode[], indent = ""): string[] {
  return nodes.flatMap((node, index) => {
    const last = index === nodes.length - 1;
    const settings = Object.entries(node.settings)
      .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
      .join(" ");
    return [
      `${indent}${last ? "└─" : "├─"} ${node.type} ${node.name}${settings ? `  ${settings}` : ""}`,
      ...printTree(node.children, `${indent}${last ? "   " : "│  "}`),
    ];
  });
}

/** `type name` of a resource from its URN (the type without its parents' types). */
const resourceLabel = (urn: string | undefined) => {
  if (!urn?.includes("::")) return "the stack";
  const [type, name] = urn.split("::").slice(-2);
  return `${type.split("$").pop()} ${name}`;
};

/** The command: returns the exit code. */
export async function main(argv: string[], write: (text: string) => void = (text) => process.stdout.write(text)): Promise<number> {
  let options;
  try {
    options = parseCommandLine("plan", argv).values;
    if (!options.stack) throw new Error("--stack is required, e.g. npm run plan -- --stack dev");
  } catch (error) {
    write(`plan: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  let policyFile: unknown;
  try {
    stackFileOf(options.stack, ".", options["config-file"]);
    if (options.diagram && !existsSync(dirname(resolve(options.diagram)))) {
      throw new Error(
        `--diagram ${options.diagram}: the folder ${dirname(resolve(options.diagram))} does not exist; create it or write the diagram elsewhere`,
      );
    }
    if (options["policy-config"]) policyFile = readPolicyConfigFile(options["policy-config"]);
  } catch (error) {
    write(`plan: ${(error as Error).message}\n`);
    return 2;
  }
  const [{ plan, mermaidDiagram, AFTER_DEPLOY }, { validatePolicyConfig }] = await Promise.all([
    import("./stack-plan"),
    import("../policy/run-offline"),
  ]);
  let result;
  try {
    result = await plan(options.stack, policyFile === undefined ? {} : validatePolicyConfig(policyFile), ".", options["config-file"]);
    if (options.diagram) writeFileSync(options.diagram, mermaidDiagram(result.resources));
  } catch (error) {
    write(`plan: ${(error as Error).message}\n`);
    return 2;
  }
  const { plan: stackPlan } = result;

  if (options.json) {
    write(`${JSON.stringify(stackPlan, null, 2)}\n`);
  } else {
    write(
      `Stack ${stackPlan.stack}: ${stackPlan.summary.resources} resources (evaluated offline; values shown as ${AFTER_DEPLOY} come from AWS)\n\n`,
    );
    write(`${printTree(stackPlan.resources).join("\n")}\n\n`);
    for (const violation of stackPlan.violations) {
      write(`[${violation.enforcementLevel}] ${violation.policy} on ${resourceLabel(violation.urn)}\n`);
      write(`    what: ${violation.message}\n    why:  ${violation.description}\n    fix:  ${violation.howToFix}\n`);
    }
    // What needs a value only AWS assigns, in one short block (--json lists every resource and reason).
    const deferred = [...new Set(stackPlan.skipped.map((skipped) => skipped.policy))].map(
      (policy) => `${policy} (${stackPlan.skipped.filter((entry) => entry.policy === policy).length})`,
    );
    if (deferred.length > 0)
      write(
        `[checked at deploy] ${deferred.length} checks need values only AWS assigns (ARNs, image digests, policies naming ARNs):\n` +
          wrapped(deferred, 108, "    ") +
          "    (resources per check; pulumi preview --policy-pack policy runs them; npm run plan -- --json lists each)\n",
      );
    write(`\nPolicies: ${stackPlan.summary.mandatory} mandatory, ${stackPlan.summary.advisory} advisory violation(s).\n`);
    if (options.diagram) write(`Diagram written to ${options.diagram}\n`);
  }
  return stackPlan.summary.mandatory > 0 ? 1 : 0;
}

/** The JSON of a --policy-config file, or an error that names the file. */
function readPolicyConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`--policy-config ${file} cannot be read: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`--policy-config ${file} is not JSON: ${(error as Error).message}`);
  }
}

if (require.main === module) runCommand("plan", main);
