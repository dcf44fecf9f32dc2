import { QueueError, type LocalQueue } from "./local-queue";

/** The local queues as SQS's API (AWS JSON 1.0 protocol) serves them: `npm run redrive -- --local` uses them through the AWS SDK's own SQSClient. */
export function sqsEndpoint(queues: LocalQueue[], queueUrl: (queue: LocalQueue) => string) {
  const byUrl = (url: unknown) => queues.find((queue) => queueUrl(queue) === url);
  const byArn = (arn: unknown) => queues.find((queue) => queue.arn === arn);
  const missing = (what: unknown) => new QueueError("QueueDoesNotExist", `The specified queue does not exist: ${String(what)}`);

  const actions: Record<string, (input: Record<string, any>) => object> = {
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
      const names: string[] = input.AttributeNames ?? [];
      return { Attributes: names.includes("All") ? all : Object.fromEntries(Object.entries(all).filter(([name]) => names.includes(name))) };
    },
    SendMessage(input) {
      const queue = byUrl(input.QueueUrl);
      if (!queue) throw missing(input.QueueUrl);
      const attributes = Object.fromEntries(
        Object.entries(input.MessageAttributes ?? {}).map(([name, value]: [string, any]) => [name, String(value?.StringValue ?? "")]),
      );
      const { messageId, md5OfMessageBody } = queue.send(String(input.MessageBody ?? ""), attributes);
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
  return (target: string | undefined, body: string): { statusCode: number; headers: Record<string, string>; body: string } => {
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
      return { statusCode: 200, headers, body: JSON.stringify(run(input as Record<string, unknown>)) };
    } catch (error) {
      const code = error instanceof QueueError ? error.code : "InternalError";
      return {
        statusCode: code === "InternalError" ? 500 : 400,
        headers: { ...headers, "x-amzn-query-error": `AWS.SimpleQueueService.${code};Sender` },
        body: JSON.stringify({ __type: `com.amazonaws.sqs#${code}`, message: (error as Error).message }),
      };
    }
  };
}
