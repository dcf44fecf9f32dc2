import type { APIGatewayProxyEventV2 } from "aws-lambda";

/** A real-shaped API Gateway HTTP API (payload format 2.0) event, as Lambda receives it. */
export function httpEvent(request: {
  method: string;
  path: string;
  routeKey?: string;
  query?: Record<string, string>;
  body?: string;
  base64?: boolean;
}): APIGatewayProxyEventV2 {
  const rawQueryString = new URLSearchParams(request.query ?? {}).toString();
  return {
    version: "2.0",
    routeKey: request.routeKey ?? `${request.method} ${request.path}`,
    rawPath: request.path,
    rawQueryString,
    headers: {
      accept: "*/*",
      "content-length": String(request.body?.length ?? 0),
      "content-type": "application/json",
      host: "abc123.execute-api.us-east-1.amazonaws.com",
      "user-agent": "curl/8.5.0",
      "x-forwarded-for": "203.0.113.10",
      "x-forwarded-port": "443",
      "x-forwarded-proto": "https",
    },
    queryStringParameters: request.query,
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.us-east-1.amazonaws.com",
      domainPrefix: "abc123",
      http: { method: request.method, path: request.path, protocol: "HTTP/1.1", sourceIp: "203.0.113.10", userAgent: "curl/8.5.0" },
      requestId: "JzQ9AhW2oAMEVhA=",
      routeKey: request.routeKey ?? `${request.method} ${request.path}`,
      stage: "$default",
      time: "22/Nov/2026:15:00:00 +0000",
      timeEpoch: 1795100400000,
    },
    body: request.base64 && request.body ? Buffer.from(request.body).toString("base64") : request.body,
    isBase64Encoded: request.base64 ?? false,
  };
}

/** The JSON body of a handler's response. */
export function bodyOf(response: { body?: string }): any {
  return JSON.parse(response.body ?? "null");
}
