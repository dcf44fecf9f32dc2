import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { describeValue } from "../core/describe-value";
import { JOB_ID } from "../core/job-types";
import { principalProblem } from "../core/principal";
import { getJob } from "../data/jobs";
import { DatabaseConnectionError } from "../data/pool";
import type { Queryable } from "../data/queryable";
import { BadRequest, requireMethod } from "../http/request";
import { errorResponse, jsonResponse } from "../http/responses";
import { logger } from "../observability/telemetry";

/** Seconds a client should wait before asking again while the database is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * GET /jobs/{id} behind the API's JWT authorizer: the job, to its owner only (the token's `sub`).
 * Anyone else gets the same 404 as for a job that does not exist, so ids reveal nothing. While the
 * database cannot be reached or does not answer, 503 with Retry-After, within the pool's connect and
 * query timeouts (3 s + 5 s, inside the function's 10 s).
 */
export async function jobStatusResponse(
  db: Queryable,
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    requireMethod(event, "GET");
    const owner = event.requestContext.authorizer?.jwt?.claims?.sub;
    const ownerProblem = principalProblem(owner);
    if (ownerProblem) return errorResponse(401, `The token's subject (sub) ${ownerProblem}; sign in again.`);
    const id = event.pathParameters?.id ?? "";
    if (!JOB_ID.test(id))
      return errorResponse(400, `Invalid path.id: must be a job id (letters, digits, =, - and _; at most 128), got ${describeValue(id)}`);
    const job = await getJob(db, id, owner as string);
    if (!job) return errorResponse(404, `No job ${id} of yours. Jobs are kept per signed-in user.`);
    return jsonResponse(200, {
      id: job.id,
      type: job.type,
      status: job.status,
      input: job.input,
      result: job.result,
      error: job.error,
      attempts: job.attempts,
      createdAt: job.createdAt.toISOString(),
      finishedAt: job.finishedAt?.toISOString() ?? null,
    });
  } catch (error) {
    if (error instanceof BadRequest) return error.response;
    if (error instanceof DatabaseConnectionError) {
      logger.error("job store unavailable", { error: error.message });
      return errorResponse(503, `The job store is unavailable; try again in ${RETRY_AFTER_SECONDS} seconds.`, {
        "retry-after": String(RETRY_AFTER_SECONDS),
      });
    }
    throw error;
  }
}
