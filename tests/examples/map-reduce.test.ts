import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { mockClient } from "aws-sdk-client-mock";

// The example is plain ES modules, as Lambda's Node.js runtime loads them; so are the SDK clients they use.
const importModule = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<any>;
const EXAMPLE = join(__dirname, "..", "..", "examples", "map-reduce");
const load = (file: string) => importModule(pathToFileURL(join(EXAMPLE, file)).href);

describe("map-reduce (seed 003): word count over S3 objects", function () {
  this.timeout(60_000);
  let wc: any;
  before(async () => (wc = await load("word-count.mjs")));

  describe("the core, as plain functions on real data", () => {
    // The project's documentation: real English text of a few thousand words.
    const docs = join(__dirname, "..", "..", "docs");
    const text = readdirSync(docs)
      .filter((file) => file.endsWith(".md"))
      .map((file) => readFileSync(join(docs, file), "utf8"))
      .join("\n");

    it("map, shuffle and reduce give the counts a single pass gives, each word in exactly one partition", () => {
      const counts: Map<string, number> = wc.mapWords(text);
      assert.ok(counts.size > 500 && counts.get("the")! > 100, `${counts.size} words`);
      for (const reducers of [1, 3, 7]) {
        const partitions: Record<string, number>[] = wc.shuffle(counts, reducers);
        assert.equal(partitions.length, reducers);
        const seen = partitions.flatMap((partition) => Object.keys(partition));
        assert.equal(seen.length, new Set(seen).size, "no word in two partitions");
        assert.deepEqual(wc.reduceCounts(partitions), counts);
      }
      // Two mappers over two halves reduce to the whole.
      const half = Math.floor(text.length / 2);
      const cut = text.indexOf(" ", half);
      const merged = wc.reduceCounts([...wc.shuffle(wc.mapWords(text.slice(0, cut)), 2), ...wc.shuffle(wc.mapWords(text.slice(cut)), 2)]);
      assert.deepEqual(merged, counts);
    });

    it("counts words case-blind in any script, caps their length, and is stable across runs", () => {
      assert.deepEqual(
        [...wc.mapWords("Graviton graviton, GRAVITON! ärm64 ärm64 日本 x\u0000y")],
        [
          ["graviton", 3],
          ["ärm64", 2],
          ["日本", 1],
          ["x", 1],
          ["y", 1],
        ],
      );
      assert.equal([...wc.mapWords("a".repeat(10_000))][0][0].length, 100);
      assert.equal(wc.mapWords("\ud800 lone \udfff surrogates").get("lone"), 1);
      assert.equal(wc.partitionOf("graviton", 7), wc.partitionOf("graviton", 7));
      assert.deepEqual(
        wc.topWords(
          new Map([
            ["b", 2],
            ["a", 2],
            ["c", 5],
          ]),
          2,
        ),
        [
          { word: "c", count: 5 },
          { word: "a", count: 2 },
        ],
      );
    });

    it("refuses a partition that is not a map of words to counts (null, a list, a string, a number)", () => {
      for (const bad of [null, [], "words", 7])
        assert.throws(() => wc.reduceCounts([bad]), /corrupt partition: .* is not a map of words to counts/);
    });

    it("refuses a corrupt partition instead of summing it", () => {
      for (const bad of [{ w: -1 }, { w: 1.5 }, { w: "3" }, { w: null }])
        assert.throws(() => wc.reduceCounts([bad]), /corrupt partition: "w" has count/);
    });
  });

  describe("the driver, mappers and reducers, against S3 and Lambda (aws-sdk-client-mock)", () => {
    const objects = new Map<string, string>();
    let s3: any;
    let lambda: any;
    let handlers: Record<string, (event: unknown, context?: unknown) => Promise<any>>;

    before(async () => {
      Object.assign(process.env, {
        BUCKET_MAP_DATA: "map-data-abc",
        FUNCTION_MAP_REDUCE_MAPPER: "graviton-platform-dev-mapper",
        FUNCTION_MAP_REDUCE_REDUCER: "graviton-platform-dev-reducer",
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "secret",
      });
      const S3 = await importModule("@aws-sdk/client-s3");
      const Lambda = await importModule("@aws-sdk/client-lambda");
      s3 = mockClient(S3.S3Client);
      lambda = mockClient(Lambda.LambdaClient);
      s3.on(S3.GetObjectCommand).callsFake(({ Bucket, Key }: any) => {
        assert.equal(Bucket, "map-data-abc");
        const body = objects.get(Key);
        if (Key.includes("forbidden")) throw Object.assign(new Error("Access Denied"), { name: "AccessDenied" });
        if (body === undefined) throw Object.assign(new Error("NoSuchKey"), { name: "NoSuchKey" });
        return { ContentLength: Buffer.byteLength(body), Body: { transformToString: async () => body } };
      });
      s3.on(S3.PutObjectCommand).callsFake(({ Key, Body }: any) => void objects.set(Key, Body));
      s3.on(S3.ListObjectsV2Command).callsFake(({ Prefix }: any) => ({
        Contents: [...objects.keys()].filter((key) => key.startsWith(Prefix)).map((Key) => ({ Key })),
        IsTruncated: false,
      }));
      handlers = {
        driver: (await load("driver.mjs")).handler,
        mapper: (await load("mapper.mjs")).handler,
        reducer: (await load("reducer.mjs")).handler,
      };
      // Lambda runs the named function with the payload; an error comes back as a FunctionError.
      lambda.on(Lambda.InvokeCommand).callsFake(async ({ FunctionName, Payload }: any) => {
        const name = FunctionName.endsWith("mapper") ? "mapper" : "reducer";
        try {
          return { StatusCode: 200, Payload: Buffer.from(JSON.stringify(await handlers[name](JSON.parse(Payload)))) };
        } catch (error) {
          return {
            StatusCode: 200,
            FunctionError: "Unhandled",
            Payload: Buffer.from(JSON.stringify({ errorMessage: (error as Error).message })),
          };
        }
      });
    });
    after(() => {
      s3?.restore();
      lambda?.restore();
    });
    beforeEach(() => objects.clear());

    it("runs a job end to end: one mapper per input object, the reducers, the totals in output/<jobId>/", async () => {
      objects.set("input/a.txt", "the quick brown fox jumps over the lazy dog");
      objects.set("input/b.txt", "The dog sleeps. THE END");
      objects.set("input/sub/", "");
      const result = await handlers.driver({ reducers: 3 }, { getRemainingTimeInMillis: () => 60_000 });
      assert.equal(result.inputs, 2);
      assert.deepEqual(result.top.slice(0, 2), [
        { word: "the", count: 4 },
        { word: "dog", count: 2 },
      ]);
      const outputs = [...objects.keys()].filter((key) => key.startsWith(`output/${result.jobId}/`));
      assert.equal(outputs.length, 3);
      const totals = Object.assign({}, ...outputs.map((key) => JSON.parse(objects.get(key)!)));
      assert.equal(totals.fox, 1);
      assert.equal(result.words, Object.keys(totals).length);
      const mapperCalls = lambda.calls().filter((call: any) => call.args[0].input.FunctionName.endsWith("mapper"));
      assert.equal(mapperCalls.length, 2);
    });

    it("refuses hostile events by name, and fails the job with a worker's error", async () => {
      await assert.rejects(handlers.driver({ reducers: 0 }), /reducers must be at least 1/);
      await assert.rejects(handlers.driver({ reducers: 1e9 }), /reducers must be a whole number from 0 to 64/);
      await assert.rejects(handlers.driver({ inputPrefix: "../secrets/" }), /inputPrefix must be a prefix under "input\/"/);
      await assert.rejects(handlers.driver({}), /no input objects under s3:\/\/map-data-abc\/input\//);
      // On npm run dev's S3 (AWS_ENDPOINT_URL_S3), it says where that S3 keeps the bucket.
      process.env.AWS_ENDPOINT_URL_S3 = "http://127.0.0.1:3000/_local/s3";
      try {
        await assert.rejects(
          handlers.driver({}),
          /at http:\/\/127\.0\.0\.1:3000\/_local\/s3 \(npm run dev keeps bucket map-data-abc in the folder its banner names/,
        );
      } finally {
        delete process.env.AWS_ENDPOINT_URL_S3;
      }
      await assert.rejects(handlers.mapper({ jobId: "../x", mapper: 0, inputKey: "input/a", reducers: 1 }), /jobId must be/);
      await assert.rejects(
        handlers.mapper({ jobId: "j", mapper: 0, inputKey: "output/a", reducers: 1 }),
        /inputKey must be a key under input\//,
      );
      await assert.rejects(handlers.reducer({ jobId: "j", reducer: -1, mappers: 1 }), /reducer must be a whole number/);
      objects.set("input/a.txt", "words");
      objects.set("input/forbidden.txt", "words");
      await assert.rejects(handlers.driver({ reducers: 1 }), /graviton-platform-dev-mapper failed: Access Denied/);
    });
  });
});
