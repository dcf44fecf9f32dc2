import { createHash, randomUUID } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from "node:fs";
import { dirname, join } from "node:path";
import { allows, type LocalStatement } from "../iam/local-iam";

/**
 * S3's limits the local buckets keep, and the one they add: an object is a file here, so a single PUT
 * takes up to 100 MB (S3 takes 5 GB, https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html).
 * Keys are at most 1,024 bytes of UTF-8 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html);
 * ListObjectsV2 returns at most 1,000 keys a page (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
 */
export const LOCAL_S3_LIMITS = { maxKeyBytes: 1024, maxObjectBytes: 100 * 1024 * 1024, maxKeys: 1000 } as const;

export interface S3Answer {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

class S3Error extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const xml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
const element = (name: string, value: string | number | boolean | undefined) =>
  value === undefined || value === "" ? "" : `<${name}>${xml(String(value))}</${name}>`;
const etagOf = (data: Buffer) => `"${createHash("md5").update(data).digest("hex")}"`;
const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The payload of an `aws-chunked` body (what the SDK streams with a trailing checksum): the chunks, without sizes, signatures or trailer. */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf("\r\n", at);
    if (lineEnd < 0) throw new S3Error(400, "IncompleteBody", "The aws-chunked body ends inside a chunk header");
    const size = Number.parseInt(body.subarray(at, lineEnd).toString("latin1").split(";")[0], 16);
    if (!Number.isSafeInteger(size) || size < 0 || lineEnd + 2 + size > body.length)
      throw new S3Error(400, "IncompleteBody", "The aws-chunked body has a chunk size it does not hold");
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/**
 * S3 buckets on this machine for `npm run dev`, at `<root>/<bucket>/<key>`: drop files there and the
 * functions read them. Path-style requests as the AWS SDK sends them to AWS_ENDPOINT_URL_S3:
 * GetObject, HeadObject, PutObject, DeleteObject and ListObjectsV2 (prefix, delimiter, pages). Every
 * request is checked against the calling function's own policy, the statements its presets deploy as;
 * a missing key is 404 only to a caller that may list the bucket, 403 otherwise, as in S3. Not kept:
 * signatures (the caller is named by its access key), metadata, ranges, versions, multipart uploads.
 */
export class LocalS3 {
  constructor(
    private readonly root: string,
    private readonly buckets: string[],
    private readonly policyOf: (accessKey: string | undefined) => LocalStatement[],
  ) {
    for (const bucket of buckets) mkdirSync(join(root, bucket), { recursive: true });
  }

  /** Objects' ETags by file, kept while the file's size and time are unchanged: a listing reads no object twice. */
  private readonly etags = new Map<string, { mtimeMs: number; size: number; etag: string }>();

  private etagOfFile(file: string, stats: Stats): string {
    const known = this.etags.get(file);
    if (known && known.mtimeMs === stats.mtimeMs && known.size === stats.size) return known.etag;
    const etag = etagOf(readFileSync(file));
    this.etags.set(file, { mtimeMs: stats.mtimeMs, size: stats.size, etag });
    return etag;
  }

  /** Where a bucket's objects are on disk. */
  directoryOf(bucket: string): string {
    return join(this.root, bucket);
  }

  /** The answer to a body over the local limit, which the server refuses before reading it all. */
  entityTooLarge(): S3Answer {
    return errorAnswer(
      new S3Error(400, "EntityTooLarge", `Your proposed upload exceeds the local maximum of ${LOCAL_S3_LIMITS.maxObjectBytes} bytes`),
      "PUT",
    );
  }

  /** One request: `path` is the request's path below the endpoint (`/<bucket>/<key>`), URL-encoded as sent. */
  handle(
    request: { method: string; path: string; query: URLSearchParams; headers: Record<string, string | undefined>; body: Buffer },
    accessKey: string | undefined,
  ): S3Answer {
    try {
      return this.route(request, accessKey);
    } catch (error) {
      const known =
        error instanceof S3Error ? error : new S3Error(500, "InternalError", `The local S3 failed: ${(error as Error).message}`);
      return errorAnswer(known, request.method);
    }
  }

  private route(
    request: { method: string; path: string; query: URLSearchParams; headers: Record<string, string | undefined>; body: Buffer },
    accessKey: string | undefined,
  ): S3Answer {
    const match = /^\/([^/?]+)(?:\/(.*))?$/s.exec(request.path);
    if (!match) throw new S3Error(400, "InvalidRequest", "Path-style requests only: /<bucket>/<key>");
    let bucket: string;
    let key: string;
    try {
      [bucket, key] = [decodeURIComponent(match[1]), decodeURIComponent(match[2] ?? "")];
    } catch {
      throw new S3Error(400, "InvalidURI", "Couldn't parse the specified URI: it is not percent-encoded UTF-8");
    }
    if (!this.buckets.includes(bucket))
      throw new S3Error(
        404,
        "NoSuchBucket",
        `The specified bucket does not exist: the local buckets are ${this.buckets.join(", ") || "none"}`,
      );
    const statements = this.policyOf(accessKey);
    const may = (action: string, resource: string, context?: Record<string, string>) => allows(statements, action, resource, context);
    const demand = (action: string, resource: string, context?: Record<string, string>) => {
      if (!may(action, resource, context))
        throw new S3Error(
          403,
          "AccessDenied",
          `${accessKey ? "The function's policy" : "An unsigned request"} does not allow ${action} on ${resource}`,
        );
    };
    const unsupported = [...request.query.keys()].find(
      (name) =>
        ![
          "x-id",
          "list-type",
          "prefix",
          "delimiter",
          "max-keys",
          "continuation-token",
          "start-after",
          "encoding-type",
          "fetch-owner",
        ].includes(name),
    );
    if (unsupported) throw new S3Error(501, "NotImplemented", `The local S3 does not serve ?${unsupported}`);
    const bucketArn = `arn:aws:s3:::${bucket}`;

    if (key === "") {
      if (request.method !== "GET") throw new S3Error(501, "NotImplemented", `The local S3 serves no ${request.method} on a bucket`);
      if (request.query.get("list-type") !== "2")
        throw new S3Error(501, "NotImplemented", "The local S3 lists with ListObjectsV2 (list-type=2) only");
      demand("s3:ListBucket", bucketArn, { "s3:prefix": request.query.get("prefix") ?? "" });
      return this.list(bucket, request.query);
    }

    const objectArn = `${bucketArn}/${key}`;
    switch (request.method) {
      case "GET":
      case "HEAD": {
        demand("s3:GetObject", objectArn);
        if (request.headers.range) throw new S3Error(501, "NotImplemented", "The local S3 does not serve ranges; GET the whole object");
        const file = this.fileOf(bucket, key, "read");
        const stats = file && statIfFile(file);
        if (!file || !stats) {
          if (may("s3:ListBucket", bucketArn)) throw new S3Error(404, "NoSuchKey", `The specified key does not exist: ${key}`);
          throw new S3Error(403, "AccessDenied", `No such key, and the function may not list ${bucket}, so S3 says Access Denied`);
        }
        const data = readFileSync(file);
        const headers = {
          "content-type": "application/octet-stream",
          "content-length": String(data.length),
          etag: etagOf(data),
          "last-modified": stats.mtime.toUTCString(),
        };
        return { statusCode: 200, headers, body: request.method === "HEAD" ? "" : data };
      }
      case "PUT": {
        demand("s3:PutObject", objectArn);
        if (request.headers["x-amz-copy-source"]) throw new S3Error(501, "NotImplemented", "The local S3 does not copy objects");
        const chunked =
          /aws-chunked/.test(request.headers["content-encoding"] ?? "") ||
          /^STREAMING-/.test(request.headers["x-amz-content-sha256"] ?? "");
        const data = chunked ? decodeAwsChunked(request.body) : request.body;
        if (data.length > LOCAL_S3_LIMITS.maxObjectBytes)
          throw new S3Error(
            400,
            "EntityTooLarge",
            `Your proposed upload exceeds the local maximum of ${LOCAL_S3_LIMITS.maxObjectBytes} bytes`,
          );
        const file = this.fileOf(bucket, key, "write")!;
        try {
          mkdirSync(dirname(file), { recursive: true });
          const partial = `${file}.${randomUUID()}.partial`;
          writeFileSync(partial, data);
          renameSync(partial, file);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "ENOTDIR" || code === "EEXIST" || code === "EISDIR")
            throw new S3Error(
              400,
              "InvalidArgument",
              `The local S3 keeps objects as files, and ${key} clashes with another key's file or folder (S3 itself allows both)`,
            );
          throw error;
        }
        return { statusCode: 200, headers: { etag: etagOf(data) }, body: "" };
      }
      case "DELETE": {
        demand("s3:DeleteObject", objectArn);
        const file = this.fileOf(bucket, key, "read");
        if (file && statIfFile(file)) rmSync(file);
        return { statusCode: 204, headers: {}, body: "" };
      }
      default:
        throw new S3Error(405, "MethodNotAllowed", `The specified method is not allowed against this resource: ${request.method}`);
    }
  }

  /**
   * The file of a key; for a read, undefined when no file can hold it (so no object has it), for a write
   * an error that says why the local S3 cannot hold what S3 would.
   */
  private fileOf(bucket: string, key: string, purpose: "read" | "write"): string | undefined {
    const refuse = (reason: string) => {
      if (purpose === "read") return undefined;
      throw new S3Error(
        400,
        "InvalidArgument",
        `The local S3 keeps each object as a file, and the key cannot be one: ${reason} (S3 itself accepts it)`,
      );
    };
    if (Buffer.byteLength(key) > LOCAL_S3_LIMITS.maxKeyBytes)
      throw new S3Error(400, "KeyTooLongError", `Your key is too long: at most ${LOCAL_S3_LIMITS.maxKeyBytes} bytes of UTF-8`);
    if (/[\u0000-\u001f\u007f]/.test(key)) return refuse("it holds control characters");
    const segments = key.split("/");
    if (segments.some((segment) => segment === "" || segment === "." || segment === ".."))
      return refuse('it has an empty, "." or ".." part between slashes');
    if (segments.some((segment) => Buffer.byteLength(segment) > 255 || segment.endsWith(".partial")))
      return refuse("a part between slashes is over 255 bytes, or ends in .partial");
    // A symbolic link in the bucket's folder (put there by hand, or by anything else on the machine) would
    // let a function read or write outside .dev/s3: no object is kept behind one.
    if (linkOnTheWay(this.root, [bucket, ...segments])) return refuse("a folder or file on its path is a symbolic link");
    return join(this.root, bucket, ...segments);
  }

  private list(bucket: string, query: URLSearchParams): S3Answer {
    const prefix = query.get("prefix") ?? "";
    const delimiter = query.get("delimiter") ?? "";
    const maxKeysText = query.get("max-keys") ?? String(LOCAL_S3_LIMITS.maxKeys);
    if (!/^\d{1,9}$/.test(maxKeysText)) throw new S3Error(400, "InvalidArgument", "max-keys must be a whole number of 0 or more");
    const maxKeys = Math.min(Number(maxKeysText), LOCAL_S3_LIMITS.maxKeys);
    // The continuation token: where the last page ended, a key or a common prefix (whose keys it covered).
    const token = query.get("continuation-token");
    let resume = { after: query.get("start-after") ?? "", group: false };
    if (token !== null) {
      try {
        resume = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
      } catch {
        resume = { after: "", group: false };
      }
      if (typeof resume?.after !== "string" || typeof resume.group !== "boolean" || !resume.after)
        throw new S3Error(400, "InvalidArgument", "The continuation token provided is incorrect");
    }
    const urlEncoded = query.get("encoding-type") === "url";
    const shown = (key: string) => (urlEncoded ? encodeURIComponent(key).replace(/%2F/g, "/") : key);

    // Keys in UTF-8 binary order, as S3 lists them; a group under the delimiter counts once, as one common prefix.
    const entries: ({ key: string; file: string } | { commonPrefix: string })[] = [];
    const seenPrefixes = new Set<string>();
    for (const { key, file } of walk(this.directoryOf(bucket)).sort((a, b) => byUtf8(a.key, b.key))) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      const commonPrefix = cut >= 0 ? prefix + rest.slice(0, cut + delimiter.length) : undefined;
      if (byUtf8(key, resume.after) <= 0 || (resume.group && key.startsWith(resume.after))) continue;
      if (commonPrefix) {
        if (!seenPrefixes.has(commonPrefix)) entries.push({ commonPrefix });
        seenPrefixes.add(commonPrefix);
      } else entries.push({ key, file });
    }
    const page = entries.slice(0, maxKeys);
    const truncated = entries.length > page.length;
    const last = page.at(-1);
    const contents = page
      .flatMap((entry) => ("key" in entry ? [entry] : []))
      .map(({ key, file }) => {
        const stats = statSync(file);
        return `<Contents>${element("Key", shown(key))}${element("LastModified", stats.mtime.toISOString())}${element("ETag", this.etagOfFile(file, stats))}${element("Size", stats.size)}<StorageClass>STANDARD</StorageClass></Contents>`;
      });
    const commonPrefixes = page.flatMap((entry) =>
      "commonPrefix" in entry ? [`<CommonPrefixes>${element("Prefix", shown(entry.commonPrefix))}</CommonPrefixes>`] : [],
    );
    const next =
      truncated && last
        ? Buffer.from(
            JSON.stringify("key" in last ? { after: last.key, group: false } : { after: last.commonPrefix, group: true }),
          ).toString("base64url")
        : undefined;
    return {
      statusCode: 200,
      headers: { "content-type": "application/xml" },
      body:
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `${element("Name", bucket)}<Prefix>${xml(shown(prefix))}</Prefix>${element("Delimiter", shown(delimiter))}` +
        `${element("MaxKeys", maxKeys)}${element("KeyCount", page.length)}${element("IsTruncated", truncated)}` +
        `${element("EncodingType", urlEncoded ? "url" : undefined)}${element("ContinuationToken", token ?? undefined)}` +
        `${element("NextContinuationToken", next)}${element("StartAfter", query.get("start-after") ?? undefined)}` +
        `${contents.join("")}${commonPrefixes.join("")}</ListBucketResult>`,
    };
  }
}

/** S3's error document (none for HEAD), with a request id as S3 gives one. */
function errorAnswer({ statusCode, code, message }: S3Error, method: string): S3Answer {
  const requestId = randomUUID();
  return {
    statusCode,
    headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
    body:
      method === "HEAD"
        ? ""
        : `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${element("Code", code)}${element("Message", message)}${element("RequestId", requestId)}</Error>`,
  };
}

/** Whether any existing part of `root/parts...` is a symbolic link. */
function linkOnTheWay(root: string, parts: string[]): boolean {
  let path = root;
  for (const part of parts) {
    path = join(path, part);
    try {
      if (lstatSync(path).isSymbolicLink()) return true;
    } catch {
      return false; // nothing further down exists yet
    }
  }
  return false;
}

function statIfFile(file: string): Stats | undefined {
  try {
    const stats = statSync(file);
    return stats.isFile() ? stats : undefined;
  } catch {
    return undefined;
  }
}

/** Every file under `directory` as a key (its path with /), leaving out uploads still being written. */
function walk(directory: string, prefix = ""): { key: string; file: string }[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const file = join(directory, entry.name);
    if (entry.isDirectory()) return walk(file, `${prefix}${entry.name}/`);
    return entry.isFile() && !entry.name.endsWith(".partial") ? [{ key: `${prefix}${entry.name}`, file }] : [];
  });
}
