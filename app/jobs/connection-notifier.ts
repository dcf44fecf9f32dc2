import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import type { Notifier } from "./process-job-message";

/** Posts to WebSocket connections through the API's management endpoint (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`). */
export function connectionNotifier(client: ApiGatewayManagementApiClient): Notifier {
  return {
    async notify(connectionId, message) {
      try {
        await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify(message) }));
        return "delivered";
      } catch (error) {
        if (error instanceof GoneException || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410) return "gone";
        throw error;
      }
    },
  };
}
