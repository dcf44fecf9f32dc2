import * as aws from "@pulumi/aws";
import { strict as assert } from "node:assert";
import { JobQueue, JobQueueArgs } from "../../components/job-queue";
import { evaluate } from "../mock-engine";
import { Registered } from "../registered";

/** A JobQueue consumed by a stand-in worker (its role and ARN are all the queue needs). */
async function deploy(settings: Partial<Omit<JobQueueArgs, "workerTimeoutSeconds">> = {}, timeoutSeconds = 60) {
  const { resources } = await evaluate(() => {
    const role = new aws.iam.Role("worker-role", { assumeRolePolicy: "{}" });
    const worker = new aws.lambda.Function("worker", { role: role.arn, packageType: "Image", imageUri: "x" });
    new JobQueue("jobs", { workerTimeoutSeconds: timeoutSeconds, ...settings }).subscribe({ arn: worker.arn, role });
  });
  return new Registered(resources);
}

const QUEUE = "aws:sqs/queue:Queue";
const MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping";

describe("JobQueue", () => {
  let registered: Registered;
  before(async () => (registered = await deploy()));

  it("encrypts both queues, keeps dead letters 14 days, and moves a message there after maxReceiveCount receives", () => {
    const queue = registered.one(QUEUE, "jobs");
    const dlq = registered.one(QUEUE, "jobs-dlq");
    assert.equal(queue.inputs.sqsManagedSseEnabled, true);
    assert.equal(dlq.inputs.sqsManagedSseEnabled, true);
    assert.equal(dlq.inputs.messageRetentionSeconds, 1_209_600);
    assert.equal(queue.inputs.messageRetentionSeconds, 4 * 86_400);
    assert.deepEqual(JSON.parse(queue.inputs.redrivePolicy), { deadLetterTargetArn: dlq.state.arn, maxReceiveCount: 3 });
  });

  it("lets only its own queue redrive from the DLQ", () => {
    const allow = registered.one("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy", "jobs-dlq");
    assert.equal(allow.inputs.queueUrl, registered.one(QUEUE, "jobs-dlq").state.url);
    assert.deepEqual(JSON.parse(allow.inputs.redriveAllowPolicy), {
      redrivePermission: "byQueue",
      sourceQueueArns: [registered.one(QUEUE, "jobs").state.arn],
    });
  });

  it("keeps messages invisible for 6x the worker timeout plus the batching window", async () => {
    assert.equal(registered.one(QUEUE, "jobs").inputs.visibilityTimeoutSeconds, 360);
    const windowed = await deploy({ batchingWindowSeconds: 20, batchSize: 100 }, 30);
    assert.equal(windowed.one(QUEUE, "jobs").inputs.visibilityTimeoutSeconds, 200);
  });

  it("refuses a worker timeout whose visibility timeout SQS cannot hold", async () => {
    await assert.rejects(deploy({}, 7201), /needs a visibility timeout of 43206 s; SQS allows at most 43200/);
  });

  it("feeds the worker with partial batch responses and capped concurrency, after it may consume the queue", async () => {
    const mapping = registered.one(MAPPING, "jobs-worker");
    assert.equal(mapping.inputs.eventSourceArn, registered.one(QUEUE, "jobs").state.arn);
    assert.equal(mapping.inputs.functionName, registered.one("aws:lambda/function:Function", "worker").state.arn);
    assert.deepEqual(mapping.inputs.functionResponseTypes, ["ReportBatchItemFailures"]);
    assert.deepEqual(mapping.inputs.scalingConfig, { maximumConcurrency: 5 });
    assert.equal(mapping.inputs.batchSize, 10);
    assert.equal(mapping.inputs.maximumBatchingWindowInSeconds, 0);
    assert.equal(mapping.inputs.filterCriteria, undefined);

    const consume = registered.one("aws:iam/rolePolicy:RolePolicy", "jobs-consume");
    assert.deepEqual(JSON.parse(consume.inputs.policy).Statement, [
      {
        Sid: "ConsumeJobs",
        Effect: "Allow",
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        Resource: registered.one(QUEUE, "jobs").state.arn,
      },
    ]);
    assert.ok(mapping.dependencies.includes(consume.urn));
  });

  it("takes batch size, window, maximum concurrency, receive count and filter patterns from its settings", async () => {
    const custom = await deploy({
      batchSize: 50,
      batchingWindowSeconds: 2,
      maximumConcurrency: 20,
      maxReceiveCount: 5,
      filterPatterns: [{ body: { type: ["primes"] } }],
    });
    const mapping = custom.one(MAPPING, "jobs-worker").inputs;
    assert.deepEqual([mapping.batchSize, mapping.maximumBatchingWindowInSeconds, mapping.scalingConfig.maximumConcurrency], [50, 2, 20]);
    assert.deepEqual(mapping.filterCriteria, { filters: [{ pattern: '{"body":{"type":["primes"]}}' }] });
    assert.equal(JSON.parse(custom.one(QUEUE, "jobs").inputs.redrivePolicy).maxReceiveCount, 5);
  });
});
