import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { databaseSettingsFromEnvironment } from "../data/database-settings";
import { createPool } from "../data/pool";
import { connectionNotifier } from "../jobs/connection-notifier";
import type { Notifier } from "../jobs/process-job-message";
import { sqsWorker } from "../jobs/sqs-worker";

// INIT, once per execution environment: the pool (app user, IAM auth, through RDS Proxy) and the
// WebSocket management API client.
const endpoint = process.env.WEBSOCKET_MANAGEMENT_ENDPOINT;
const notifier: Notifier = endpoint
  ? connectionNotifier(new ApiGatewayManagementApiClient({ endpoint }))
  : { notify: async () => "gone" }; // no WebSocket API in this stack: results are read with GET /jobs/{id}

/** SQS -> this worker (capped concurrency) -> PostgreSQL -> the client's WebSocket connection. */
export const handler = sqsWorker({
  db: createPool(databaseSettingsFromEnvironment()),
  notifier,
  log: (entry) => console.log(JSON.stringify(entry)),
});
