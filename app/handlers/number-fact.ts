import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import * as z from "zod/mini";
import { lambdaArchitecture } from "../core/architecture";
import { describeValue } from "../core/describe-value";
import { fetchNumberFact, NUMBER_FACT_TYPES, UpstreamError } from "../core/number-fact";
import { BadRequest, jsonBody, requireMethod, validate } from "../http/request";
import { errorResponse, jsonResponse } from "../http/responses";
import { instrumented, recordMetric } from "../observability/telemetry";

// Read once per execution environment (INIT), not per request.
const source = {
  baseUrl: process.env.NUMBERS_API_URL ?? "http://numbersapi.com",
  timeoutMs: Number(process.env.NUMBERS_API_TIMEOUT_MS ?? 3000),
};
if (!Number.isInteger(source.timeoutMs) || source.timeoutMs <= 0) {
  throw new Error(`NUMBERS_API_TIMEOUT_MS must be a whole number of milliseconds above 0, got "${process.env.NUMBERS_API_TIMEOUT_MS}"`);
}
const architecture = lambdaArchitecture();

const numberError = (issue: { input?: unknown }) =>
  issue.input === undefined
    ? 'is required, for example {"number": "345"}'
    : `must be a whole number (digits only), got ${describeValue(issue.input)}`;

const requestBody = z.object({
  number: z.pipe(
    z.union([z.int(), z.string().check(z.regex(/^-?\d{1,15}$/, { error: numberError }))], { error: numberError }),
    z.transform((value) => Number(value)),
  ),
  type: z._default(
    z.enum(NUMBER_FACT_TYPES, {
      error: (issue) => `must be one of ${NUMBER_FACT_TYPES.join(", ")}, got ${describeValue(issue.input)}`,
    }),
    "trivia",
  ),
});

/** POST /number {"number": "345", "type": "date"} -> a fact about that number from the numbers API. */
export const handler = instrumented(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  try {
    requireMethod(event, "POST");
    const request = validate(requestBody, jsonBody(event), "body");
    const started = performance.now();
    const fact = await fetchNumberFact(request, source).catch((error: unknown) => {
      if (error instanceof UpstreamError) recordMetric("UpstreamFailures");
      throw error;
    });
    recordMetric("UpstreamLatency", performance.now() - started);
    return jsonResponse(200, { architecture, number: request.number, type: request.type, fact });
  } catch (error) {
    if (error instanceof BadRequest) return error.response;
    if (error instanceof UpstreamError) return errorResponse(502, `${error.message}. Try again later.`);
    throw error;
  }
});
