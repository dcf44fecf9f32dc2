import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { messagesToDelete, startEventSourceMapping } from "../../../dev/sqs/event-source-mapping";
import { LocalQueue, QueueError, SQS_LIMITS } from "../../../dev/sqs/local-queue";
import type { LocalStatement } from "../../../dev/iam/local-iam";
import { sqsEndpoint } from "../../../dev/sqs/sqs-endpoint";

const queues = (visibilityTimeoutSeconds = 0.2, maxReceiveCount = 2) => {
  const deadLetters = new LocalQueue("dlq", { visibilityTimeoutSeconds: 30 });
  const jobs = new LocalQueue("jobs", { visibilityTimeoutSeconds, redrive: { deadLetterQueue: deadLetters, maxReceiveCount } });
  return { jobs, deadLetters };
};

describe("local SQS queue (what SQS documents)", () => {
  it("hides a received message for the visibility timeout, then delivers it again with its receive count", async () => {
    const { jobs } = queues(0.2);
    jobs.send("a");
    const [first] = jobs.receive(10);
    assert.deepEqual([first.body, first.receiveCount, jobs.receive(10).length], ["a", 1, 0]);
    assert.deepEqual(jobs.counts(), { visible: 0, inFlight: 1 });
    await sleep(250);
    const [again] = jobs.receive(10);
    assert.equal(again.receiveCount, 2);
    jobs.delete(first.receiptHandle); // a stale handle deletes nothing
    assert.deepEqual(jobs.counts(), { visible: 0, inFlight: 1 });
    jobs.delete(again.receiptHandle);
    assert.deepEqual(jobs.counts(), { visible: 0, inFlight: 0 });
  });

  it("announces a message visible again even when its timer fires before Date.now() says so (a busy event loop)", async () => {
    // Timers count on the event loop's own clock, and now and then fire a millisecond before Date.now()
    // reaches their time. Here every firing is early until the clock moves, and a listener that found
    // nothing takes long enough for the clock to pass the end of the visibility timeout. A message visible
    // and never announced again left the event source mapping idle for good (the DLQ test: its job stayed
    // visible in the queue for 196 s, once in ten loaded runs).
    const realNow = Date.now;
    let clock = realNow();
    Date.now = () => clock;
    try {
      const { jobs } = queues(0.01);
      jobs.send("a");
      jobs.receive(1); // visible again at clock + 10 ms
      let announcements = 0;
      let foundVisible = false;
      jobs.on("visible", () => {
        announcements++;
        if (jobs.counts().visible > 0) foundVisible = true;
        else clock += 10; // the listener's slow turn: the clock passes the end of the visibility timeout
      });
      // Real timers run; the clock stands still for 100 ms (every firing is early), then reaches the end.
      await sleep(100);
      clock += 10;
      for (let waited = 0; !foundVisible && waited < 2000; waited += 20) await sleep(20);
      assert.ok(foundVisible, `announced ${announcements} time(s), never with the message visible`);
      jobs.close();
    } finally {
      Date.now = realNow;
    }
  });

  it("holds more messages in flight than SQS's 120,000 without failing (no spread of every message into one call)", () => {
    const { jobs } = queues(30);
    for (let index = 0; index < 130_000; index++) jobs.send("m");
    assert.equal(jobs.receive(130_000).length, 130_000);
    assert.deepEqual(jobs.counts(), { visible: 0, inFlight: 130_000 });
    jobs.close();
  });

  it("moves a message to the DLQ when it would be received more than maxReceiveCount times", async () => {
    const { jobs, deadLetters } = queues(0.05, 2);
    jobs.send("poison", { jobId: "j" });
    assert.equal(jobs.receive(1).length, 1);
    await sleep(80);
    assert.equal(jobs.receive(1).length, 1);
    await sleep(80);
    assert.equal(jobs.receive(1).length, 0, "the third receive moves it instead");
    const [parked] = deadLetters.receive(1);
    assert.deepEqual([parked.body, parked.attributes, parked.receiveCount], ["poison", { jobId: "j" }, 3]);
  });

  it("refuses what SQS refuses: an empty body, over 256 KiB with attributes, characters outside its set", () => {
    const { jobs } = queues();
    const refusal = (body: string, attributes: Record<string, string> = {}) => {
      try {
        jobs.send(body, attributes);
        return "accepted";
      } catch (error) {
        return (error as QueueError).code;
      }
    };
    assert.equal(refusal(""), "MissingParameter");
    assert.equal(refusal("x".repeat(SQS_LIMITS.maxMessageBytes)), "accepted");
    assert.equal(refusal("x".repeat(SQS_LIMITS.maxMessageBytes - 10), { owner: "someone" }), "InvalidParameterValue");
    assert.equal(refusal("é".repeat(SQS_LIMITS.maxMessageBytes / 2 + 1)), "InvalidParameterValue", "bytes, not characters");
    for (const bad of ["\u0000", "a\u0008b", "\ud800", "\udc00x", "\uffff"])
      assert.equal(refusal(bad), "InvalidMessageContents", JSON.stringify(bad));
    for (const good of ["\t\n\r", "😀", "\ue000", "{}"]) assert.equal(refusal(good), "accepted", JSON.stringify(good));
    assert.equal(refusal("ok", { owner: "\u0000" }), "InvalidMessageContents");
  });

  it("keeps its messages in its file across a stop (and a crash), the in-flight ones visible again after their timeout, for its retention", async () => {
    const dir = mkdtempSync(join(tmpdir(), "queue-"));
    try {
      const file = join(dir, "sqs", "jobs.json");
      const first = new LocalQueue("jobs", { visibilityTimeoutSeconds: 0.3, file });
      for (let index = 0; index < 200; index++) first.send(`job ${index}`, { jobId: `j${index}` });
      const inFlight = first.receive(10);
      first.delete(inFlight[0].receiptHandle);
      first.close(); // a clean stop writes what is queued
      assert.equal(statSync(file).mode & 0o077, 0, "the owner's only");
      const second = new LocalQueue("jobs", { visibilityTimeoutSeconds: 0.3, file });
      assert.deepEqual(second.counts(), { visible: 190, inFlight: 9 });
      await sleep(350);
      assert.deepEqual(second.counts(), { visible: 199, inFlight: 0 }, "in flight at the stop: back after the visibility timeout");
      const again = second.receive(10).find((message) => message.body === inFlight[1].body);
      assert.equal(again?.receiveCount, 2, "its receive count kept");
      // A crash: nothing is closed; what changed before it is on disk within the save delay.
      second.send("sent before the crash");
      await sleep(200);
      const third = new LocalQueue("jobs", { visibilityTimeoutSeconds: 0.3, file });
      assert.equal(third.counts().visible + third.counts().inFlight, 200);
      second.close();
      // Retention: a message older than the queue's retention period is gone, as in SQS.
      const old = new LocalQueue("jobs", { visibilityTimeoutSeconds: 1, file, retentionSeconds: 60 });
      old.send("new");
      old.close();
      const stored = JSON.parse(readFileSync(file, "utf8"));
      for (const message of stored) if (message.body !== "new") message.sentTimestamp -= 61_000;
      writeFileSync(file, JSON.stringify(stored));
      const reopened = new LocalQueue("jobs", { visibilityTimeoutSeconds: 1, file, retentionSeconds: 60 });
      assert.deepEqual(
        reopened.receive(10).map((message) => message.body),
        ["new"],
      );
      reopened.close();
      // A file that holds no queue (edited by hand, another program's) is named, with what to do, not a crash later.
      writeFileSync(file, "{not a queue");
      assert.throws(() => new LocalQueue("jobs", { visibilityTimeoutSeconds: 0.3, file }), /jobs\.json holds no queue .*delete it/);
      writeFileSync(file, "{}");
      assert.throws(() => new LocalQueue("jobs", { visibilityTimeoutSeconds: 0.3, file }), /holds no queue \(not a list\)/);
      third.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("moves the DLQ back at most MaxNumberOfMessagesPerSecond (1 to 500), one task at a time, as new messages", async () => {
    const { jobs, deadLetters } = queues();
    for (const body of ["1", "2", "3"]) deadLetters.send(body);
    for (const rate of [0, 501, 1.5, NaN]) assert.throws(() => deadLetters.startMoveTask(jobs, rate), /MaxNumberOfMessagesPerSecond/);
    const task = deadLetters.startMoveTask(jobs, 2);
    assert.deepEqual([task.status, task.approximateNumberOfMessagesMoved, task.approximateNumberOfMessagesToMove], ["RUNNING", 2, 3]);
    assert.throws(() => deadLetters.startMoveTask(jobs), /already a task running/);
    await sleep(1100);
    assert.deepEqual([task.status, task.approximateNumberOfMessagesMoved], ["COMPLETED", 3]);
    assert.deepEqual(
      jobs.receive(10).map((message) => [message.body, message.receiveCount]),
      [
        ["1", 1],
        ["2", 1],
        ["3", 1],
      ],
    );
  });
});

describe("local event source mapping (Lambda's SQS poller)", () => {
  const batch = [{ messageId: "a" }, { messageId: "b" }, { messageId: "c" }];

  it("deletes what the partial batch response says succeeded, following every rule Lambda documents", () => {
    assert.deepEqual(messagesToDelete(batch, { ok: true, result: { batchItemFailures: [] } }).delete, ["a", "b", "c"]);
    assert.deepEqual(messagesToDelete(batch, { ok: true, result: null }).delete, ["a", "b", "c"]);
    assert.deepEqual(messagesToDelete(batch, { ok: true, result: {} }).delete, ["a", "b", "c"]);
    assert.deepEqual(messagesToDelete(batch, { ok: true, result: { batchItemFailures: [{ itemIdentifier: "b" }] } }).delete, ["a", "c"]);
    for (const failures of [
      [{ itemIdentifier: "" }],
      [{ itemIdentifier: null }],
      [{ id: "b" }],
      [{ itemIdentifier: "zzz" }],
      [null],
      "b",
      42,
    ]) {
      const outcome = messagesToDelete(batch, { ok: true, result: { batchItemFailures: failures } });
      assert.deepEqual(outcome.delete, [], `a complete failure: ${JSON.stringify(failures)}`);
      assert.ok(outcome.problem);
    }
    assert.deepEqual(messagesToDelete(batch, { ok: false, error: "Sandbox.Timedout" }).delete, []);
  });

  it("never has more than maximumConcurrency batches in flight, each at most batchSize", async () => {
    const { jobs } = queues(30);
    let inFlight = 0;
    let most = 0;
    const sizes: number[] = [];
    const mapping = startEventSourceMapping(
      jobs,
      { batchSize: 3, batchingWindowSeconds: 0, maximumConcurrency: 2 },
      async (event) => {
        most = Math.max(most, ++inFlight);
        sizes.push(event.Records.length);
        for (const record of event.Records)
          assert.equal(record.md5OfBody, createHash("md5").update(record.body).digest("hex"), "md5OfBody, as SQS sends it");
        await sleep(20);
        inFlight--;
        return { ok: true, result: { batchItemFailures: [] } };
      },
      () => undefined,
    );
    for (let index = 0; index < 20; index++) jobs.send(String(index));
    // Bounded by far more than 20 messages need even on a loaded machine; it ends as soon as they are done.
    for (let wait = 0; wait < 1500 && jobs.counts().visible + jobs.counts().inFlight > 0; wait++) await sleep(20);
    await mapping.stop();
    assert.deepEqual(jobs.counts(), { visible: 0, inFlight: 0 });
    assert.equal(most, 2);
    assert.ok(
      sizes.every((size) => size >= 1 && size <= 3),
      String(sizes),
    );
    assert.equal(
      sizes.reduce((sum, size) => sum + size, 0),
      20,
    );
  });

  it("waits up to the batching window to fill a batch", async () => {
    const { jobs } = queues(30);
    const batches: number[] = [];
    const mapping = startEventSourceMapping(
      jobs,
      { batchSize: 10, batchingWindowSeconds: 0.3, maximumConcurrency: 2 },
      async (event) => (batches.push(event.Records.length), { ok: true, result: null }),
      () => undefined,
    );
    jobs.send("1");
    await sleep(100);
    jobs.send("2");
    assert.deepEqual(batches, [], "nothing before the window ends");
    await sleep(350);
    assert.deepEqual(batches, [2]);
    await mapping.stop();
  });

  it("polls every second besides its wake-ups, as Lambda's pollers do: a message nobody announced is still received", async () => {
    const { jobs } = queues(30);
    const received: string[] = [];
    const mapping = startEventSourceMapping(
      jobs,
      { batchSize: 10, batchingWindowSeconds: 0, maximumConcurrency: 1 },
      async (event) => (received.push(...event.Records.map((record) => record.body)), { ok: true, result: null }),
      () => undefined,
    );
    jobs.removeAllListeners("visible"); // every announcement from here on is lost
    jobs.send("unannounced");
    // Within the poll interval (1 s), with a margin for a loaded machine; it ends as soon as it is received.
    for (let waited = 0; received.length === 0 && waited < 5000; waited += 20) await sleep(20);
    await mapping.stop();
    assert.deepEqual(received, ["unannounced"]);
  });
});

describe("local SQS API (AWS JSON protocol) for redrive --local", () => {
  const { jobs, deadLetters } = queues();
  const serve = sqsEndpoint([jobs, deadLetters], (queue) => `http://local/${queue.name}`);

  it("answers hostile requests with SQS's error shapes, never a crash", () => {
    const STRING_ATTRIBUTE = { DataType: "String", StringValue: "v" };
    /** A SendMessage SQS refuses for its message attributes. */
    const withAttributes = (MessageAttributes: object): [string, string, number, string] => [
      "AmazonSQS.SendMessage",
      JSON.stringify({ QueueUrl: "http://local/jobs", MessageBody: "x", MessageAttributes }),
      400,
      "InvalidParameterValue",
    ];
    const cases: [string | undefined, string, number, string][] = [
      [undefined, "{}", 400, "UnsupportedOperation"],
      ["AmazonSQS.DeleteQueue", "{}", 400, "UnsupportedOperation"],
      ["AmazonSQS.constructor", "{}", 400, "UnsupportedOperation"],
      ["AmazonSQS.GetQueueAttributes", "{not json", 400, "InvalidParameterValue"],
      ["AmazonSQS.GetQueueAttributes", "null", 400, "InvalidParameterValue"],
      ["AmazonSQS.GetQueueAttributes", '{"QueueUrl": {"$ne": 1}}', 400, "QueueDoesNotExist"],
      [
        "AmazonSQS.StartMessageMoveTask",
        '{"SourceArn": "arn:aws:sqs:us-east-1:000000000000:dlq", "MaxNumberOfMessagesPerSecond": 9999}',
        400,
        "InvalidParameterValue",
      ],
      ["AmazonSQS.SendMessage", '{"QueueUrl": "http://local/jobs", "MessageBody": "\\u0000"}', 400, "InvalidMessageContents"],
      // What SQS's model refuses: a QueueUrl that is no string (even one with its own toString), a body that is no string,
      // more than 10 message attributes, an attribute name SQS reserves or does not accept.
      ["AmazonSQS.SendMessage", '{"QueueUrl": {"toString": 1}, "MessageBody": "x"}', 400, "InvalidParameterValue"],
      ["AmazonSQS.GetQueueAttributes", '{"QueueUrl": {"toString": 1}}', 400, "QueueDoesNotExist"],
      ["AmazonSQS.GetQueueAttributes", '{"QueueUrl": "http://local/jobs", "AttributeNames": {"includes": 1}}', 200, ""],
      ["AmazonSQS.SendMessage", '{"QueueUrl": "http://local/jobs", "MessageBody": {"a": 1}}', 400, "InvalidParameterValue"],
      ["AmazonSQS.SendMessage", '{"QueueUrl": "http://local/jobs", "MessageBody": 42}', 400, "InvalidParameterValue"],
      withAttributes(Object.fromEntries(Array.from({ length: 11 }, (_, index) => [`a${index}`, STRING_ATTRIBUTE]))),
      withAttributes({ "AWS.TraceHeader": STRING_ATTRIBUTE }),
      withAttributes({ "a..b": STRING_ATTRIBUTE }),
    ];
    for (const [target, body, status, code] of cases) {
      const answer = serve(target, body);
      assert.equal(answer.statusCode, status, `${target} ${body}`);
      if (code) assert.equal(JSON.parse(answer.body).__type, `com.amazonaws.sqs#${code}`, `${target} ${body}`);
    }
  });

  it("lets a function send only where its sqs-send preset allows; an operator's command is no function", () => {
    const statements: LocalStatement[] = [{ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: jobs.arn }];
    const policies: Record<string, LocalStatement[]> = { ASIASENDSTOJOBS0000: statements, ASIAAPPFUNCTION0000: [] };
    const guarded = sqsEndpoint(
      [jobs, deadLetters],
      (queue) => `http://local/${queue.name}`,
      (key) => policies[key ?? ""],
    );
    const send = (queue: string, key?: string) =>
      guarded("AmazonSQS.SendMessage", JSON.stringify({ QueueUrl: `http://local/${queue}`, MessageBody: "{}" }), key);
    assert.equal(send(jobs.name, "ASIASENDSTOJOBS0000").statusCode, 200);
    for (const [queue, key] of [
      [deadLetters.name, "ASIASENDSTOJOBS0000"],
      [jobs.name, "ASIAAPPFUNCTION0000"],
    ]) {
      const answer = send(queue, key);
      assert.equal(answer.statusCode, 403, `${key} to ${queue}`);
      assert.deepEqual(JSON.parse(answer.body).__type, "com.amazonaws.sqs#AccessDenied");
      assert.match(JSON.parse(answer.body).message, /does not allow sqs:SendMessage on .*: add an sqs-send preset/);
    }
    assert.equal(send(deadLetters.name, undefined).statusCode, 200, "redrive --local and other operator commands");
  });
});
