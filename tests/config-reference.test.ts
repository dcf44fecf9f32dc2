import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { configJsonSchema, configReference, REFERENCE_FILE, typeOf, withConfigReference } from "../scripts/config-reference";
import { parseStackConfig } from "../config";

/** The configuration reference (docs/configuration.md) and Pulumi.yaml are checked against the settings schemas, so neither can drift from what the stack validates. */
describe("configuration reference (one home for every setting)", () => {
  it(`${REFERENCE_FILE}'s configuration reference is exactly what the schemas generate (run \`npm run docs:config\` after changing one)`, () => {
    const document = readFileSync(REFERENCE_FILE, "utf8");
    assert.equal(document, withConfigReference(document));
  });

  it("lists every key the validator accepts, with the default it applies", () => {
    const reference = configReference();
    assert.doesNotMatch(reference, /\|  \|$/m, "every setting has a description");
    const defaults = parseStackConfig({});
    for (const [key, value] of [
      ["architecture", defaults.architecture],
      ["logRetentionDays", defaults.logRetentionDays],
      ["httpApiBurstLimit", defaults.apiThrottling.burstLimit],
      ["maxReceiveCount", defaults.jobs.maxReceiveCount],
      ["engineVersion", defaults.database.engineVersion],
      ["proxy.idleClientTimeoutSeconds", defaults.database.proxy.idleClientTimeoutSeconds],
      ["natGateways", defaults.network.natGateways],
    ] as const) {
      const row = reference.split("\n").find((line) => line.startsWith(`| \`${key}\` |`));
      assert.ok(row, `${key} has a row`);
      assert.ok(
        row.includes(`| \`${typeof value === "string" && Number.isNaN(Number(value)) ? value : JSON.stringify(value)}\` |`),
        `${key}: ${row}`,
      );
    }
  });

  it("Pulumi.yaml declares every scalar key with the schema's type, default and description", () => {
    const declared = parseYaml(readFileSync("Pulumi.yaml", "utf8")).config as Record<
      string,
      { type: string; default: unknown; description: string }
    >;
    const schema = configJsonSchema().properties!;
    const scalars = Object.entries(schema).filter(([, node]) => node.type !== "object");
    assert.deepEqual(Object.keys(declared).sort(), scalars.map(([key]) => key).sort());
    for (const [key, node] of scalars) {
      assert.equal(declared[key].default, node.default, `default of ${key}`);
      assert.equal(declared[key].description, node.description, `description of ${key}`);
      assert.equal(
        declared[key].type,
        node.type === "integer" || node.enum?.every((value) => typeof value === "number") ? "integer" : node.type,
        `type of ${key}`,
      );
    }
  });

  it("Pulumi.yaml names every structured key, which it cannot declare, where the reference is", () => {
    const comment = /Structured keys \(([^)]*)\)/.exec(readFileSync("Pulumi.yaml", "utf8").replace(/\n\s*#\s*/g, " "))?.[1];
    const structured = Object.entries(configJsonSchema().properties!).filter(([, node]) => node.type === "object");
    assert.deepEqual(
      comment?.split(/,\s*/),
      structured.map(([key]) => key),
    );
  });

  it("describes types as a person reads them", () => {
    assert.equal(typeOf({ type: "integer", minimum: 1, maximum: 1000 }), "integer 1-1000");
    assert.equal(typeOf({ type: "string", enum: ["none", "single"] }), "`none` \\| `single`");
    assert.equal(typeOf({ type: "number", exclusiveMinimum: 0 }), "number > 0");
  });
});
