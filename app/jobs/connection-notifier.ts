import { AwsV4Signer } from "aws4fetch";
import { roleCredentials } from "../auth/role-credentials";
import type { Notifier } from "./process-job-message";

/**
 * Bounds of one post to a connection: each attempt gives up after `requestTimeoutMs` (a management
 * endpoint that hangs or cannot be reached, with no route out of the VPC, never costs the function's
 * whole timeout), and a throttle (429), a 5xx, a refused connection or a timed-out attempt is tried once more. The worker also aborts every post
 * still pending at its own deadline.
 */
export const NOTIFY_LIMITS = { requestTimeoutMs: 2000, maxAttempts: 2 } as const;

/** Where and how to post: the stage's management endpoint, `https://{api}.execute-api.{region}.amazonaws.com/{stage}`. */
export interface ManagementClient {
  endpoint: string;
  region: string;
  maxAttempts: number;
}

export function managementClient(
  endpoint: string,
  region = process.env.AWS_REGION ?? "",
  maxAttempts: number = NOTIFY_LIMITS.maxAttempts,
): ManagementClient {
  return { endpoint: endpoint.replace(/\/$/, ""), region, maxAttempts };
}

/**
 * Posts to WebSocket connections: API Gateway's PostToConnection (POST {endpoint}/@connections/{id}, the
 * message as the body), signed with SigV4 for execute-api by aws4fetch's 11 KB signer instead of the
 * SDK client (~250 KB of bundle and import time on every cold start of the worker). 410 = the client is gone.
 */
export function connectionNotifier(client: ManagementClient): Notifier {
  return {
    async notify(connectionId, message, signal) {
      const url = `${client.endpoint}/@connections/${encodeURIComponent(connectionId)}`;
      const body = JSON.stringify(message);
      for (let attempt = 1; ; attempt++) {
        const request = await new AwsV4Signer({
          method: "POST",
          url,
          body,
          headers: { "content-type": "application/json" },
          ...roleCredentials(),
          service: "execute-api",
          region: client.region,
        }).sign();
        let response: Response;
        try {
          response = await fetch(request.url, {
            method: request.method,
            headers: request.headers,
            body,
            signal: AbortSignal.any([signal, AbortSignal.timeout(NOTIFY_LIMITS.requestTimeoutMs)]),
          });
        } catch (error) {
          // A refused connection or an attempt that timed out is tried again, unless the worker's own deadline passed.
          if (signal.aborted || attempt >= client.maxAttempts) throw error;
          continue;
        }
        const text = await response.text();
        if (response.ok) return "delivered";
        if (response.status === 410) return "gone";
        if ((response.status === 429 || response.status >= 500) && attempt < client.maxAttempts) continue;
        throw new Error(`PostToConnection answered ${response.status}: ${text.slice(0, 200)}`);
      }
    },
  };
}
