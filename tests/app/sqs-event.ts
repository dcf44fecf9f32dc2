import type { SQSEvent, SQSRecord } from "aws-lambda";

let sequence = 0;

/** An SQS record as Lambda's event source mapping delivers it, with String message attributes. */
export function sqsRecord(body: string, attributes: Record<string, string | undefined>): SQSRecord {
  const id = ++sequence;
  return {
    messageId: `00000000-0000-4000-8000-${String(id).padStart(12, "0")}`,
    receiptHandle: `receipt-${id}`,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: String(Date.now()),
      SenderId: "AROAEXAMPLE:apigateway",
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(attributes)
        .filter((entry): entry is [string, string] => entry[1] !== undefined)
        .map(([name, value]) => [name, { stringValue: value, stringListValues: [], binaryListValues: [], dataType: "String" }]),
    ),
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:graviton-platform-jobs",
    awsRegion: "us-east-1",
  };
}

export const sqsEvent = (records: SQSRecord[]): SQSEvent => ({ Records: records });
