import * as pulumi from "@pulumi/pulumi";
import { strict as assert } from "node:assert";
import {
  permissionPreset,
  presetEnvironment,
  presetsPolicyCharacters,
  presetStatements,
  PRESETS_POLICY_MAX_CHARACTERS,
  type PermissionPreset,
} from "../../components/permission-presets";
import { parseStackConfig } from "../../config";
import { evaluateStack } from "../mock-engine";
import { readStackConfig } from "../../config";
import { Registered } from "../registered";

/** A build context of the tests' own, which outlives the examples. */
const OWN_IMAGE = "tests/fixtures/own-image";

const targets = {
  bucketArn: (name: string) => `arn:aws:s3:::${name}-abc`,
  bucketName: (name: string) => `${name}-abc`,
  functionName: (name: string) => `graviton-platform-dev-${name}`,
  functionArns: (name: string) => [
    `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    `arn:aws:lambda:us-east-1:123456789012:function:${name}-x86_64`,
  ],
  queueArn: (queue: string) => `arn:aws:sqs:us-east-1:123456789012:${queue}`,
  queueUrl: (queue: string) => `https://sqs.us-east-1.amazonaws.com/123456789012/${queue}`,
};
/** The statements with their Outputs resolved (outside a deployment, Outputs of plain values resolve at once). */
const resolved = (statements: pulumi.Input<object>[]) =>
  (pulumi.output(statements) as unknown as { promise(): Promise<object[]> }).promise();
const parse = (presets: unknown[]) => presets.map((preset) => permissionPreset.parse(preset)) as PermissionPreset[];

describe("permission presets: least privilege, scoped to the resources they name", () => {
  it("turns each preset into IAM statements on exactly its resources, never *", async () => {
    const statements = await resolved(
      presetStatements(
        parse([
          { preset: "s3-read", bucket: "data", prefix: "input/" },
          { preset: "s3-write", bucket: "data", prefix: "intermediate/" },
          { preset: "s3-read", bucket: "shared-corp-data" },
          { preset: "invoke", functions: ["mapper"] },
          { preset: "sqs-send", queue: "jobs" },
          { preset: "secret-read", secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbCdEf" },
        ]),
        targets,
      ),
    );
    assert.deepEqual(statements, [
      { Sid: "S3ReadData1", Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::data-abc/input/*" },
      {
        Sid: "S3ListData1",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: "arn:aws:s3:::data-abc",
        Condition: { StringLike: { "s3:prefix": ["input/*"] } },
      },
      {
        Sid: "S3WriteData2",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
        Resource: "arn:aws:s3:::data-abc/intermediate/*",
      },
      { Sid: "S3ReadSharedCorpData3", Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::shared-corp-data-abc/*" },
      { Sid: "S3ListSharedCorpData3", Effect: "Allow", Action: ["s3:ListBucket"], Resource: "arn:aws:s3:::shared-corp-data-abc" },
      { Sid: "Invoke4", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: targets.functionArns("mapper") },
      { Sid: "SendJobs5", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: "arn:aws:sqs:us-east-1:123456789012:jobs" },
      {
        Sid: "ReadSecret6",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbCdEf",
      },
    ]);
  });

  it("tells the code where its resources are: BUCKET_<NAME>, FUNCTION_<NAME> and QUEUE_<NAME>", () => {
    const presets = parse([
      { preset: "s3-read", bucket: "map-data" },
      { preset: "invoke", functions: ["mapper", "my-reducer"] },
      { preset: "sqs-send", queue: "jobs-dlq" },
      { preset: "secret-read", secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbCdEf" },
    ]);
    assert.deepEqual(presetEnvironment(presets, targets), {
      BUCKET_MAP_DATA: "map-data-abc",
      FUNCTION_MAPPER: "graviton-platform-dev-mapper",
      FUNCTION_MY_REDUCER: "graviton-platform-dev-my-reducer",
      QUEUE_JOBS_DLQ: "https://sqs.us-east-1.amazonaws.com/123456789012/jobs-dlq",
    });
  });

  it("refuses an unknown preset and hostile values by name", () => {
    for (const bad of [
      { preset: "admin" },
      { preset: "s3-read", bucket: "Data" },
      { preset: "s3-read", bucket: "data", prefix: "input" },
      { preset: "s3-read", bucket: "data", prefix: "../*/" },
      { preset: "s3-read", bucket: "data", prefix: "a\u0000/" },
      { preset: "s3-write", bucket: "192.168.1.1" },
      { preset: "invoke", functions: [] },
      { preset: "invoke", functions: ["*"] },
      { preset: "sqs-send", queue: "other" },
      { preset: "secret-read", secretArn: "*" },
      { preset: "s3-read", bucket: "data", extra: 1 },
      null,
      "s3-read",
    ])
      assert.equal(permissionPreset.safeParse(bad).success, false, JSON.stringify(bad));
  });

  it("the stack refuses a bucket it neither owns nor declared external, and a function it does not have", () => {
    const own = (permissions: unknown[]) => ({
      ownImageFunctions: { "my-function": { context: OWN_IMAGE, permissions } },
      buckets: { data: {}, "shared-corp-data": { external: true } },
    });
    parseStackConfig(
      own([
        { preset: "s3-read", bucket: "data" },
        { preset: "s3-write", bucket: "shared-corp-data" },
        { preset: "invoke", functions: ["get-job"] },
      ]),
    );
    assert.throws(
      () => parseStackConfig(own([{ preset: "s3-read", bucket: "elsewhere" }])),
      /ownImageFunctions\.my-function\.permissions\.0\.bucket names elsewhere, which the stack does not own and was not declared external/,
    );
    assert.throws(
      () => parseStackConfig(own([{ preset: "invoke", functions: ["mapper"] }])),
      /permissions\.0\.functions names mapper, which is not a function of the stack/,
    );
    const pair = (a: unknown[], b: unknown[]) => ({
      ownImageFunctions: {
        first: { context: OWN_IMAGE, permissions: a },
        second: { context: OWN_IMAGE, permissions: b },
      },
    });
    assert.deepEqual(
      parseStackConfig(pair([{ preset: "invoke", functions: ["second"] }], [])).ownImageFunctions.map((fn) => fn.name),
      ["second", "first"],
      "a function comes after the ones it invokes: it gets their names",
    );
    assert.throws(
      () => parseStackConfig(pair([{ preset: "invoke", functions: ["second"] }], [{ preset: "invoke", functions: ["first"] }])),
      /ownImageFunctions have invoke presets in a cycle: first -> second -> first/,
    );
    const clash = own([{ preset: "s3-read", bucket: "data" }]);
    Object.assign(clash.buckets, { "map-data": {}, "map.data": { external: true } });
    clash.ownImageFunctions["my-function"] = {
      ...clash.ownImageFunctions["my-function"],
      permissions: [
        { preset: "s3-read", bucket: "map-data" },
        { preset: "s3-write", bucket: "map.data" },
      ],
    } as never;
    assert.throws(() => parseStackConfig(clash), /permissions name map-data and map\.data, which both become BUCKET_MAP_DATA; rename one/);
    const overriding = own([{ preset: "s3-read", bucket: "data" }]);
    overriding.ownImageFunctions["my-function"] = {
      ...overriding.ownImageFunctions["my-function"],
      environment: { BUCKET_DATA: "mine" },
    } as never;
    assert.throws(
      () => parseStackConfig(overriding),
      /environment\.BUCKET_DATA is set by the stack from the function's presets and cannot be overridden/,
    );
    assert.throws(
      () => parseStackConfig(own([{ preset: "admin" }])),
      /permissions\.0\.preset must be a permission preset: s3-read, s3-write .*got "admin"/,
    );
  });

  it("keeps within IAM's inline policy size and S3's bucket name length at the largest values the stack accepts", () => {
    // Seven functions to invoke (the size counts each at the longest name and ARN any stack can have).
    const targets = Array.from({ length: 7 }, (_, index) => `target-${index}`);
    const withInvokes = (count: number) => ({
      ownImageFunctions: {
        ...Object.fromEntries(targets.map((name) => [name, { context: OWN_IMAGE }])),
        "my-function": {
          context: OWN_IMAGE,
          permissions: Array.from({ length: count }, () => ({ preset: "invoke", functions: targets })),
        },
      },
    });
    const fits = parse(withInvokes(4).ownImageFunctions["my-function"].permissions);
    const tooMany = parse(withInvokes(6).ownImageFunctions["my-function"].permissions);
    assert.ok(presetsPolicyCharacters(fits) <= PRESETS_POLICY_MAX_CHARACTERS, String(presetsPolicyCharacters(fits)));
    assert.ok(presetsPolicyCharacters(tooMany) > PRESETS_POLICY_MAX_CHARACTERS);
    parseStackConfig(withInvokes(4));
    assert.throws(
      () => parseStackConfig(withInvokes(6)),
      /ownImageFunctions\.my-function\.permissions can make an inline policy of \d+ characters; IAM allows 10,240 per role/,
    );
    // The stack's own buckets are autonamed <name>-<7 characters>: 55 is the longest name that fits S3's 63.
    parseStackConfig({ buckets: { ["b".repeat(55)]: {}, ["e".repeat(63)]: { external: true } } });
    assert.throws(() => parseStackConfig({ buckets: { ["b".repeat(56)]: {} } }), /buckets\.b{56} is 56 characters; .* at most 55/);
  });

  it("under the mock engine: the presets become one inline policy of the function's role, with the bucket's real ARN", async () => {
    const { "graviton-platform:tuning": _examplesTuning, ...dev } = readStackConfig("dev"); // it names the examples
    const config = {
      ...dev,
      "graviton-platform:buckets": JSON.stringify({ data: {} }),
      "graviton-platform:ownImageFunctions": JSON.stringify({
        "my-function": {
          context: OWN_IMAGE,
          permissions: [
            { preset: "s3-read", bucket: "data", prefix: "input/" },
            { preset: "invoke", functions: ["get-job"] },
            { preset: "sqs-send", queue: "jobs" },
          ],
        },
      }),
    };
    const registered = new Registered((await evaluateStack("dev", config)).resources);
    const policy = JSON.parse(registered.one("aws:iam/rolePolicy:RolePolicy", "my-function-presets").inputs.policy);
    const variables = registered.one("aws:lambda/function:Function", "my-function").inputs.environment.variables;
    assert.equal(variables.BUCKET_DATA, registered.one("aws:s3/bucket:Bucket", "data").state.bucket, "where its bucket is");
    assert.match(variables.FUNCTION_GET_JOB, /^get-job/, "the physical name of the function it may invoke");
    const queue = registered.one("aws:sqs/queue:Queue", "jobs");
    assert.equal(variables.QUEUE_JOBS, queue.state.url, "the URL of the queue it may send to");
    assert.match(variables.QUEUE_JOBS, /^https:\/\/sqs\.us-east-1\.amazonaws\.com\/\d{12}\/jobs$/);
    const bucket = registered.one("aws:s3/bucket:Bucket", "data");
    const getJob = registered
      .all("aws:lambda/function:Function")
      .filter((fn) => fn.name.startsWith("get-job"))
      .map((fn) => fn.state.arn);
    assert.deepEqual(
      policy.Statement.map((statement: any) => [statement.Action, statement.Resource]),
      [
        [["s3:GetObject"], `${bucket.state.arn}/input/*`],
        [["s3:ListBucket"], bucket.state.arn],
        [["lambda:InvokeFunction"], getJob],
        [["sqs:SendMessage"], queue.state.arn],
      ],
    );
  });
});
