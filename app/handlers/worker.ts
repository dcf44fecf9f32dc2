import { databaseSettingsFromEnvironment } from "../data/database-settings";
import { createPool } from "../data/pool";
import { connectionNotifier, managementClient } from "../jobs/connection-notifier";
import { sqsWorker } from "../jobs/sqs-worker";
import { instrumented, logger, recordMetric } from "../observability/telemetry";

// INIT, once per execution environment: the pool (app user, IAM auth, through RDS Proxy) and the
// notifier of WebSocket connections (PostToConnection, SigV4-signed).
const endpoint = process.env.WEBSOCKET_MANAGEMENT_ENDPOINT;
if (!endpoint) {
  throw new Error(
    "WEBSOCKET_MANAGEMENT_ENDPOINT is not set: index.ts sets it from the WebSocket API for functions marked notifiesConnections.",
  );
}

/** SQS -> this worker (capped concurrency) -> PostgreSQL -> the client's WebSocket connection. */
export const handler = instrumented(
  sqsWorker({
    db: createPool(databaseSettingsFromEnvironment()),
    notifier: connectionNotifier(managementClient(endpoint)),
    log: ({ message, ...keys }) => logger.info(String(message), keys),
    metric: recordMetric,
  }),
);
