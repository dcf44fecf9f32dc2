/**
 * What a job may be, whichever API it came through. The bounds sit well inside every limit on the way:
 * an API Gateway WebSocket frame (128 KB), an SQS message (256 KiB; 1 MiB since 2025), and what
 * PostgreSQL's jsonb stores (no U+0000, no unpaired UTF-16 surrogate: both are refused as
 * "unsupported Unicode escape sequence"). See
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html and
 * https://www.postgresql.org/docs/current/datatype-json.html.
 */
export const JOB_LIMITS = {
  /** The whole message body, in UTF-8 bytes. */
  maxBodyBytes: 64 * 1024,
  /** Objects and arrays nested in one another, counting the body itself as level 1. */
  maxDepth: 32,
} as const;

const UNSTORABLE_CHARACTER = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored in PostgreSQL, if it cannot. */
export function unstorableText(text: string): string | undefined {
  const match = UNSTORABLE_CHARACTER.exec(text);
  if (!match) return undefined;
  return match[0] === "\u0000"
    ? "holds a NUL character (\\u0000), which PostgreSQL cannot store and this platform refuses"
    : `holds an unpaired UTF-16 surrogate (\\u${match[0].charCodeAt(0).toString(16)}), which is not valid Unicode`;
}

/** `text` with every character PostgreSQL cannot store replaced by U+FFFD, for recording what was refused. */
export function storableText(text: string): string {
  return text.replace(new RegExp(UNSTORABLE_CHARACTER.source, "g"), "\uFFFD");
}

const shortened = (path: string) => (path.length > 120 ? `${path.slice(0, 60)}...${path.slice(-40)}` : path);

/**
 * The first reason a parsed JSON value breaks the bounds (too deep, a string or key PostgreSQL cannot
 * store, a number JSON cannot carry such as 1e400, which parses to Infinity), with the path to it; or
 * undefined. Iterative, so no input can exhaust the stack.
 */
export function jsonBoundsProblem(root: unknown, maxDepth: number = JOB_LIMITS.maxDepth): string | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value: root, path: "body", depth: 1 }];
  while (pending.length > 0) {
    const { value, path, depth } = pending.pop()!;
    if (typeof value === "string") {
      const problem = unstorableText(value);
      if (problem) return `${shortened(path)} ${problem}`;
    } else if (typeof value === "number") {
      if (!Number.isFinite(value)) return `${shortened(path)} is a number too large for JSON (it parses as ${value})`;
    } else if (value !== null && typeof value === "object") {
      if (depth > maxDepth) return `${shortened(path)} nests deeper than ${maxDepth} levels of objects and arrays`;
      for (const [key, child] of Object.entries(value)) {
        const problem = unstorableText(key);
        if (problem) return `a key in ${shortened(path)} ${problem}`;
        const step = Array.isArray(value) ? `[${key}]` : `.${key.length > 40 ? `${key.slice(0, 40)}...` : key}`;
        pending.push({ value: child, path: `${path}${step}`, depth: depth + 1 });
      }
    }
  }
  return undefined;
}
