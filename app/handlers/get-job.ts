import type { APIGatewayProxyEventV2WithJWTAuthorizer } from "aws-lambda";
import { databaseSettingsFromEnvironment } from "../data/database-settings";
import { createPool } from "../data/pool";
import { jobStatusResponse } from "../jobs/job-status-response";
import { instrumented } from "../observability/telemetry";

// INIT: one pooled connection (app user, IAM auth, through RDS Proxy) per execution environment.
const db = createPool(databaseSettingsFromEnvironment());

/** GET /jobs/{id}: a job's status and result, for its owner; results outlive the WebSocket connection. */
export const handler = instrumented((event: APIGatewayProxyEventV2WithJWTAuthorizer) => jobStatusResponse(db, event));
