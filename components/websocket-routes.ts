// The WebSocket API's job routes as a client meets them: the `submit` model (checked at the edge), the SQS
// request its integration sends, and the answers. WebSocketApi deploys them, npm run dev's gateway serves
// the same; no Pulumi here.
import { JOB_TYPES, jobRequestJsonSchema } from "../app/core/job-types";

/**
 * What a client sends: {"action": "submit", "type": "primes", "input": {"max": 1000000}}. Derived from
 * the job types of app/core/job-types.ts (one alternative per type, with its input's rules), so the edge
 * refuses what the worker would. The worker still checks what a schema cannot say (size, depth, characters).
 */
export function submitModel(): object {
  return {
    $schema: "http://json-schema.org/draft-04/schema#",
    title: "SubmitJob",
    type: "object",
    required: ["action", "type"],
    properties: { action: { enum: ["submit"] }, type: { enum: JOB_TYPES } },
    ...jobRequestJsonSchema(),
  };
}

/**
 * The SQS SendMessage request (Query protocol) the `submit` route sends: the client's message is the
 * body; connectionId, jobId and owner come from API Gateway's context, never from the client.
 */
export const SUBMIT_REQUEST_TEMPLATE = [
  "Action=SendMessage",
  "MessageBody=$util.urlEncode($input.body)",
  "MessageAttribute.1.Name=connectionId",
  "MessageAttribute.1.Value.DataType=String",
  "MessageAttribute.1.Value.StringValue=$util.urlEncode($context.connectionId)",
  "MessageAttribute.2.Name=jobId",
  "MessageAttribute.2.Value.DataType=String",
  "MessageAttribute.2.Value.StringValue=$util.urlEncode($context.requestId)",
  "MessageAttribute.3.Name=owner",
  "MessageAttribute.3.Value.DataType=String",
  "MessageAttribute.3.Value.StringValue=$util.urlEncode($context.authorizer.principalId)",
].join("&");

/** What `submit` answers on the connection: the job id when SQS took the message, an error otherwise (VTL). */
export const SUBMIT_RESPONSES = {
  ok: '{"jobId": "$context.requestId", "status": "queued"}',
  failed: '{"error": "The job could not be queued; try again."}',
} as const;

/** What `$default` (any other action, or a frame that is not JSON) answers. */
export const USAGE = JSON.stringify({
  error: 'Unknown action. Send {"action": "submit", "type": "primes", "input": {"max": 1000000}}; the result arrives on this connection.',
});
