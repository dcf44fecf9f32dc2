import { GetQueueAttributesCommand, ListMessageMoveTasksCommand, SQSClient, StartMessageMoveTaskCommand } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { strict as assert } from "node:assert";
import { main } from "../../scripts/redrive";

const outputs = {
  jobs: {
    queueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/jobs-1a2b",
    deadLetterQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/jobs-dlq-3c4d",
  },
};
const ARN = { queue: "arn:aws:sqs:us-east-1:123456789012:jobs-1a2b", dlq: "arn:aws:sqs:us-east-1:123456789012:jobs-dlq-3c4d" };

describe("npm run redrive", () => {
  // This client only: the local platform's tests use real SQSClients against its local SQS API.
  const client = new SQSClient({ region: "us-east-1" });
  const sqs = mockClient(client);
  let printed: string;
  const run = (argv: string[], stackOutputs: Record<string, any> = outputs) =>
    main(argv, (text) => void (printed += text), {
      outputs: () => stackOutputs,
      sqs: client,
      pollIntervalMs: 1,
      maxPolls: 10,
    });

  beforeEach(() => {
    printed = "";
    sqs.reset();
    sqs
      .on(GetQueueAttributesCommand, { QueueUrl: outputs.jobs.deadLetterQueueUrl })
      .resolves({ Attributes: { QueueArn: ARN.dlq, ApproximateNumberOfMessages: "7", ApproximateNumberOfMessagesNotVisible: "0" } });
    sqs
      .on(GetQueueAttributesCommand, { QueueUrl: outputs.jobs.queueUrl })
      .resolves({ Attributes: { QueueArn: ARN.queue, ApproximateNumberOfMessages: "0" } });
  });

  it("--dry-run shows the DLQ's depth and moves nothing", async () => {
    assert.equal(await run(["--stack", "dev", "--dry-run"]), 0);
    assert.match(printed, /Dead-letter queue arn:aws:sqs:us-east-1:123456789012:jobs-dlq-3c4d: 7 message\(s\) waiting\./);
    assert.equal(sqs.commandCalls(StartMessageMoveTaskCommand).length, 0);
  });

  it("moves the DLQ back to the jobs queue with a managed redrive, showing progress until it completes", async () => {
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "task-1" });
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({
        Results: [{ TaskHandle: "task-1", Status: "RUNNING", ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 7 }],
      })
      .resolves({
        Results: [{ TaskHandle: "task-1", Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 7, ApproximateNumberOfMessagesToMove: 7 }],
      });
    assert.equal(await run(["--stack", "dev", "--rate", "50"]), 0);
    assert.deepEqual(sqs.commandCalls(StartMessageMoveTaskCommand)[0].args[0].input, {
      SourceArn: ARN.dlq,
      DestinationArn: ARN.queue,
      MaxNumberOfMessagesPerSecond: 50,
    });
    assert.deepEqual(sqs.commandCalls(ListMessageMoveTasksCommand)[0].args[0].input, { SourceArn: ARN.dlq, MaxResults: 1 });
    assert.match(printed, /RUNNING: 3 of 7 moved\n  COMPLETED: 7 of 7 moved\nDone: 7 message\(s\) are back in the jobs queue\./);
  });

  it("says so, and exits 1, when the move fails", async () => {
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "task-2" });
    sqs.on(ListMessageMoveTasksCommand).resolves({
      Results: [{ TaskHandle: "task-2", Status: "FAILED", FailureReason: "AccessDenied", ApproximateNumberOfMessagesMoved: 2 }],
    });
    assert.equal(await run(["--stack", "dev"]), 1);
    assert.match(printed, /The move ended FAILED: AccessDenied\. Messages not moved are still in the DLQ\./);
  });

  it("does nothing when the DLQ is empty", async () => {
    sqs
      .on(GetQueueAttributesCommand, { QueueUrl: outputs.jobs.deadLetterQueueUrl })
      .resolves({ Attributes: { QueueArn: ARN.dlq, ApproximateNumberOfMessages: "0" } });
    assert.equal(await run(["--stack", "dev"]), 0);
    assert.match(printed, /Nothing to redrive\./);
    assert.equal(sqs.commandCalls(StartMessageMoveTaskCommand).length, 0);
  });

  it("explains a missing --stack, a bad rate, and a stack without the jobs outputs", async () => {
    assert.equal(await run([]), 2);
    assert.match(printed, /give --stack NAME or --local\nusage: npm run redrive/);
    printed = "";
    assert.equal(await run(["--stack", "dev", "--rate", "fast"]), 2);
    assert.match(
      printed,
      /--rate must be a whole number of messages per second from 1 to 500 \(SQS's maximum for a move task\), got "fast"/,
    );
    for (const rate of ["501", "0", "100000", "1.5"]) {
      printed = "";
      assert.equal(await run(["--stack", "dev", "--rate", rate]), 2, rate);
      assert.match(printed, /from 1 to 500/);
    }
    printed = "";
    assert.equal(await run(["--stack", "old"], {}), 1);
    assert.match(printed, /Stack "old" has no output jobs\.deadLetterQueueUrl/);
  });
});
