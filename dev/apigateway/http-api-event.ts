import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { IncomingMessage } from "node:http";
import { LOCAL_AWS } from "../iam/local-account";

/** A route of the HTTP API: its key, and a matcher that returns the path parameters. */
export interface HttpRoute {
  routeKey: string;
  match(method: string, path: string): Record<string, string> | undefined;
}

/** `GET /jobs/{id}` -> a matcher (a `{name}` matches one path segment; `{name+}` the rest of the path). */
export function httpRoute(routeKey: string): HttpRoute {
  const [routeMethod, routePath] = routeKey.split(" ");
  const names: string[] = [];
  const pattern = new RegExp(
    `^${routePath
      .split("/")
      .map((segment) => {
        const parameter = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(segment);
        if (!parameter) return segment.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
        names.push(parameter[1]);
        return parameter[2] ? "(.+)" : "([^/]+)";
      })
      .join("/")}$`,
  );
  return {
    routeKey,
    match(method, path) {
      if (method !== routeMethod && routeMethod !== "ANY") return undefined;
      const found = pattern.exec(path);
      if (!found) return undefined;
      try {
        return Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(found[index + 1])]));
      } catch {
        return undefined; // a malformed escape (%zz) matches no route: 404, not a crash
      }
    },
  };
}

/** Content types API Gateway hands to Lambda as text; any other body arrives base64-encoded. */
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|application\/[\w.+-]+\+(json|xml))/i;

/** API Gateway's time format in requestContext.time: 23/Nov/2026:02:33:04 +0000. */
function requestTime(date: Date): string {
  const [, day, month, year, time] = /^\w+, (\d+) (\w+) (\d+) ([\d:]+)/.exec(date.toUTCString())!;
  return `${day.padStart(2, "0")}/${month}/${year}:${time} +0000`;
}

/** Claims as the JWT authorizer passes them: every value a string, lists as "[a b]". */
export function claimsAsStrings(claims: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(claims).map(([name, value]) => [
      name,
      typeof value === "string"
        ? value
        : Array.isArray(value)
          ? `[${value.join(" ")}]`
          : typeof value === "object"
            ? JSON.stringify(value)
            : String(value),
    ]),
  );
}

/**
 * The payload format 2.0 event API Gateway sends a Lambda integration
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):
 * header names in lower case with repeated values joined by commas, cookies apart, repeated query
 * parameters joined by commas, path parameters by the route, the JWT's claims when the route is authorized.
 */
export function httpApiEvent(
  request: IncomingMessage,
  body: Buffer,
  route: { routeKey: string; pathParameters: Record<string, string> },
  requestId: string,
  claims?: Record<string, unknown>,
): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? "/", "http://local");
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index].toLowerCase();
    const value = request.rawHeaders[index + 1];
    if (name === "cookie") cookies = [...(cookies ?? []), ...value.split(/;\s*/)];
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const text = TEXT_TYPES.test(headers["content-type"] ?? "");
  const now = new Date();
  const sourceIp = request.socket.remoteAddress ?? "127.0.0.1";
  return {
    version: "2.0",
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies && { cookies }),
    headers,
    ...(Object.keys(query).length > 0 && { queryStringParameters: query }),
    ...(Object.keys(route.pathParameters).length > 0 && { pathParameters: route.pathParameters }),
    requestContext: {
      accountId: LOCAL_AWS.account,
      apiId: "local",
      ...(claims && {
        authorizer: { jwt: { claims: claimsAsStrings(claims), scopes: typeof claims.scope === "string" ? claims.scope.split(" ") : [] } },
      }),
      domainName: headers.host ?? "127.0.0.1",
      domainPrefix: (headers.host ?? "127").split(".")[0],
      http: {
        method: request.method ?? "GET",
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp,
        userAgent: headers["user-agent"] ?? "",
      },
      requestId,
      routeKey: route.routeKey,
      stage: "$default",
      time: requestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 && { body: text ? body.toString("utf8") : body.toString("base64") }),
    isBase64Encoded: body.length > 0 && !text,
  } as APIGatewayProxyEventV2;
}

/**
 * The HTTP response API Gateway makes of a function's result (payload format 2.0): a result with a
 * statusCode is the response; any other JSON result is a 200 application/json body.
 */
export function httpResponseOf(result: unknown): { statusCode: number; headers: Record<string, string | string[]>; body: Buffer } {
  const structured = result !== null && typeof result === "object" && "statusCode" in result;
  if (!structured) {
    return {
      statusCode: 200,
      headers: { "content-type": "application/json" },
      body: Buffer.from(typeof result === "string" ? result : JSON.stringify(result)),
    };
  }
  const response = result as {
    statusCode: unknown;
    headers?: Record<string, unknown>;
    body?: unknown;
    isBase64Encoded?: boolean;
    cookies?: string[];
  };
  if (!Number.isInteger(response.statusCode)) return gatewayError(500, "Internal Server Error");
  const headers: Record<string, string | string[]> = Object.fromEntries(
    Object.entries(response.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  if (Array.isArray(response.cookies) && response.cookies.length > 0) headers["set-cookie"] = response.cookies.map(String);
  const body =
    typeof response.body === "string" ? Buffer.from(response.body, response.isBase64Encoded ? "base64" : "utf8") : Buffer.alloc(0);
  return { statusCode: response.statusCode as number, headers, body };
}

/** API Gateway's own answers: {"message": "Unauthorized"} and the like. */
export function gatewayError(statusCode: number, message: string) {
  return {
    statusCode,
    headers: { "content-type": "application/json" } as Record<string, string | string[]>,
    body: Buffer.from(JSON.stringify({ message })),
  };
}
