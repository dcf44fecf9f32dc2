import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type * as z from "zod/mini";
import { describeValue } from "../core/describe-value";
import { jsonBoundsProblem } from "../core/job-bounds";
import { errorResponse } from "./responses";

/** A request that cannot be served; `response` says why (a 4xx with a specific message). */
export class BadRequest extends Error {
  constructor(readonly response: APIGatewayProxyStructuredResultV2) {
    super(typeof response.body === "string" ? response.body : "bad request");
  }
}

/** Refuses any method but `allowed` with 405 and an Allow header. */
export function requireMethod(event: APIGatewayProxyEventV2, allowed: string): void {
  const method = (event as Partial<APIGatewayProxyEventV2> | null)?.requestContext?.http?.method;
  if (typeof method !== "string") {
    throw new BadRequest(
      errorResponse(400, "The event is not an API Gateway HTTP API request (payload format 2.0): it has no requestContext.http.method."),
    );
  }
  if (method !== allowed) {
    throw new BadRequest(errorResponse(405, `Method ${method} is not allowed on ${event.rawPath}; use ${allowed}.`, { allow: allowed }));
  }
}

/**
 * Parses the request body as a JSON object (base64-decoding it first when API Gateway encoded it), within
 * the platform's bounds on JSON (depth, characters, finite numbers: app/core/job-bounds.ts).
 */
export function jsonBody(event: APIGatewayProxyEventV2): unknown {
  if (!event.body) throw new BadRequest(errorResponse(400, "Request body is missing; send a JSON object."));
  const text = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new BadRequest(errorResponse(400, `Request body is not valid JSON: ${(error as Error).message.slice(0, 200)}`));
  }
  const outOfBounds = jsonBoundsProblem(body);
  if (outOfBounds) throw new BadRequest(errorResponse(400, `Invalid ${outOfBounds}`));
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new BadRequest(errorResponse(400, `Request body must be a JSON object, got ${describeValue(body)}`));
  }
  return body;
}

/** Validates `input` against `schema`, turning the first problem into a 400 that names the field. */
export function validate<T extends z.ZodMiniType>(schema: T, input: unknown, where: string): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length > 0 ? `${where}.${issue.path.join(".")}` : where;
  throw new BadRequest(errorResponse(400, `Invalid ${field}: ${issue.message}`));
}
