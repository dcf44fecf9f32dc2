import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * Signature Version 4, checked as AWS checks it
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html): the
 * local S3, Lambda Invoke, SQS and `@connections` endpoints serve only a caller that signs with a key
 * the platform gave out, and the local database's door takes only an RDS IAM auth token (a presigned
 * `connect` request) signed with one. A request the SDK signs is verified byte for byte; nothing unsigned,
 * stale (over 15 minutes) or altered gets through.
 */

export interface SignedRequest {
  method: string;
  /** The request target as sent: the path (still URL-encoded) and the query. */
  target: string;
  headers: Record<string, string | undefined>;
  /** The body, for a payload whose hash is not in `x-amz-content-sha256`. */
  body?: Buffer;
}

/** The access key a request claims to be signed with (header or presigned query), before anything is verified. */
export function claimedAccessKey(request: Pick<SignedRequest, "target" | "headers">): string | undefined {
  const credential =
    /^AWS4-HMAC-SHA256 Credential=([^,]+),/.exec(request.headers.authorization ?? "")?.[1] ??
    new URLSearchParams(request.target.split("?")[1] ?? "").get("X-Amz-Credential") ??
    undefined;
  const accessKey = credential?.split("/")[0];
  return accessKey && /^[A-Z0-9]{16,128}$/.test(accessKey) ? accessKey : undefined; // an access key id's form
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
/** RFC 3986 escaping, as SigV4's canonical forms use it: everything but A-Z a-z 0-9 - _ . ~ */
const escape = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const decode = (text: string) => {
  try {
    return decodeURIComponent(text.replace(/\+/g, "%20"));
  } catch {
    return text;
  }
};

/** How far a request's time may be from now: AWS refuses a signature over 15 minutes off. */
const MAX_SKEW_MS = 15 * 60 * 1000;

/**
 * Why the request's signature is not valid with `secretOf(accessKey)`'s secret, or undefined when it is.
 */
export function signatureProblem(
  request: SignedRequest,
  secretOf: (accessKey: string) => string | undefined,
  now = Date.now(),
): string | undefined {
  // Split at the first "?" and each pair at its first "=": a value may hold more of either.
  const cut = (text: string, at: string): [string, string?] => {
    const index = text.indexOf(at);
    return index < 0 ? [text] : [text.slice(0, index), text.slice(index + 1)];
  };
  const [path, query = ""] = cut(request.target, "?");
  const params = query
    ? query.split("&").map((pair) => {
        const [key, value] = cut(pair, "=");
        return [decode(key), value === undefined ? undefined : decode(value)] as [string, string?];
      })
    : [];
  const presigned = params.some(([key]) => key === "X-Amz-Signature");
  const fields = presigned
    ? Object.fromEntries(params.map(([key, value]) => [key, value ?? ""]))
    : Object.fromEntries(
        [...(/^AWS4-HMAC-SHA256 (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "").matchAll(/(\w+)=([^,\s]+)/g)].map(
          ([, key, value]) => [`X-Amz-${key}`, value],
        ),
      );
  const [accessKey, date, region, service, terminator] = (fields["X-Amz-Credential"] ?? "").split("/");
  const signature = fields["X-Amz-Signature"];
  const signedHeaders = fields["X-Amz-SignedHeaders"];
  if (!accessKey || !signature || !signedHeaders || terminator !== "aws4_request") return "the request is not signed (SigV4)";
  const secret = secretOf(accessKey);
  if (secret === undefined) return `the access key ${accessKey} is not one the local platform gave out`;
  const amzDate = presigned ? fields["X-Amz-Date"] : request.headers["x-amz-date"];
  const time = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate ?? "");
  if (!time || !amzDate!.startsWith(date)) return "the request has no valid X-Amz-Date";
  const signedAt = Date.UTC(+time[1], +time[2] - 1, +time[3], +time[4], +time[5], +time[6]);
  const expires = presigned ? Number(fields["X-Amz-Expires"] ?? 0) * 1000 : MAX_SKEW_MS;
  if (now < signedAt - MAX_SKEW_MS || now > signedAt + expires)
    return presigned ? "the signature has expired" : "the request's time is over 15 minutes off";

  // S3 signs the path as sent; every other service signs it escaped once more (SigV4's double encoding).
  const canonicalPath = (service === "s3" ? path : path.split("/").map(escape).join("/")) || "/";
  const canonicalQuery = params
    .filter(([key]) => key !== "X-Amz-Signature")
    .map(([key, value]) => [escape(key), escape(value ?? "")])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
  const names = signedHeaders.split(";");
  const canonicalHeaders = names.map((name) => `${name}:${(request.headers[name] ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const payloadHash =
    request.headers["x-amz-content-sha256"] ??
    (presigned && service === "s3" ? "UNSIGNED-PAYLOAD" : sha256(request.body ?? Buffer.alloc(0)));
  const canonical = [request.method, canonicalPath, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  const key = [date, region, service, "aws4_request"].reduce<Buffer | string>((previous, part) => hmac(previous, part), `AWS4${secret}`);
  const expected = createHmac("sha256", key).update(toSign).digest();
  const given = Buffer.from(signature, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return "the signature does not match the request (SignatureDoesNotMatch)";
  return undefined;
}
