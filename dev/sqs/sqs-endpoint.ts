import { z } from "zod";
import { allows, type LocalStatement } from "../iam/local-iam";
import { QueueError, type LocalQueue } from "./local-queue";

/**
 * SendMessage's input as SQS's model and its documentation hold it: a string body, at most 10 message
 * attributes, each named with letters, digits, `_`, `-` and `.` (not starting with `AWS.` or `Amazon.`,
 * no `..`, 256 at most), typed String or Number (what the platform's messages use).
 */
const attributeName = z
  .string()
  .max(256)
  .regex(/^(?!\.)(?!.*\.\.)(?!.*\.$)[A-Za-z0-9_.-]+$/, { error: "is not a message attribute name SQS accepts" })
  .refine((name) => !/^(aws|amazon)\./i.test(name), { error: "is reserved: names starting with AWS. or Amazon. are SQS's" });
const sendMessageInput = z.object({
  QueueUrl: z.string({ error: "QueueUrl must be a string" }),
  MessageBody: z.string({ error: "must be a string" }),
  MessageAttributes: z
    .record(
      attributeName,
      z.object({ DataType: z.enum(["String", "Number"], { error: "must be String or Number" }), StringValue: z.string() }),
    )
    .refine((attributes) => Object.keys(attributes).length <= 10, { error: "may hold at most 10 message attributes" })
    .optional(),
});

/**
 * The local queues as SQS's API (AWS JSON 1.0 protocol) serves them: `npm run redrive -- --local` uses
 * them through the AWS SDK's own SQSClient, and so do functions with an sqs-send preset. A function may
 * send only where its own policy allows (`policyOf` gives it by the caller's access key); an operator's
 * command, which is no function, may do what the API serves.
 */
export function sqsEndpoint(
  queues: LocalQueue[],
  queueUrl: (queue: LocalQueue) => string,
  policyOf: (accessKey: string | undefined) => LocalStatement[] | undefined = () => undefined,
) {
  const byUrl = (url: unknown) => queues.find((queue) => queueUrl(queue) === url);
  const byArn = (arn: unknown) => queues.find((queue) => queue.arn === arn);
  const missing = (what: unknown) =>
    new QueueError("QueueDoesNotExist", `The specified queue does not exist: ${typeof what === "string" ? what : typeof what}`);

  const actions: Record<string, (input: Record<string, any>, accessKey: string | undefined) => object> = {
    GetQueueAttributes(input) {
      const queue = byUrl(input.QueueUrl);
      if (!queue) throw missing(input.QueueUrl);
      const counts = queue.counts();
      const all: Record<string, string> = {
        QueueArn: queue.arn,
        ApproximateNumberOfMessages: String(counts.visible),
        ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
        VisibilityTimeout: String(queue.settings.visibilityTimeoutSeconds),
        ...(queue.settings.redrive && {
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: queue.settings.redrive.deadLetterQueue.arn,
            maxReceiveCount: queue.settings.redrive.maxReceiveCount,
          }),
        }),
      };
      const names: unknown[] = Array.isArray(input.AttributeNames) ? input.AttributeNames : [];
      return { Attributes: names.includes("All") ? all : Object.fromEntries(Object.entries(all).filter(([name]) => names.includes(name))) };
    },
    SendMessage(raw, accessKey) {
      const parsed = sendMessageInput.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new QueueError("InvalidParameterValue", `${issue.path.join(".") || "The request"} ${issue.message}`);
      }
      const input = parsed.data;
      const queue = byUrl(input.QueueUrl);
      if (!queue) throw missing(input.QueueUrl);
      const policy = policyOf(accessKey);
      if (policy && !allows(policy, "sqs:SendMessage", queue.arn))
        throw new QueueError(
          "AccessDenied",
          `The function's policy does not allow sqs:SendMessage on ${queue.arn}: add an sqs-send preset`,
        );
      const attributes = Object.fromEntries(
        Object.entries(input.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue ?? ""]),
      );
      const { messageId, md5OfMessageBody } = queue.send(input.MessageBody, attributes);
      return { MessageId: messageId, MD5OfMessageBody: md5OfMessageBody };
    },
    StartMessageMoveTask(input) {
      const source = byArn(input.SourceArn);
      if (!source) throw missing(input.SourceArn);
      // Without a destination, SQS moves the messages back to the queues they came from: here, the queue whose DLQ this is.
      const destination = input.DestinationArn
        ? byArn(input.DestinationArn)
        : queues.find((queue) => queue.settings.redrive?.deadLetterQueue === source);
      if (!destination) throw missing(input.DestinationArn);
      return { TaskHandle: source.startMoveTask(destination, input.MaxNumberOfMessagesPerSecond).taskHandle };
    },
    ListMessageMoveTasks(input) {
      const source = byArn(input.SourceArn);
      if (!source) throw missing(input.SourceArn);
      const max = Math.min(Math.max(Number(input.MaxResults ?? 1), 1), 10);
      return {
        Results: source.moveTasks.slice(0, max).map((task) => ({
          TaskHandle: task.status === "RUNNING" ? task.taskHandle : undefined,
          Status: task.status,
          SourceArn: task.sourceArn,
          DestinationArn: task.destinationArn,
          MaxNumberOfMessagesPerSecond: task.maxNumberOfMessagesPerSecond,
          ApproximateNumberOfMessagesMoved: task.approximateNumberOfMessagesMoved,
          ApproximateNumberOfMessagesToMove: task.approximateNumberOfMessagesToMove,
          StartedTimestamp: task.startedTimestamp,
        })),
      };
    },
  };

  /** One request: the `X-Amz-Target` header names the action (`AmazonSQS.GetQueueAttributes`), the body is its input. */
  return (
    target: string | undefined,
    body: string,
    accessKey?: string,
  ): { statusCode: number; headers: Record<string, string>; body: string } => {
    const action = /^AmazonSQS\.(\w+)$/.exec(target ?? "")?.[1];
    const headers = { "content-type": "application/x-amz-json-1.0" };
    try {
      const run = action && Object.hasOwn(actions, action) ? actions[action] : undefined;
      if (!run)
        throw new QueueError(
          "UnsupportedOperation",
          `The local queue does not support ${String(target)}: it serves ${Object.keys(actions).join(", ")}.`,
        );
      let input: unknown;
      try {
        input = JSON.parse(body || "{}");
      } catch {
        throw new QueueError("InvalidParameterValue", "The request body is not JSON.");
      }
      if (input === null || typeof input !== "object")
        throw new QueueError("InvalidParameterValue", "The request body must be a JSON object.");
      return { statusCode: 200, headers, body: JSON.stringify(run(input as Record<string, unknown>, accessKey)) };
    } catch (error) {
      const code = error instanceof QueueError ? error.code : "InternalError";
      return {
        statusCode: code === "InternalError" ? 500 : code === "AccessDenied" ? 403 : 400,
        headers: { ...headers, "x-amzn-query-error": `AWS.SimpleQueueService.${code};Sender` },
        body: JSON.stringify({ __type: `com.amazonaws.sqs#${code}`, message: (error as Error).message }),
      };
    }
  };
}
