import { strict as assert } from "node:assert";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { presetStatements, type PresetTargets } from "../../../components/permission-presets";
import { lambdaEndpoint, localFunctionArn } from "../../../dev/lambda/lambda-endpoint";
import { INVOKE_LIMITS } from "../../../dev/lambda/local-lambda";
import { type LocalStatement } from "../../../dev/iam/local-iam";
import { claimedAccessKey } from "../../../dev/iam/sigv4";
import { LocalFunction } from "../../../dev/lambda/local-function";

const fixtures = join(__dirname, "..", "fixtures", "handlers.mjs");
const local = (exportName: string, maxEnvironments = 2, timeoutSeconds = 5) =>
  new LocalFunction({ name: exportName, bundle: fixtures, exportName, memoryMb: 256, timeoutSeconds }, maxEnvironments);
const targets = { functionArns: (name: string) => [localFunctionArn(name)] } as PresetTargets;
const callerPolicy = presetStatements(
  [{ preset: "invoke", functions: ["echo", "fail", "hang", "my-python"] }],
  targets,
) as LocalStatement[];

describe("the local Lambda Invoke API of npm run dev", function () {
  this.timeout(30_000);
  let server: Server;
  let endpoint: string;
  const functions = { echo: local("echo"), fail: local("fail"), hang: local("hang", 1, 2), other: local("echo") };
  const lambda = (accessKeyId = "ASIACALLERWITHINVOKE") =>
    new LambdaClient({ endpoint, region: "us-east-1", credentials: { accessKeyId, secretAccessKey: "x" }, maxAttempts: 1 });
  const invoke = (input: Partial<ConstructorParameters<typeof InvokeCommand>[0]>, client = lambda()) =>
    client.send(new InvokeCommand({ FunctionName: "echo", ...input }));
  const refused = (promise: Promise<unknown>) =>
    promise.then(
      () => assert.fail("expected Invoke to be refused"),
      (error: any) => ({ name: error.name as string, status: error.$metadata?.httpStatusCode as number, message: String(error.message) }),
    );
  const text = (payload?: Uint8Array) => Buffer.from(payload ?? []).toString("utf8");

  before(async () => {
    const api = lambdaEndpoint(
      () => ({ ...functions, "my-python": { runsOnAStackOnly: "its image is built FROM public.ecr.aws/lambda/python:3.13" } }),
      (key) => (key === "ASIACALLERWITHINVOKE" ? callerPolicy : []),
      () => undefined,
    );
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", async () => {
        const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
        const answer = await api(
          { method: request.method!, path: request.url!.split("?")[0], headers, body: Buffer.concat(chunks) },
          claimedAccessKey({ target: "/", headers: { authorization: headers.authorization } }),
        );
        response.writeHead(answer.statusCode, answer.headers).end(answer.body);
      });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", () => done()));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    server.close();
    Object.values(functions).forEach((fn) => fn.stop());
  });

  it("invokes by name or ARN and returns the result; a function error is a 200 with X-Amz-Function-Error, as Lambda answers", async () => {
    const ok = await invoke({ Payload: JSON.stringify({ n: 1 }) });
    assert.deepEqual([ok.StatusCode, ok.FunctionError, JSON.parse(text(ok.Payload)).event], [200, undefined, { n: 1 }]);
    const byArn = await invoke({ FunctionName: localFunctionArn("echo"), Payload: "[1,2]" });
    assert.deepEqual(JSON.parse(text(byArn.Payload)).event, [1, 2]);
    const failed = await invoke({ FunctionName: "fail", Payload: "{}" });
    assert.equal(failed.FunctionError, "Unhandled");
    const error = JSON.parse(text(failed.Payload));
    assert.deepEqual(Object.keys(error), ["errorType", "errorMessage", "stackTrace"]);
    const tailed = await invoke({ Payload: "{}", LogType: "Tail" });
    assert.match(Buffer.from(tailed.LogResult!, "base64").toString("utf8"), /REPORT RequestId: \S+\tDuration: [\d.]+ ms/);
    assert.equal(ok.LogResult, undefined, "no log without LogType Tail");
    assert.equal((await invoke({ InvocationType: "Event", Payload: "{}" })).StatusCode, 202);
    assert.equal((await invoke({ InvocationType: "DryRun" })).StatusCode, 204);
  });

  it("allows only what the caller's invoke preset names, and says which function is missing or runs on a stack only", async () => {
    const denied = await refused(invoke({ FunctionName: "other" }));
    assert.deepEqual([denied.name, denied.status], ["AccessDeniedException", 403]);
    assert.match(
      denied.message,
      /does not allow lambda:InvokeFunction on arn:aws:lambda:us-east-1:000000000000:function:other: add an invoke preset/,
    );
    assert.equal((await refused(invoke({}, lambda("ASIASOMEONEELSE00000")))).name, "AccessDeniedException");
    const missing = await refused(invoke({ FunctionName: "nothing-here" }));
    assert.deepEqual([missing.name, missing.status], ["ResourceNotFoundException", 404]);
    const python = await refused(invoke({ FunctionName: "my-python" }));
    assert.match(python.message, /my-python does not run locally: its image is built FROM public.ecr.aws\/lambda\/python/);
  });

  it("refuses hostile payloads and names with Lambda's errors: not JSON, not UTF-8, over 6 MB (1 MB for Event), odd names", async () => {
    for (const payload of ["{", "nul\u0000", Buffer.from([0xff, 0xfe, 0x7b, 0x7d])]) {
      const error = await refused(invoke({ Payload: payload }));
      assert.deepEqual([error.name, error.status], ["InvalidRequestContentException", 400], String(payload));
    }
    const huge = JSON.stringify("x".repeat(INVOKE_LIMITS.requestResponseBytes));
    assert.equal((await refused(invoke({ Payload: huge }))).name, "RequestTooLargeException");
    const event = JSON.stringify("x".repeat(INVOKE_LIMITS.eventBytes));
    assert.equal((await refused(invoke({ InvocationType: "Event", Payload: event }))).name, "RequestTooLargeException");
    // A result over 6 MB is the function's error, not the caller's.
    const large = await invoke({ Payload: JSON.stringify("y".repeat(INVOKE_LIMITS.requestResponseBytes - 12)) });
    assert.equal(large.FunctionError, "Unhandled");
    assert.equal(JSON.parse(text(large.Payload)).errorType, "Function.ResponseSizeTooLarge");
    for (const name of ["../echo", "echo:1", "a".repeat(65), "arn:aws:lambda:us-east-1:000000000000:function:echo:$LATEST"]) {
      const error = await refused(invoke({ FunctionName: name }));
      assert.equal(error.status < 500, true, name);
    }
    // What the SDK would not send: a lone surrogate's bytes, and not a POST.
    const loneSurrogate = await fetch(`${endpoint}/2015-03-31/functions/%ED%A0%80/invocations`, { method: "POST", body: "{}" });
    assert.equal(loneSurrogate.status, 400);
    assert.equal((await fetch(`${endpoint}/2015-03-31/functions/echo/invocations`)).status, 404);
  });

  it("throttles a call over the function's concurrency with a 429, and says so", async () => {
    const first = invoke({ FunctionName: "hang" }).catch(() => undefined);
    await new Promise((done) => setTimeout(done, 300));
    const throttled = await refused(invoke({ FunctionName: "hang" }));
    assert.deepEqual([throttled.name, throttled.status], ["TooManyRequestsException", 429]);
    const timedOut = await first;
    assert.equal(timedOut?.FunctionError, "Unhandled");
    assert.match(text(timedOut?.Payload), /Task timed out after 2.00 seconds/);
  });
});
