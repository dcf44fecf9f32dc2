import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { getJob } from "../data/jobs";
import type { Queryable } from "../data/queryable";
import { BadRequest, requireMethod } from "../http/request";
import { errorResponse, jsonResponse } from "../http/responses";

/** Job ids are API Gateway request ids: letters, digits, `=`, `-` and `_`. */
const JOB_ID = /^[A-Za-z0-9=_-]{1,128}$/;

/**
 * GET /jobs/{id} behind the API's JWT authorizer: the job, to its owner only (the token's `sub`).
 * Anyone else gets the same 404 as for a job that does not exist, so ids reveal nothing.
 */
export async function jobStatusResponse(db: Queryable, event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    requireMethod(event, "GET");
    const owner = event.requestContext.authorizer?.jwt?.claims?.sub;
    if (typeof owner !== "string" || owner === "") return errorResponse(401, "The token has no subject (sub); sign in again.");
    const id = event.pathParameters?.id ?? "";
    if (!JOB_ID.test(id)) return errorResponse(400, `Invalid path.id: must be a job id (letters, digits, =, - and _; at most 128), got ${JSON.stringify(id.slice(0, 140))}`);
    const job = await getJob(db, id, owner);
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
    throw error;
  }
}
