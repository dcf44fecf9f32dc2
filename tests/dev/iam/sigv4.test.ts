import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { strict as assert } from "node:assert";
import { createServer, type Server } from "node:http";
import { Readable } from "node:stream";
import { AwsClient, AwsV4Signer } from "aws4fetch";
import { iamAuthToken } from "../../../app/data/iam-auth-token";
import { claimedAccessKey, signatureProblem } from "../../../dev/iam/sigv4";

/** What the local endpoints check: SigV4 as the AWS SDK signs it, for every service the platform stands in for. */
describe("SigV4 verification of the local endpoints (dev/iam/sigv4.ts)", function () {
  this.timeout(20_000);
  const secrets = new Map([["ASIAFUNCTIONKEY0001", "a-secret-only-this-function-holds"]]);
  const credentials = { accessKeyId: "ASIAFUNCTIONKEY0001", secretAccessKey: "a-secret-only-this-function-holds" };
  let server: Server;
  let endpoint: string;
  const seen: { problem?: string; claimed?: string }[] = [];
  before(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request
        .on("data", (chunk) => chunks.push(chunk))
        .on("end", () => {
          const headers = Object.fromEntries(
            Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(",") : value]),
          );
          const signed = { method: request.method!, target: request.url!, headers, body: Buffer.concat(chunks) };
          seen.push({ problem: signatureProblem(signed, (key) => secrets.get(key)), claimed: claimedAccessKey(signed) });
          response.writeHead(200, { "content-type": "application/json" }).end("{}");
        });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => server.close());
  const lastCheck = () => seen[seen.length - 1];

  it("accepts what the SDK signs for S3 (odd keys, streamed bodies), SQS, Lambda Invoke and @connections", async () => {
    const s3 = new S3Client({ endpoint: `${endpoint}/_local/s3`, forcePathStyle: true, region: "us-east-1", credentials, maxAttempts: 1 });
    for (const Key of ["plain.txt", "a b/ünïcode & (x)*!'~.txt", "%41/+="]) {
      await s3.send(new PutObjectCommand({ Bucket: "data", Key, Body: "hello" })).catch(() => undefined);
      assert.deepEqual(lastCheck(), { problem: undefined, claimed: credentials.accessKeyId }, Key);
      await s3.send(new GetObjectCommand({ Bucket: "data", Key })).catch(() => undefined);
      assert.equal(lastCheck().problem, undefined, Key);
    }
    // A streamed body of unknown length: the SDK sends it aws-chunked, its seed signature over the headers.
    await s3
      .send(new PutObjectCommand({ Bucket: "data", Key: "streamed.txt", Body: Readable.from([Buffer.from("hel"), Buffer.from("lo")]) }))
      .catch(() => undefined);
    assert.equal(lastCheck().problem, undefined, "streamed");
    await new SQSClient({ endpoint: `${endpoint}/_local/sqs`, region: "us-east-1", credentials, maxAttempts: 1 })
      .send(new SendMessageCommand({ QueueUrl: `${endpoint}/_local/sqs/000000000000/jobs`, MessageBody: "ü & x" }))
      .catch(() => undefined);
    assert.equal(lastCheck().problem, undefined, "SQS");
    const lambda = new LambdaClient({ endpoint: `${endpoint}/_local/lambda`, region: "us-east-1", credentials, maxAttempts: 1 });
    for (const FunctionName of ["worker", "arn:aws:lambda:us-east-1:000000000000:function:worker"]) {
      await lambda.send(new InvokeCommand({ FunctionName, Payload: Buffer.from('{"a":1}') })).catch(() => undefined);
      assert.equal(lastCheck().problem, undefined, FunctionName);
    }
    // The worker posts to @connections as aws4fetch signs it (service execute-api).
    await new AwsClient({ ...credentials, service: "execute-api", region: "us-east-1" }).fetch(`${endpoint}/live/@connections/abc%3D`, {
      method: "POST",
      body: '{"done":true}',
    });
    assert.equal(lastCheck().problem, undefined, "@connections");
    // A query value holding "=" sent unescaped (a looser client than the SDK) is the same request: it is not cut at its "=".
    const signer = new AwsV4Signer({
      ...credentials,
      service: "execute-api",
      region: "us-east-1",
      url: `${endpoint}/live/x?token=a%3Db%3D`,
    });
    const { headers } = await signer.sign();
    const target = "/live/x?token=a=b=";
    const asSent = { ...Object.fromEntries(headers), host: new URL(endpoint).host };
    assert.equal(
      signatureProblem({ method: "GET", target, headers: asSent }, (key) => secrets.get(key)),
      undefined,
    );
    assert.match(
      signatureProblem({ method: "GET", target: "/live/x?token=a=b", headers: asSent }, (key) => secrets.get(key)) ?? "",
      /SignatureDoesNotMatch/,
    );
  });

  it("accepts an RDS IAM auth token (a presigned connect) made by the app's signer, and refuses it altered or expired", () => {
    const now = new Date();
    const token = async (at = now) =>
      iamAuthToken({ host: "127.0.0.1", port: 5432, user: "app_user", region: "us-east-1", credentials, at });
    return (async () => {
      const check = (value: string, at = now.getTime()) =>
        signatureProblem(
          { method: "GET", target: value.slice(value.indexOf("/")), headers: { host: value.slice(0, value.indexOf("/")) } },
          (key) => secrets.get(key),
          at,
        );
      const good = await token();
      assert.equal(check(good), undefined);
      assert.match(check(good.replace("DBUser=app_user", "DBUser=postgres")) ?? "", /SignatureDoesNotMatch/);
      assert.match(check(good, now.getTime() + 16 * 60 * 1000) ?? "", /expired/);
      assert.match(check(good.replace(credentials.accessKeyId, "ASIAOTHERKEY0000001")) ?? "", /not one the local platform gave out/);
    })();
  });

  it("refuses an unsigned request, another secret, a changed body and a stale date", () => {
    const signed = (headers: Record<string, string>, body = "{}") =>
      signatureProblem({ method: "POST", target: "/_local/sqs", headers, body: Buffer.from(body) }, (key) => secrets.get(key));
    assert.match(signed({ host: "x" }) ?? "", /not signed/);
    const date = new Date().toISOString().replace(/[:-]|\.\d{3}/g, "");
    const forged = `AWS4-HMAC-SHA256 Credential=ASIAFUNCTIONKEY0001/${date.slice(0, 8)}/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`;
    assert.match(signed({ host: "x", "x-amz-date": date, authorization: forged }) ?? "", /SignatureDoesNotMatch/);
    const stale = "20200101T000000Z";
    assert.match(
      signed({ host: "x", "x-amz-date": stale, authorization: forged.replace(date.slice(0, 8), "20200101") }) ?? "",
      /over 15 minutes off/,
    );
  });
});
