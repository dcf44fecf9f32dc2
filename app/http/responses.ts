import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/** A JSON response for an API Gateway HTTP API (payload format 2.0). */
export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

/** A client error: says what was wrong so the caller can fix the request. */
export function errorResponse(
  statusCode: number,
  message: string,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return jsonResponse(statusCode, { error: message }, headers);
}
