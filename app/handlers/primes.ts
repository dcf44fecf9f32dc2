import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import * as z from "zod/mini";
import { lambdaArchitecture } from "../core/architecture";
import { describeValue } from "../core/describe-value";
import { countPrimes, MAX_PRIME_LIMIT } from "../core/prime-count";
import { BadRequest, requireMethod, validate } from "../http/request";
import { jsonResponse } from "../http/responses";
import { instrumented } from "../observability/telemetry";

const architecture = lambdaArchitecture();
const DEFAULT_MAX = 1_000_000;

const query = z.object({
  max: z._default(
    z.pipe(
      z.string().check(
        z.regex(/^\d{1,9}$/, {
          error: (issue) => `must be a whole number from 1 to ${MAX_PRIME_LIMIT}, got ${describeValue(issue.input)}`,
        }),
      ),
      z.pipe(
        z.transform((value: string) => Number(value)),
        z
          .int()
          .check(
            z.gte(1, { error: (issue) => `must be at least 1, got ${describeValue(issue.input)}` }),
            z.lte(MAX_PRIME_LIMIT, { error: (issue) => `must be at most ${MAX_PRIME_LIMIT}, got ${describeValue(issue.input)}` }),
          ),
      ),
    ),
    DEFAULT_MAX,
  ),
});

/** GET /primes?max=1000000 -> how many primes are <= max, and how long counting took. CPU-bound on purpose. */
export const handler = instrumented(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  try {
    requireMethod(event, "GET");
    const { max } = validate(query, event.queryStringParameters ?? {}, "query");
    const started = performance.now();
    const count = countPrimes(max);
    const elapsedMs = Math.round((performance.now() - started) * 1000) / 1000;
    return jsonResponse(200, { architecture, max, count, elapsedMs });
  } catch (error) {
    if (error instanceof BadRequest) return error.response;
    throw error;
  }
});
