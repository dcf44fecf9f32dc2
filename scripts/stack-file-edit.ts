// Sets a function's settings in a Pulumi.<stack>.yaml the way a person would: the values written in place
// or the missing keys added under their map, every other byte (comments, layout, quoting, flow lists) kept.
// A file it cannot edit that way (anchors, merge keys, flow maps on the path, a value that is not plain) is
// refused, untouched, with the reason; the edited text is read back and must say exactly what was meant.
import { isDeepStrictEqual } from "node:util";
import { isAlias, isMap, isScalar, parseDocument, type YAMLMap } from "yaml";

/** The stack file cannot be edited safely; nothing was changed. */
export class StackFileEditRefused extends Error {
  override readonly name = "StackFileEditRefused";
}

export interface SettingsEdit {
  /** The config key that holds the function's map, e.g. `graviton-platform:functions` or `graviton-platform:ownImageFunctions`. */
  group: string;
  /** The function's name: its key in that map. */
  name: string;
  /** The settings to set, e.g. { memory: 1769, architecture: "arm64" }. */
  settings: Record<string, string | number>;
}

/** A value as a plain YAML scalar; anything that would need quoting is not a setting this edit writes. */
function plain(value: string | number): string {
  const text = String(value);
  if (
    typeof value === "number"
      ? !Number.isFinite(value)
      : !/^[A-Za-z][A-Za-z0-9_.-]*$/.test(text) || /^(true|false|null|yes|no|on|off)$/i.test(text)
  )
    throw new StackFileEditRefused(`${JSON.stringify(value)} is not a value this edit writes (a number or a plain word)`);
  return text;
}

const column = (text: string, offset: number) => offset - (text.lastIndexOf("\n", offset - 1) + 1);

/** A block map this edit may add to or change: not an alias, not anchored (others would change too), no merge key, not a flow map. */
function editableMap(node: unknown, where: string): YAMLMap {
  if (isAlias(node)) throw new StackFileEditRefused(`${where} is an alias (*name) of another map: edit it by hand`);
  if (!isMap(node)) throw new StackFileEditRefused(`${where} is not a map of keys to values`);
  if (node.anchor)
    throw new StackFileEditRefused(`${where} carries an anchor (&${node.anchor}) that other keys may alias: edit it by hand`);
  if (node.flow) throw new StackFileEditRefused(`${where} is written as a flow map ({ ... }): edit it by hand, or write it as a block`);
  if (node.items.some((pair) => isScalar(pair.key) && pair.key.value === "<<"))
    throw new StackFileEditRefused(`${where} uses a merge key (<<): edit it by hand`);
  return node;
}

/** Lines that open `keys` as nested maps at `indent`, with `leaf` lines inside the innermost. */
function nestedLines(keys: string[], indent: number, unit: number, leaf: [string, string][]): string {
  const opening = keys.map((key, depth) => `${" ".repeat(indent + depth * unit)}${key}:\n`).join("");
  return opening + leaf.map(([key, value]) => `${" ".repeat(indent + keys.length * unit)}${key}: ${value}\n`).join("");
}

/**
 * The stack file's text with `edit` applied, and what changed (`key: old -> new`). Throws
 * StackFileEditRefused, naming why, when the file cannot be edited without touching anything else.
 */
export function editFunctionSettings(text: string, edit: SettingsEdit): { text: string; changes: string[] } {
  const document = parseDocument(text);
  if (document.errors.length > 0) throw new StackFileEditRefused(`it is not valid YAML: ${document.errors[0].message}`);
  const config = editableMap(document.get("config", true), "config");
  /** Text to put over [start, end) of the file: an insertion where they are equal. */
  const edits: { start: number; end: number; text: string }[] = [];
  const changes: string[] = [];
  const values = Object.entries(edit.settings).map(([key, value]): [string, string] => [key, plain(value)]);
  const itemIndent = (map: YAMLMap) => column(text, map.range![0]);
  const unit = Math.max(2, itemIndent(config));
  /** Adds `lines` after a block map's last entry. */
  const append = (map: YAMLMap, lines: string) => {
    const end = map.range![1];
    edits.push({ start: end, end, text: (text[end - 1] === "\n" ? "" : "\n") + lines });
  };

  const groupNode = config.get(edit.group, true);
  if (groupNode === undefined) {
    append(config, nestedLines([edit.group, edit.name], itemIndent(config), unit, values));
    changes.push(...values.map(([key, value]) => `${edit.name}.${key}: (unset) -> ${value}`));
  } else {
    const group = editableMap(groupNode, edit.group);
    const fnNode = group.get(edit.name, true);
    if (fnNode === undefined) {
      append(group, nestedLines([edit.name], itemIndent(group), unit, values));
      changes.push(...values.map(([key, value]) => `${edit.name}.${key}: (unset) -> ${value}`));
    } else {
      const fn = editableMap(fnNode, `${edit.group}.${edit.name}`);
      const missing: string[] = [];
      for (const [key, value] of values) {
        const current = fn.get(key, true);
        if (current === undefined) {
          missing.push(`${" ".repeat(itemIndent(fn))}${key}: ${value}\n`);
          changes.push(`${edit.name}.${key}: (unset) -> ${value}`);
        } else if (!isScalar(current) || current.type !== "PLAIN") {
          throw new StackFileEditRefused(`${edit.group}.${edit.name}.${key} is not a plain value: edit it by hand`);
        } else if (String(current.value) !== value) {
          edits.push({ start: current.range![0], end: current.range![1], text: value });
          changes.push(`${edit.name}.${key}: ${current.value} -> ${value}`);
        }
      }
      if (missing.length > 0) append(fn, missing.join(""));
    }
  }

  // Applied from the end, so the offsets of those before still hold.
  let edited = text;
  for (const { start, end, text: replacement } of edits.sort((a, b) => b.start - a.start))
    edited = edited.slice(0, start) + replacement + edited.slice(end);

  // Read back: the file must now hold exactly what it held, with these settings set.
  const expected = document.toJS() ?? {};
  const functions = ((expected.config[edit.group] ??= {})[edit.name] ??= {});
  for (const [key, value] of Object.entries(edit.settings)) functions[key] = value;
  if (!isDeepStrictEqual(parseDocument(edited).toJS(), expected))
    throw new StackFileEditRefused("the edit would change more than these settings (an unusual layout): edit it by hand");
  return { text: edited, changes };
}
