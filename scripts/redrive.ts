// npm run redrive -- (--stack dev | --local) [--dry-run] [--rate N]
// After you have fixed what made jobs fail: moves the messages parked in the jobs DLQ back to the jobs
// queue with SQS's managed redrive (StartMessageMoveTask), shows its progress (ListMessageMoveTasks), and
// says what it did. --dry-run only shows how many messages the DLQ holds. --local does the same on the
// running `npm run dev`, whose queues serve the same SQS API.
import { GetQueueAttributesCommand, ListMessageMoveTasksCommand, SQSClient, StartMessageMoveTaskCommand } from "@aws-sdk/client-sqs";
import { setTimeout as sleep } from "node:timers/promises";
import { describeValue } from "../app/core/describe-value";
import { localEndpoints } from "../dev/local-endpoints";
import { runCommand } from "./run-command";
import { readStackOutputs, requiredOutput, StackOutputs } from "./stack-outputs";
import { COMMANDS, parseCommandLine } from "./command-line";

export interface RedriveDependencies {
  outputs(stack: string): StackOutputs;
  sqs: SQSClient;
  /** The running local platform's endpoints and its SQS client. @default .dev/endpoints.json */
  local?: () => { outputs: StackOutputs; sqs: SQSClient };
  /** Between progress checks. @default 5 s */
  pollIntervalMs?: number;
  /** Progress checks before giving up watching (the move goes on in SQS). @default 720 (an hour at 5 s) */
  maxPolls?: number;
}

/** StartMessageMoveTask's MaxNumberOfMessagesPerSecond: at most 500. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html */
export const MAX_MOVE_RATE = 500;

const USAGE = COMMANDS["redrive"].usage;

async function queueAttributes(sqs: SQSClient, queueUrl: string) {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    arn: Attributes.QueueArn!,
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

export async function main(argv: string[], write: (text: string) => void, deps: RedriveDependencies): Promise<number> {
  let options;
  try {
    options = parseCommandLine("redrive", argv).values;
    if (Boolean(options.stack) === Boolean(options.local)) throw new Error("give --stack NAME or --local");
    if (options.rate !== undefined && !(/^[1-9]\d{0,2}$/.test(options.rate) && Number(options.rate) <= MAX_MOVE_RATE)) {
      throw new Error(
        `--rate must be a whole number of messages per second from 1 to ${MAX_MOVE_RATE} (SQS's maximum for a move task), got ${describeValue(options.rate)}`,
      );
    }
  } catch (error) {
    write(`redrive: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const stack = options.stack ?? "local";
  try {
    const { outputs, sqs } = options.local ? (deps.local ?? localPlatform)() : { outputs: deps.outputs(stack), sqs: deps.sqs };
    const dlq = await queueAttributes(sqs, requiredOutput(outputs, "jobs.deadLetterQueueUrl", stack));
    const source = await queueAttributes(sqs, requiredOutput(outputs, "jobs.queueUrl", stack));
    write(`Dead-letter queue ${dlq.arn}: ${dlq.visible} message(s) waiting${dlq.inFlight ? `, ${dlq.inFlight} being read` : ""}.\n`);
    if (options["dry-run"]) return 0;
    if (dlq.visible === 0) {
      write("Nothing to redrive.\n");
      return 0;
    }
    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: dlq.arn,
        DestinationArn: source.arn,
        MaxNumberOfMessagesPerSecond: options.rate === undefined ? undefined : Number(options.rate),
      }),
    );
    write(`Started moving them back to ${source.arn} (task ${TaskHandle}).\n`);
    for (let poll = 0; poll < (deps.maxPolls ?? 720); poll++) {
      const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 1 }));
      const task = Results.find((result) => result.TaskHandle === TaskHandle) ?? Results[0];
      const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
      const total = task?.ApproximateNumberOfMessagesToMove ?? dlq.visible;
      write(`  ${task?.Status ?? "UNKNOWN"}: ${moved} of ${total} moved\n`);
      if (task?.Status === "COMPLETED") {
        write(
          `Done: ${moved} message(s) are back in the jobs queue. The worker runs each job again; a job that had already finished is not run or announced twice. If they fail again, they return to the DLQ after maxReceiveCount attempts.\n`,
        );
        return 0;
      }
      if (task && task.Status !== "RUNNING") {
        write(
          `The move ended ${task.Status}${task.FailureReason ? `: ${task.FailureReason}` : ""}. Messages not moved are still in the DLQ.\n`,
        );
        return 1;
      }
      await sleep(deps.pollIntervalMs ?? 5000);
    }
    write("Still running; it goes on in SQS. Run again with --dry-run to see what is left.\n");
    return 0;
  } catch (error) {
    write(`redrive: ${(error as Error).message}\n`);
    return 1;
  }
}

/** The running `npm run dev`: its queues' URLs and an SQS client for its local SQS API, signing with the operator's key it recorded. */
function localPlatform() {
  const endpoints = localEndpoints.read();
  return {
    outputs: endpoints,
    sqs: new SQSClient({ endpoint: endpoints.sqsEndpoint, region: "us-east-1", credentials: endpoints.operator }),
  };
}

if (require.main === module)
  runCommand("redrive", (argv, write) => main(argv, write, { outputs: readStackOutputs, sqs: new SQSClient({}) }));
