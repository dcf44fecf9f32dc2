import type { IncomingMessage } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { tokenVerifier, TokenRejected } from "../../app/auth/token-verifier";
import { JOB_SUBMIT_ROUTE } from "../../app/functions";
import type { StackConfig } from "../../config";
import type { LocalTokenIssuer } from "../auth/token-issuer";
import { LocalFunction, Throttled } from "../lambda/local-function";
import { INVOKE_LIMITS, type LocalInvocation } from "../lambda/local-lambda";
import type { LocalQueue } from "../sqs/local-queue";
import { gatewayError, httpApiEvent, httpResponseOf, httpRoute } from "./http-api-event";
import { apiGatewayId } from "./websocket-gateway";

/**
 * API Gateway HTTP API quotas the local API keeps (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html):
 * a 10 MB payload, 10,240 bytes of request line and headers, a 30 s integration timeout.
 */
export const HTTP_API_LIMITS = { maxBodyBytes: 10 * 1024 * 1024, maxHeaderBytes: 10_240, integrationTimeoutMs: 30_000 } as const;

/** What the local HTTP API answers: a status, headers and a body. */
export type HttpAnswer = { statusCode: number; headers: Record<string, string | string[]>; body: Buffer | string };

export interface LocalHttpApiOptions {
  config: StackConfig;
  issuer: LocalTokenIssuer;
  /** The functions that run locally, by name; a routed function missing here runs on a stack only (`stackOnly`, why). */
  functions: Record<string, LocalFunction>;
  stackOnly: Record<string, string>;
  /** Where POST /jobs sends (the SQS-SendMessage integration). */
  jobs: LocalQueue;
  log(line: string): void;
}

/**
 * The stack's HTTP API on this machine: every `route` of the app's functions and of the functions with
 * their own image as a payload 2.0 Lambda proxy integration, `POST /jobs` as the SQS integration, and the
 * JWT authorizer on authorized routes (the same token rules as the deployed one, app/auth/token-verifier.ts).
 */
export function localHttpApi(options: LocalHttpApiOptions) {
  const { config, issuer, functions, stackOnly, jobs, log } = options;
  const verify = tokenVerifier({ issuer: issuer.issuer, audience: [issuer.clientId], scope: issuer.scope, jwksUri: issuer.jwksUri });
  const routes = [
    ...config.everyFunction.filter((fn) => fn.route).map((fn) => ({ route: httpRoute(fn.route!), fn, authorized: fn.authorized })),
    { route: httpRoute(JOB_SUBMIT_ROUTE), fn: undefined, authorized: true },
  ];

  return {
    /** The answer to a request the platform did not route elsewhere (its body already read). */
    async handle(request: IncomingMessage, url: URL, method: string, body: Buffer): Promise<HttpAnswer> {
      const matched = routes
        .map((entry) => ({ ...entry, pathParameters: entry.route.match(method, url.pathname) }))
        .find((entry) => entry.pathParameters);
      if (!matched) return gatewayError(404, "Not Found");
      const requestId = apiGatewayId();
      let claims: Record<string, unknown> | undefined;
      if (matched.authorized) {
        const authorization = request.headers.authorization?.replace(/^Bearer\s+/i, "");
        try {
          await verify(authorization);
          claims = JSON.parse(Buffer.from(authorization!.split(".")[1], "base64url").toString("utf8"));
        } catch (error) {
          log(
            `${matched.route.routeKey}: ${error instanceof TokenRejected ? "token refused" : "issuer unavailable"}: ${(error as Error).message}`,
          );
          // A bad token is the caller's 401; keys that cannot be fetched are the gateway's failure, not the caller's.
          return error instanceof TokenRejected ? gatewayError(401, "Unauthorized") : gatewayError(503, "Service Unavailable");
        }
      }
      const routeKey = matched.route.routeKey;
      if (!matched.fn) {
        // POST /jobs: the SQS-SendMessage integration; jobId and owner are the gateway's, never the client's.
        try {
          const sent = jobs.send(body.toString("utf8"), { jobId: requestId, owner: String(claims!.sub) });
          return {
            statusCode: 202,
            headers: { "content-type": "application/json", "x-job-id": requestId },
            body: JSON.stringify({ MessageId: sent.messageId, MD5OfMessageBody: sent.md5OfMessageBody }),
          };
        } catch (error) {
          return gatewayError(400, (error as Error).message);
        }
      }
      if (!Object.hasOwn(functions, matched.fn.name))
        return gatewayError(501, `${matched.fn.name} runs on a stack only: ${stackOnly[matched.fn.name]}`);
      const event = httpApiEvent(request, body, { routeKey, pathParameters: matched.pathParameters! }, requestId, claims);
      if (Buffer.byteLength(JSON.stringify(event)) > INVOKE_LIMITS.requestResponseBytes)
        return gatewayError(413, "Request Entity Too Large");
      let invocation: LocalInvocation | undefined;
      try {
        // API Gateway stops waiting after its integration timeout; the function runs on, as in AWS.
        const timeout = sleep(HTTP_API_LIMITS.integrationTimeoutMs, undefined, { ref: false });
        invocation = await Promise.race([functions[matched.fn.name].invoke(event), timeout]);
      } catch (error) {
        if (error instanceof Throttled) return gatewayError(503, "Service Unavailable");
        throw error;
      }
      if (!invocation) return gatewayError(503, "Service Unavailable");
      if (!invocation.ok)
        return invocation.error?.errorType === "Sandbox.Timedout"
          ? gatewayError(503, "Service Unavailable")
          : gatewayError(500, "Internal Server Error");
      return httpResponseOf(invocation.result);
    },
  };
}
