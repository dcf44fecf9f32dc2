import { serviceModel, type ServiceModel, type Shape } from "./service-models";

/**
 * Checks one API request against its operation's input shape in AWS's model: required members, types,
 * string lengths and patterns (matched whole, as AWS's services do), enums, number ranges, list and map
 * sizes. Request keys may be written as the model does (`FunctionName`) or as Pulumi does
 * (`functionName`, `audiences` for `Audience`): members are matched by name without case or `_`, and a
 * plural for a singular. What matches no member is reported as unmapped, so nothing goes unchecked silently.
 */

export interface RequestCheck {
  /** `service Operation path: what is wrong`, one per violation. */
  violations: string[];
  /** Paths of request values that match no member of the model. */
  unmapped: string[];
  /** How many values were checked against a constraint-bearing shape. */
  checked: number;
}

const normal = (name: string) => name.toLowerCase().replace(/[_-]/g, "");

function memberFor(shape: Shape, key: string): string | undefined {
  const members = Object.keys(shape.members ?? {});
  const wanted = normal(key);
  return (
    members.find((member) => member === key) ??
    members.find((member) => normal(member) === wanted) ??
    members.find((member) => normal(member) === wanted.replace(/s$/, "")) ??
    members.find((member) => normal(shape.members![member].locationName ?? "") === wanted)
  );
}

const compiled = new Map<string, RegExp | null>();

/** A model pattern as AWS applies it: to the whole value. Java syntax that JavaScript lacks compiles to null. */
function wholeMatch(pattern: string): RegExp | null {
  if (!compiled.has(pattern)) {
    let regex: RegExp | null = null;
    for (const flags of ["u", ""]) {
      try {
        regex = new RegExp(`^(?:${pattern})$`, flags);
        break;
      } catch {
        // try the next flags
      }
    }
    compiled.set(pattern, regex);
  }
  return compiled.get(pattern)!;
}

const described = (value: unknown) => {
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

export function validateRequest(service: string, operation: string, request: Record<string, unknown>): RequestCheck {
  const model: ServiceModel = serviceModel(service);
  const input = model.operations[operation]?.input?.shape;
  if (!input) throw new Error(`${service} has no operation ${operation} with an input in its model`);
  const result: RequestCheck = { violations: [], unmapped: [], checked: 0 };
  const violation = (path: string, message: string): void => void result.violations.push(`${service} ${operation} ${path}: ${message}`);

  const visit = (shapeName: string, value: unknown, path: string): void => {
    const shape = model.shapes[shapeName];
    if (value === undefined || value === null) return;
    switch (shape.type) {
      case "structure": {
        // Pulumi gives a one-element list for some nested blocks the API takes as one structure.
        const object = Array.isArray(value) && value.length === 1 ? value[0] : value;
        if (typeof object !== "object" || object === null || Array.isArray(object))
          return violation(path, `must be a structure (${shapeName}), got ${described(value)}`);
        const given = new Map<string, unknown>();
        for (const [key, inner] of Object.entries(object)) {
          const member = memberFor(shape, key);
          if (!member) result.unmapped.push(path ? `${path}.${key}` : key);
          else given.set(member, inner);
        }
        for (const required of shape.required ?? [])
          if (given.get(required) === undefined) violation(path || "(request)", `requires ${required}`);
        for (const [member, inner] of given) visit(shape.members![member].shape, inner, path ? `${path}.${member}` : member);
        return;
      }
      case "list": {
        // A map given where the model wants a list of Key/Value (or Name/Value) structures: tags, dimensions.
        const list = Array.isArray(value) ? value : keyValueList(model, shape, value);
        if (!list) return violation(path, `must be a list (${shapeName}), got ${described(value)}`);
        result.checked++;
        if (shape.min !== undefined && list.length < shape.min) violation(path, `has ${list.length} items; at least ${shape.min}`);
        if (shape.max !== undefined && list.length > shape.max) violation(path, `has ${list.length} items; at most ${shape.max}`);
        list.forEach((item, index) => visit(shape.member!.shape, item, `${path}[${index}]`));
        return;
      }
      case "map": {
        if (typeof value !== "object" || Array.isArray(value))
          return violation(path, `must be a map (${shapeName}), got ${described(value)}`);
        const entries = Object.entries(value as object);
        result.checked++;
        if (shape.min !== undefined && entries.length < shape.min) violation(path, `has ${entries.length} entries; at least ${shape.min}`);
        if (shape.max !== undefined && entries.length > shape.max) violation(path, `has ${entries.length} entries; at most ${shape.max}`);
        for (const [key, inner] of entries) {
          visit(shape.key!.shape, key, `${path} key ${described(key)}`);
          visit(shape.value!.shape, inner, `${path}.${key}`);
        }
        return;
      }
      case "string": {
        const text = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : undefined;
        if (text === undefined) return violation(path, `must be a string (${shapeName}), got ${described(value)}`);
        result.checked++;
        if (shape.min !== undefined && text.length < shape.min)
          violation(path, `is ${text.length} characters; at least ${shape.min} (${shapeName})`);
        if (shape.max !== undefined && text.length > shape.max)
          violation(path, `is ${text.length} characters; at most ${shape.max} (${shapeName})`);
        if (shape.enum && !shape.enum.includes(text))
          violation(path, `is ${described(text)}; one of ${shape.enum.join(", ")} (${shapeName})`);
        const pattern = shape.pattern && wholeMatch(shape.pattern);
        if (pattern && !pattern.test(text)) violation(path, `${described(text)} does not match ${shapeName}'s pattern ${shape.pattern}`);
        return;
      }
      case "integer":
      case "long":
      case "double":
      case "float": {
        const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
        if (typeof number !== "number" || Number.isNaN(number))
          return violation(path, `must be a number (${shapeName}), got ${described(value)}`);
        if ((shape.type === "integer" || shape.type === "long") && !Number.isInteger(number))
          violation(path, `must be a whole number, got ${number}`);
        result.checked++;
        if (shape.min !== undefined && number < shape.min) violation(path, `is ${number}; at least ${shape.min} (${shapeName})`);
        if (shape.max !== undefined && number > shape.max) violation(path, `is ${number}; at most ${shape.max} (${shapeName})`);
        return;
      }
      case "boolean":
        if (typeof value !== "boolean" && value !== "true" && value !== "false")
          violation(path, `must be true or false, got ${described(value)}`);
        return;
      case "blob":
      case "timestamp":
        return;
      default:
        throw new Error(`${service} shape ${shapeName} has a type this checker does not know: ${shape.type}`);
    }
  };
  visit(input, request, "");
  return result;
}

/** `{a: "1"}` as `[{Key: "a", Value: "1"}]` (or Name/Value), when the list's items are such pairs. */
function keyValueList(model: ServiceModel, shape: Shape, value: unknown): unknown[] | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const item = model.shapes[shape.member!.shape];
  const members = Object.keys(item.members ?? {});
  const keyMember = members.find((member) => member === "Key" || member === "Name");
  if (item.type !== "structure" || !keyMember || !members.includes("Value")) return undefined;
  return Object.entries(value).map(([key, inner]) => ({ [keyMember]: key, Value: inner }));
}
