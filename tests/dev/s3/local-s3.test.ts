import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import { tmpdir } from "node:os";
import { Readable } from "node:stream";
import { join } from "node:path";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandOutput,
} from "@aws-sdk/client-s3";
import { presetStatements, type PermissionPreset, type PresetTargets } from "../../../components/permission-presets";
import { allows, wildcardMatch, type LocalStatement } from "../../../dev/iam/local-iam";
import { claimedAccessKey } from "../../../dev/iam/sigv4";
import { decodeAwsChunked, LocalS3, LOCAL_S3_LIMITS } from "../../../dev/s3/local-s3";

const targets: PresetTargets = {
  bucketArn: (bucket) => `arn:aws:s3:::${bucket}`,
  bucketName: (bucket) => bucket,
  functionName: (name) => name,
  functionArns: (name) => [`arn:aws:lambda:us-east-1:000000000000:function:${name}`],
  queueArn: () => "arn:aws:sqs:us-east-1:000000000000:jobs",
  queueUrl: () => "http://127.0.0.1/_local/sqs/000000000000/jobs",
};
/** Callers by access key, each with the statements its presets deploy as. */
const POLICIES: Record<string, PermissionPreset[]> = {
  ASIAREADWRITEALL00: [
    { preset: "s3-read", bucket: "data" },
    { preset: "s3-write", bucket: "data" },
  ],
  ASIAREADINPUTONLY0: [{ preset: "s3-read", bucket: "data", prefix: "input/" }],
  ASIAWRITEOUTPUT000: [{ preset: "s3-write", bucket: "data", prefix: "output/" }],
};
const policyOf = (key: string | undefined) => presetStatements(POLICIES[key ?? ""] ?? [], targets) as LocalStatement[];

describe("the local S3 of npm run dev (files, the S3 REST API, the caller's preset policy)", function () {
  this.timeout(20_000);
  let root: string;
  let server: Server;
  let endpoint: string;
  const client = (accessKeyId: string) =>
    new S3Client({ endpoint, region: "us-east-1", credentials: { accessKeyId, secretAccessKey: "x" }, maxAttempts: 1 });
  const writer = () => client("ASIAREADWRITEALL00");
  const failure = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => assert.fail("expected S3 to refuse"),
      (caught: any) => caught,
    );
    return { name: error.name as string, status: error.$metadata?.httpStatusCode as number, message: String(error.message) };
  };
  /** A request as a hostile or broken client sends it, path and all, bypassing the SDK's encoding. */
  const raw = (method: string, path: string, headers: Record<string, string> = {}, body = "") =>
    new Promise<{ status: number; body: string }>((done, fail) => {
      const request = httpRequest(
        `${endpoint}${path}`,
        { method, headers: { ...headers, "content-length": Buffer.byteLength(body) } },
        (response) => {
          let text = "";
          response.on("data", (chunk) => (text += chunk));
          response.on("end", () => done({ status: response.statusCode!, body: text }));
        },
      );
      request.on("error", fail);
      request.end(body);
    });

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "local-s3-"));
    const s3 = new LocalS3(root, ["data"], policyOf);
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const [path, query = ""] = request.url!.replace(/^\/s3/, "").split("?");
        const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
        const answer = s3.handle(
          { method: request.method!, path, query: new URLSearchParams(query), headers, body: Buffer.concat(chunks) },
          claimedAccessKey({ target: "/", headers: { authorization: headers.authorization } }),
        );
        response.writeHead(answer.statusCode, answer.headers).end(answer.body);
      });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", () => done()));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}/s3`;
  });
  after(() => {
    server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("puts, gets, heads and deletes objects through the AWS SDK, keeping each as a file a user can drop in", async () => {
    const s3 = writer();
    const key = "first/a b/ünïcode & <xml>.txt";
    const put = await s3.send(new PutObjectCommand({ Bucket: "data", Key: key, Body: "hello, world" }));
    assert.equal(put.ETag, '"e4d7f1b4ed2e42d15898f4b27b019da4"'); // md5("hello, world")
    assert.equal(readFileSync(join(root, "data", "first", "a b", "ünïcode & <xml>.txt"), "utf8"), "hello, world");
    const got = await s3.send(new GetObjectCommand({ Bucket: "data", Key: key }));
    assert.equal(await got.Body!.transformToString(), "hello, world");
    assert.equal(got.ContentLength, 12);
    mkdirSync(join(root, "data", "dropped"), { recursive: true });
    writeFileSync(join(root, "data", "dropped", "by-hand.txt"), "from the file system");
    assert.equal(
      await (await s3.send(new GetObjectCommand({ Bucket: "data", Key: "dropped/by-hand.txt" }))).Body!.transformToString(),
      "from the file system",
    );
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: "data", Key: key }))).ContentLength, 12);
    await assert.rejects(s3.send(new DeleteObjectCommand({ Bucket: "data", Key: key })), { name: "AccessDenied" }); // no preset grants delete
  });

  it("follows no symbolic link in a bucket's folder: reads, writes and listings stay inside .dev/s3", async () => {
    const s3 = writer();
    const outside = mkdtempSync(join(tmpdir(), "s3-outside-"));
    try {
      writeFileSync(join(outside, "secret.txt"), "not the bucket's");
      symlinkSync(outside, join(root, "data", "linked-folder"));
      symlinkSync(join(outside, "secret.txt"), join(root, "data", "linked-file.txt"));
      for (const key of ["linked-folder/secret.txt", "linked-file.txt"])
        assert.equal((await failure(s3.send(new GetObjectCommand({ Bucket: "data", Key: key })))).status, 404, key);
      for (const key of ["linked-folder/new.txt", "linked-file.txt"]) {
        const refused = await failure(s3.send(new PutObjectCommand({ Bucket: "data", Key: key, Body: "x" })));
        assert.equal(refused.name, "InvalidArgument", key);
        assert.match(refused.message, /symbolic link/);
      }
      assert.equal(readFileSync(join(outside, "secret.txt"), "utf8"), "not the bucket's", "nothing written through a link");
      assert.deepEqual(readdirSync(outside), ["secret.txt"]);
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "linked" }));
      assert.equal(listed.KeyCount, 0);
    } finally {
      rmSync(join(root, "data", "linked-folder"), { force: true });
      rmSync(join(root, "data", "linked-file.txt"), { force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it("lists in UTF-8 order, by pages with continuation tokens, and groups under a delimiter as S3 does", async () => {
    const s3 = writer();
    const keys = ["list/b.txt", "list/a-1.txt", "list/a/x.txt", "list/a/y.txt", "list/c/z.txt", "list/é.txt", "list/Z.txt"];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: "data", Key: key, Body: key }));
    const pages: ListObjectsV2CommandOutput[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; page++) {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "list/", MaxKeys: 3, ContinuationToken: token }));
      pages.push(listed);
      token = listed.NextContinuationToken;
      if (!listed.IsTruncated) break;
    }
    assert.deepEqual(
      pages.map((page) => page.Contents?.map((object) => object.Key)),
      [["list/Z.txt", "list/a-1.txt", "list/a/x.txt"], ["list/a/y.txt", "list/b.txt", "list/c/z.txt"], ["list/é.txt"]],
    );
    const grouped = await s3.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "list/", Delimiter: "/", MaxKeys: 2 }));
    assert.deepEqual(
      [grouped.Contents?.map((o) => o.Key), grouped.CommonPrefixes?.map((p) => p.Prefix), grouped.KeyCount, grouped.IsTruncated],
      [["list/Z.txt", "list/a-1.txt"], undefined, 2, true],
    );
    const rest = await s3.send(
      new ListObjectsV2Command({ Bucket: "data", Prefix: "list/", Delimiter: "/", ContinuationToken: grouped.NextContinuationToken }),
    );
    assert.deepEqual(
      [rest.Contents?.map((o) => o.Key), rest.CommonPrefixes?.map((p) => p.Prefix)],
      [
        ["list/b.txt", "list/é.txt"],
        ["list/a/", "list/c/"],
      ],
    );
    const more = await s3.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "list/", Delimiter: "/", MaxKeys: 3 }));
    const after = await s3.send(
      new ListObjectsV2Command({ Bucket: "data", Prefix: "list/", Delimiter: "/", ContinuationToken: more.NextContinuationToken }),
    );
    assert.deepEqual(
      more.CommonPrefixes?.map((p) => p.Prefix),
      ["list/a/"],
      "a common prefix counts once towards MaxKeys",
    );
    assert.deepEqual(
      after.CommonPrefixes?.map((p) => p.Prefix),
      ["list/c/"],
      "and is not listed again on the next page",
    );
    // A listing's ETag follows an object that changes, even to another of the same size.
    const etag = async () => (await s3.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "list/b" }))).Contents?.[0].ETag;
    const before = await etag();
    await s3.send(new PutObjectCommand({ Bucket: "data", Key: "list/b.txt", Body: "LIST/B.TXT" }));
    assert.notEqual(await etag(), before);
    assert.equal(await etag(), (await s3.send(new HeadObjectCommand({ Bucket: "data", Key: "list/b.txt" }))).ETag);
    const startAfter = await s3.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "list/", StartAfter: "list/b.txt" }));
    assert.deepEqual(
      startAfter.Contents?.map((o) => o.Key),
      ["list/c/z.txt", "list/é.txt"],
    );
  });

  it("checks every request against the caller's preset policy: prefixes, the s3:prefix condition, and 403 for a missing key it may not list", async () => {
    await writer().send(new PutObjectCommand({ Bucket: "data", Key: "input/one.txt", Body: "1" }));
    await writer().send(new PutObjectCommand({ Bucket: "data", Key: "secret/two.txt", Body: "2" }));
    const reader = client("ASIAREADINPUTONLY0");
    assert.equal(await (await reader.send(new GetObjectCommand({ Bucket: "data", Key: "input/one.txt" }))).Body!.transformToString(), "1");
    assert.equal((await failure(reader.send(new GetObjectCommand({ Bucket: "data", Key: "secret/two.txt" })))).status, 403);
    assert.deepEqual(
      (await reader.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "input/" }))).Contents?.map((o) => o.Key),
      ["input/one.txt"],
    );
    // The s3:prefix condition: listing the whole bucket, or another prefix, is refused.
    assert.equal((await failure(reader.send(new ListObjectsV2Command({ Bucket: "data" })))).status, 403);
    assert.equal((await failure(reader.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "secret/" })))).status, 403);
    // A missing key: 404 to a caller that may list the bucket, 403 to one that may not (its statement has a condition).
    assert.deepEqual(await failure(writer().send(new GetObjectCommand({ Bucket: "data", Key: "input/none.txt" }))), {
      name: "NoSuchKey",
      status: 404,
      message: "The specified key does not exist: input/none.txt",
    });
    assert.equal((await failure(reader.send(new GetObjectCommand({ Bucket: "data", Key: "input/none.txt" })))).status, 403);
    const output = client("ASIAWRITEOUTPUT000");
    await output.send(new PutObjectCommand({ Bucket: "data", Key: "output/r.json", Body: "{}" }));
    assert.equal((await failure(output.send(new PutObjectCommand({ Bucket: "data", Key: "input/r.json", Body: "{}" })))).status, 403);
    assert.equal((await failure(output.send(new GetObjectCommand({ Bucket: "data", Key: "output/r.json" })))).status, 403);
    // Unknown and unsigned callers have no policy at all.
    assert.equal(
      (await failure(client("ASIAUNKNOWNCALLER0").send(new GetObjectCommand({ Bucket: "data", Key: "input/one.txt" })))).status,
      403,
    );
    assert.equal((await raw("GET", "/data/input/one.txt")).status, 403);
    assert.equal((await failure(writer().send(new GetObjectCommand({ Bucket: "nope", Key: "x" })))).name, "NoSuchBucket");
  });

  it("refuses hostile keys and requests with S3's errors, and keys it cannot keep as files with the reason", async () => {
    const s3 = writer();
    const signed = { authorization: "AWS4-HMAC-SHA256 Credential=ASIAREADWRITEALL00/20261123/us-east-1/s3/aws4_request, Signature=x" };
    const tooLong = await failure(
      s3.send(new PutObjectCommand({ Bucket: "data", Key: "k".repeat(LOCAL_S3_LIMITS.maxKeyBytes + 1), Body: "x" })),
    );
    assert.deepEqual([tooLong.name, tooLong.status], ["KeyTooLongError", 400]);
    for (const key of ["a\u0000b", "a/../../../etc/passwd", "a//b", "./a", "dir/", "x".repeat(256)]) {
      const refused = await failure(s3.send(new PutObjectCommand({ Bucket: "data", Key: key, Body: "x" })));
      assert.deepEqual([refused.name, refused.status], ["InvalidArgument", 400], JSON.stringify(key));
      assert.match(refused.message, /keeps each object as a file/);
    }
    // A path that walks out of the bucket reaches nothing, and the object it names is refused, not read.
    assert.equal((await raw("GET", "/data/..%2F..%2F..%2Fetc%2Fpasswd", signed)).status, 404);
    // A lone surrogate, or bytes that are not UTF-8, in the path.
    for (const path of ["/data/%ED%A0%80", "/data/%FF%FE", "/data/%"]) {
      const answer = await raw("GET", path, signed);
      assert.equal(answer.status, 400, path);
      assert.match(answer.body, /<Code>InvalidURI<\/Code>/);
    }
    await s3.send(new PutObjectCommand({ Bucket: "data", Key: "clash", Body: "a file" }));
    const clash = await failure(s3.send(new PutObjectCommand({ Bucket: "data", Key: "clash/inside", Body: "x" })));
    assert.match(clash.message, /clashes with another key's file or folder/);
    for (const query of ["max-keys=-1", "max-keys=lots", "continuation-token=bm9wZQ", "continuation-token=%00"]) {
      const answer = await raw("GET", `/data?list-type=2&${query}`, signed);
      assert.equal(answer.status, 400, query);
    }
    assert.equal((await raw("GET", "/data?list-type=2&max-keys=999999999", signed)).body.match(/<MaxKeys>(\d+)</)?.[1], "1000");
    assert.equal((await raw("GET", "/data?acl", signed)).status, 501);
    assert.equal((await raw("GET", "/data", signed)).status, 501, "ListObjects v1");
    assert.equal((await raw("POST", "/data/x?uploads", signed)).status, 501, "multipart uploads");
    assert.equal((await raw("GET", "/data/clash", { ...signed, range: "bytes=0-1" })).status, 501);
    assert.equal((await raw("PATCH", "/data/clash", signed)).status, 405);
  });

  it("takes an object up to the local limit (100 MB), and refuses one byte more with S3's EntityTooLarge, also when streamed", () => {
    const s3 = new LocalS3(root, ["data"], policyOf);
    const put = (body: Buffer, headers: Record<string, string> = {}) =>
      s3.handle({ method: "PUT", path: "/data/big.bin", query: new URLSearchParams(), headers, body }, "ASIAREADWRITEALL00");
    assert.equal(put(Buffer.alloc(LOCAL_S3_LIMITS.maxObjectBytes)).statusCode, 200);
    const tooLarge = put(Buffer.alloc(LOCAL_S3_LIMITS.maxObjectBytes + 1));
    assert.deepEqual([tooLarge.statusCode, /<Code>EntityTooLarge<\/Code>/.test(String(tooLarge.body))], [400, true]);
    const size = (LOCAL_S3_LIMITS.maxObjectBytes + 1).toString(16);
    const chunked = Buffer.concat([
      Buffer.from(`${size}\r\n`),
      Buffer.alloc(LOCAL_S3_LIMITS.maxObjectBytes + 1),
      Buffer.from("\r\n0\r\n\r\n"),
    ]);
    assert.equal(put(chunked, { "content-encoding": "aws-chunked" }).statusCode, 400);
    assert.match(String(s3.entityTooLarge().body), /<Code>EntityTooLarge<\/Code>/, "what the server answers to a body it stops reading");
    rmSync(join(root, "data", "big.bin"));
  });

  it("decodes the aws-chunked bodies the SDK streams with a trailing checksum, and refuses broken ones", async () => {
    const body = Buffer.from("5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
    assert.equal(decodeAwsChunked(body).toString(), "hello world");
    assert.throws(() => decodeAwsChunked(Buffer.from("ff\r\nshort\r\n")), /chunk size/);
    assert.throws(() => decodeAwsChunked(Buffer.from("5\r\nhello\r\n")), /ends inside a chunk header/);
    assert.throws(() => decodeAwsChunked(Buffer.from("zz\r\n")), /chunk size/);
    const stream = Readable.from([Buffer.from("streamed "), Buffer.from("body")]);
    await writer().send(new PutObjectCommand({ Bucket: "data", Key: "streamed.txt", Body: stream, ContentLength: 13 }));
    assert.equal(readFileSync(join(root, "data", "streamed.txt"), "utf8"), "streamed body");
  });

  it("evaluates IAM wildcards and conditions as IAM does, and reads the caller from a SigV4 header only", () => {
    assert.ok(wildcardMatch("arn:aws:s3:::data/input/*", "arn:aws:s3:::data/input/a/b"));
    assert.ok(!wildcardMatch("arn:aws:s3:::data/input/*", "arn:aws:s3:::data/inputs"));
    assert.ok(wildcardMatch("s3:Get?bject", "s3:GetObject"));
    assert.ok(!wildcardMatch("a.c", "abc"), "a dot is literal");
    assert.ok(wildcardMatch("a*", "a\nb"), "a wildcard spans newlines");
    const statements: LocalStatement[] = [
      { Effect: "Allow", Action: ["s3:ListBucket"], Resource: "arn:aws:s3:::data", Condition: { StringLike: { "s3:prefix": ["in/*"] } } },
    ];
    assert.ok(allows(statements, "S3:LISTBUCKET", "arn:aws:s3:::data", { "s3:prefix": "in/x" }), "actions are case-insensitive");
    assert.ok(!allows(statements, "s3:ListBucket", "arn:aws:s3:::data"), "a condition on a key the request lacks fails");
    assert.ok(!allows(statements, "s3:ListBucket", "arn:aws:s3:::DATA", { "s3:prefix": "in/x" }), "resources are case-sensitive");
    const caller = (authorization: string | undefined) => claimedAccessKey({ target: "/", headers: { authorization } });
    assert.equal(
      caller("AWS4-HMAC-SHA256 Credential=ASIAREADWRITEALL00/20261123/us-east-1/s3/aws4_request, Signature=x"),
      "ASIAREADWRITEALL00",
    );
    for (const header of [undefined, "", "Bearer x", "AWS4-HMAC-SHA256 Credential=../x/, ", "AWS4-HMAC-SHA256 Credential=short/, "])
      assert.equal(caller(header), undefined, String(header));
  });
});
