import { LOCAL_AWS } from "../iam/local-account";
import { allows, type LocalStatement } from "../iam/local-iam";
import { Throttled, type LocalFunction } from "./local-function";
import { INVOKE_LIMITS, type LocalInvocation } from "./local-lambda";

export const localFunctionArn = (name: string) => `arn:aws:lambda:${LOCAL_AWS.region}:${LOCAL_AWS.account}:function:${name}`;

export interface InvokeAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const failure = (statusCode: number, type: string, message: string): InvokeAnswer => ({
  statusCode,
  headers: { "content-type": "application/json", "x-amzn-errortype": type },
  body: JSON.stringify({ Type: statusCode < 500 ? "User" : "Service", message }),
});

/** A function name as Invoke takes it: the name, `<account>:function:<name>` or the whole ARN, with no qualifier. */
function nameOf(functionName: string): string | undefined {
  const match = /^(?:(?:arn:aws:lambda:[a-z0-9-]+:)?\d{12}:function:)?([a-zA-Z0-9_-]{1,64})$/.exec(functionName);
  return match?.[1];
}

/**
 * Lambda's Invoke (POST /2015-03-31/functions/<name>/invocations, as the AWS SDK sends it to
 * AWS_ENDPOINT_URL_LAMBDA) for the local functions: RequestResponse, Event (202, run in the background)
 * and DryRun (204); the caller's own policy must allow lambda:InvokeFunction on the function (its
 * `invoke` preset), the payload must be JSON within the limits, a function error is a 200 with
 * X-Amz-Function-Error, a busy function is a 429; LogType Tail returns the log's last 4 KB. Not kept:
 * qualifiers, async retries and destinations.
 */
export function lambdaEndpoint(
  functions: () => Record<string, LocalFunction | { runsOnAStackOnly: string }>,
  policyOf: (accessKey: string | undefined) => LocalStatement[],
  log: (line: string) => void,
) {
  return async (
    request: { method: string; path: string; headers: Record<string, string | undefined>; body: Buffer },
    accessKey: string | undefined,
  ): Promise<InvokeAnswer> => {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(request.path);
    if (request.method !== "POST" || !match) return failure(404, "UnknownOperationException", "The local Lambda serves Invoke only");
    let requested: string;
    try {
      requested = decodeURIComponent(match[1]);
    } catch {
      return failure(400, "InvalidParameterValueException", "The function name is not percent-encoded UTF-8");
    }
    const name = nameOf(requested);
    const fn = name === undefined ? undefined : Object.hasOwn(functions(), name) ? functions()[name] : undefined;
    if (!name || !fn) return failure(404, "ResourceNotFoundException", `Function not found: ${localFunctionArn(requested.slice(0, 140))}`);
    const arn = localFunctionArn(name);
    if (!allows(policyOf(accessKey), "lambda:InvokeFunction", arn))
      return failure(
        403,
        "AccessDeniedException",
        `${accessKey ? "The function's policy" : "An unsigned request"} does not allow lambda:InvokeFunction on ${arn}: add an invoke preset`,
      );
    if ("runsOnAStackOnly" in fn) return failure(404, "ResourceNotFoundException", `${name} does not run locally: ${fn.runsOnAStackOnly}`);

    const type = request.headers["x-amz-invocation-type"] ?? "RequestResponse";
    if (!["RequestResponse", "Event", "DryRun"].includes(type))
      return failure(400, "InvalidParameterValueException", "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun");
    const limit = type === "Event" ? INVOKE_LIMITS.eventBytes : INVOKE_LIMITS.requestResponseBytes;
    if (request.body.length > limit)
      return failure(413, "RequestTooLargeException", `Request must be smaller than ${limit} bytes for the Invoke operation`);
    let event: unknown;
    try {
      const text = new TextDecoder("utf-8", { fatal: true }).decode(request.body);
      event = text.trim() === "" ? {} : JSON.parse(text);
    } catch {
      return failure(400, "InvalidRequestContentException", "Could not parse request body into json: the payload must be JSON in UTF-8");
    }
    if (type === "DryRun") return { statusCode: 204, headers: {}, body: "" };
    if (type === "Event") {
      fn.invoke(event).catch((error: unknown) => log(`${name} (Event): ${(error as Error).message}`));
      return { statusCode: 202, headers: {}, body: "" };
    }

    let invocation: LocalInvocation;
    try {
      invocation = await fn.invoke(event);
    } catch (error) {
      if (error instanceof Throttled) return failure(429, "TooManyRequestsException", error.message);
      throw error;
    }
    // LogType Tail: the last 4 KB of the invocation's log, its REPORT line included, as Lambda returns it.
    const tail = Buffer.from(`${invocation.logs}${invocation.report}\n`).subarray(-4096).toString("base64");
    const headers = {
      "content-type": "application/json",
      "x-amz-executed-version": "$LATEST",
      ...(request.headers["x-amz-log-type"] === "Tail" && { "x-amz-log-result": tail }),
    };
    const errorBody = (error: NonNullable<LocalInvocation["error"]>) =>
      JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, stackTrace: error.trace ?? [] });
    if (!invocation.ok)
      return { statusCode: 200, headers: { ...headers, "x-amz-function-error": "Unhandled" }, body: errorBody(invocation.error!) };
    const body = JSON.stringify(invocation.result ?? null);
    if (Buffer.byteLength(body) > INVOKE_LIMITS.requestResponseBytes) {
      const message = `Response payload size (${Buffer.byteLength(body)} bytes) exceeded maximum allowed payload size (${INVOKE_LIMITS.requestResponseBytes} bytes).`;
      return {
        statusCode: 200,
        headers: { ...headers, "x-amz-function-error": "Unhandled" },
        body: errorBody({ errorType: "Function.ResponseSizeTooLarge", errorMessage: message }),
      };
    }
    return { statusCode: 200, headers, body };
  };
}
