import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import type { Notifier } from "./process-job-message";

/**
 * Bounds of one post to a connection: a management endpoint that hangs or cannot be reached (no route
 * out of the VPC) costs at most this, never the function's whole timeout. The worker also aborts every
 * post still pending at its own deadline.
 */
export const NOTIFY_LIMITS = { connectTimeoutMs: 1000, requestTimeoutMs: 2000, maxAttempts: 2 } as const;

/** The management API client for `https://{api}.execute-api.{region}.amazonaws.com/{stage}`, with bounded calls. */
export function managementClient(endpoint: string, region?: string): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({
    endpoint,
    region,
    maxAttempts: NOTIFY_LIMITS.maxAttempts,
    requestHandler: { connectionTimeout: NOTIFY_LIMITS.connectTimeoutMs, requestTimeout: NOTIFY_LIMITS.requestTimeoutMs },
  });
}

/** Posts to WebSocket connections through the API's management endpoint. */
export function connectionNotifier(client: ApiGatewayManagementApiClient): Notifier {
  return {
    async notify(connectionId, message, signal) {
      try {
        await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify(message) }), {
          abortSignal: signal,
        });
        return "delivered";
      } catch (error) {
        if (error instanceof GoneException || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410)
          return "gone";
        throw error;
      }
    },
  };
}
