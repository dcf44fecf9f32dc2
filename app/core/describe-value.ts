/**
 * A value as an error message shows it: JSON, at most 80 characters (a 100 KB input is not echoed back),
 * and never "null" for a number JSON cannot carry (1e309 parses as Infinity, which JSON prints as null).
 */
export function describeValue(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return `a number too large for JSON (${value})`;
  const text = value === undefined ? "nothing" : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 80)}... (${text.length} characters)` : text;
}
