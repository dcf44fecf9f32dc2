import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
// example:begin the HTTP demos: number-fact's stand-in numbers API
import { createServer, type Server } from "node:http";
// example:end
import { appFunctions } from "../../app/functions";
import { stackConfigFrom } from "../../config";
import { parseReport } from "../../app/tuning/report-line";
import { main } from "../../scripts/invoke";
import { sampleEventPath } from "../../components/function-settings";
import { buildBundles } from "../../dev/lambda/bundles";

describe("npm run invoke", function () {
  this.timeout(60_000);
  // The client the command is given, mocked by itself: no other test's LambdaClient is touched.
  const client = new LambdaClient({ region: "us-east-1" });
  const lambda = mockClient(client);
  let printed = "";
  const outputs = {
    lambdaFunctions: {
      "get-job": {
        name: "graviton-platform-dev-get-job-abc",
        liveAlias: "arn:aws:lambda:us-east-1:123456789012:function:graviton-platform-dev-get-job-abc:live",
        twin: { name: "get-job-x86_64-def", architecture: "x86_64" },
      },
      "my-function": { name: "graviton-platform-dev-my-function-abc" },
    },
  };
  // Functions with their own image, from the tests' own build context: one Node.js, one Python.
  const fixture = "tests/fixtures/own-image";
  const ownFunctions = stackConfigFrom({
    "graviton-platform:ownImageFunctions": JSON.stringify({
      "my-function": { context: fixture },
      "my-python": { context: fixture, dockerfile: `${fixture}/Dockerfile.python` },
    }),
  }).ownImageFunctions;
  const run = (...argv: string[]) =>
    main(argv, (text) => void (printed += text), {
      outputs: () => outputs,
      lambda: client,
      build: () => undefined,
      localEnvironments: () => undefined,
      ownFunctions: () => ownFunctions,
    });

  before(buildBundles);
  beforeEach(() => {
    printed = "";
    lambda.reset();
  });
  after(() => lambda.restore());

  it("has a sample event for every function, as JSON", () => {
    for (const name of Object.keys(appFunctions)) assert.ok(JSON.parse(readFileSync(sampleEventPath({ name }), "utf8")), name);
  });

  it("--local runs a bundle on its sample event and prints the response and a REPORT line", async () => {
    assert.equal(await run("power-tuning", "--local"), 0, printed);
    const response = JSON.parse(printed.slice(0, printed.indexOf("\n\n")));
    assert.equal(response.power, 512);
    const report = parseReport(printed)!;
    assert.equal(report.memorySizeMb, appFunctions["power-tuning"].memory);
    assert.ok(report.initDurationMs! > 0);
  });

  it("--local gives the function the telemetry settings the stack gives it: its EMF names its service and namespace", async () => {
    assert.equal(await run("power-tuning", "--local"), 0, printed);
    const record = printed
      .split("\n")
      .filter((line) => line.startsWith('{"_aws"'))
      .map((line) => JSON.parse(line))[0];
    assert.deepEqual([record.service, record._aws.CloudWatchMetrics[0].Namespace], ["power-tuning", "graviton-platform/local"]);
    assert.doesNotMatch(printed, /Namespace should be defined|service_undefined/);
  });

  it("--local runs a function with its own Node.js image from its build context, on its event.json", async () => {
    assert.equal(await run("my-function", "--local"), 0, printed);
    assert.deepEqual(JSON.parse(printed.slice(0, printed.indexOf("\n\n"))), { echoed: { hello: "fixture" } });
    assert.ok(parseReport(printed));
    printed = "";
    assert.equal(await run("my-python", "--local"), 2);
    assert.match(printed, /my-python runs on a stack only: its image is built FROM public.ecr.aws\/lambda\/python/);
  });

  // example:begin the HTTP demos
  it("--local runs primes' bundle on its sample event and prints the response and a REPORT line", async () => {
    assert.equal(await run("primes", "--local"), 0, printed);
    const response = JSON.parse(printed.slice(0, printed.indexOf("\n\n")));
    assert.equal(response.statusCode, 200);
    assert.equal(JSON.parse(response.body).count, 78498);
    const report = parseReport(printed)!;
    assert.equal(report.memorySizeMb, appFunctions.primes.memory);
    assert.ok(report.initDurationMs! > 0);
  });

  it("--local runs number-fact with --env against a local upstream", async () => {
    const upstream: Server = createServer((_request, response) =>
      response.writeHead(200, { "content-type": "text/plain" }).end("345 is the year of a date fact."),
    );
    await new Promise<void>((done) => upstream.listen(0, "127.0.0.1", () => done()));
    try {
      const url = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
      assert.equal(await run("number-fact", "--local", "--env", `NUMBERS_API_URL=${url}`), 0, printed);
      assert.match(printed, /"statusCode": 200/);
      assert.match(printed, /345 is the year of a date fact/);
    } finally {
      upstream.close();
    }
  });
  // example:end

  it("--local delivers the sample events of the database functions to their handlers (get-job answers 503 with no database)", async () => {
    const db = [
      "DB_HOST=127.0.0.1",
      "DB_PORT=1",
      "DB_NAME=app",
      "DB_USER=app_user",
      "DB_IDLE_TIMEOUT_MS=1000",
      "AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
      "AWS_SECRET_ACCESS_KEY=x",
    ];
    assert.equal(await run("get-job", "--local", ...db.flatMap((pair) => ["--env", pair])), 0, printed);
    assert.match(printed, /"statusCode": 503/);
  });

  it("--stack invokes the deployed function with LogType Tail and prints its log tail and REPORT", async () => {
    const tail =
      "START RequestId: r\nEND RequestId: r\nREPORT RequestId: r\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 1024 MB\tMax Memory Used: 70 MB\tInit Duration: 150.20 ms\t\n";
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: Buffer.from('{"statusCode":200}') as never, LogResult: Buffer.from(tail).toString("base64") });
    assert.equal(await run("get-job-x86_64", "--stack", "dev", "--payload", '{"queryStringParameters":{"max":"10"}}'), 0, printed);
    const call = lambda.commandCalls(InvokeCommand)[0].args[0].input;
    assert.deepEqual(
      [call.FunctionName, call.LogType, JSON.parse(Buffer.from(call.Payload as Uint8Array).toString())],
      ["get-job-x86_64-def", "Tail", { queryStringParameters: { max: "10" } }],
    );
    assert.match(printed, /Duration 12\.5 ms, billed 13 ms, 70 of 1024 MB, init 150\.2 ms \(cold\)/);
  });

  it("--stack invokes a serving function through its live alias, as its callers do, or through --qualifier; and says which version ran", async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: Buffer.from("{}") as never, ExecutedVersion: "8" });
    const qualifiers = () => lambda.commandCalls(InvokeCommand).map((call) => call.args[0].input.Qualifier);
    assert.equal(await run("get-job", "--stack", "dev"), 0, printed);
    assert.match(printed, /^graviton-platform-dev-get-job-abc:live ran version 8\n/);
    assert.equal(await run("get-job", "--stack", "dev", "--qualifier", "7"), 0);
    assert.equal(await run("get-job", "--stack", "dev", "--qualifier", "$LATEST"), 0);
    // A function that serves nothing (no alias), and a twin, run as they are: $LATEST.
    assert.equal(await run("my-function", "--stack", "dev"), 0);
    assert.deepEqual(qualifiers(), ["live", "7", "$LATEST", undefined]);
    for (const [argv, expected] of [
      [["get-job", "--local", "--qualifier", "live"], /--qualifier is for a stack \(--stack\): locally there is one version/],
      [["get-job", "--stack", "dev", "--qualifier", "live:7"], /--qualifier must be an alias or a version number/],
    ] as const) {
      printed = "";
      assert.equal(await run(...argv), 2, argv.join(" "));
      assert.match(printed, expected);
    }
  });

  it("--stack invokes a function with its own image (ownImageFunctions) with the event given, or its build context's event.json", async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: Buffer.from('{"statusCode":200}') as never });
    const payloads = () =>
      lambda.commandCalls(InvokeCommand).map((call) => JSON.parse(Buffer.from(call.args[0].input.Payload as Uint8Array).toString()));
    assert.equal(await run("my-function", "--stack", "dev", "--payload", '{"given": true}'), 0, printed);
    assert.equal(lambda.commandCalls(InvokeCommand)[0].args[0].input.FunctionName, "graviton-platform-dev-my-function-abc");
    assert.equal(await run("my-function", "--stack", "dev"), 0, printed);
    assert.deepEqual(payloads(), [{ given: true }, { hello: "fixture" }]);
    printed = "";
    assert.equal(await run("someone-elses", "--stack", "dev"), 2);
    assert.match(
      printed,
      /someone-elses has no sample event \(app\/events\/<function>.json, or event.json in its build context\): give --payload JSON or --event FILE/,
    );
  });

  it("refuses bad input by name", async () => {
    for (const [argv, expected] of [
      [["nope", "--local"], /there is no function "nope"/],
      [["toString", "--local"], /there is no function "toString"/],
      [["__proto__", "--stack", "dev"], /there is no function "__proto__"/],
      [["get-job"], /give --local or --stack NAME/],
      [["get-job", "--local", "--stack", "dev"], /give --local or --stack NAME/],
      [["get-job", "--local", "--payload", "{bad"], /the event is not JSON/],
      [["get-job", "--local", "--env", "1X=y"], /--env takes NAME=VALUE/],
      [["get-job", "--stack", "../x"], /is not a stack name/],
      [["get-job-x86_64", "--local"], /a twin exists on a stack only/],
    ] as const) {
      printed = "";
      assert.equal(await run(...argv), 2, argv.join(" "));
      assert.match(printed, expected);
    }
  });
});
