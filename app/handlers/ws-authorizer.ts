import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { IssuerUnavailable, tokenVerifier, TokenRejected } from "../auth/token-verifier";
import { instrumented, logger, recordMetric } from "../observability/telemetry";

// INIT: the issuer settings and the key cache live as long as the execution environment.
const issuer = process.env.JWT_ISSUER;
const audience = (process.env.JWT_AUDIENCE ?? "").split(",").filter(Boolean);
const scope = process.env.JWT_SCOPE;
if (!issuer || audience.length === 0 || !scope) {
  throw new Error(
    "JWT_ISSUER, JWT_AUDIENCE (comma-separated client ids) and JWT_SCOPE must be set; index.ts sets them from the stack's token issuer.",
  );
}
const verify = tokenVerifier({ issuer, audience, scope, jwksUri: process.env.JWKS_URI || undefined });

/**
 * The WebSocket API's $connect authorizer (REQUEST type). Browsers cannot set headers on a WebSocket
 * handshake, so the JWT comes in the `token` query string. A bad token gets 401 ("Unauthorized");
 * the principal (the token's sub) becomes $context.authorizer.principalId, the jobs' owner.
 * When the issuer's keys cannot be fetched, that is an outage, not a bad token: the handler fails with
 * IssuerUnavailable, which API Gateway answers with 500, so clients retry instead of signing in again.
 */
export const handler = instrumented(async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  try {
    const { sub } = await verify(event?.queryStringParameters?.token ?? undefined);
    return {
      principalId: sub,
      policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: event.methodArn }] },
    };
  } catch (error) {
    if (error instanceof IssuerUnavailable) logger.error("token issuer unavailable", { reason: error.message });
    if (!(error instanceof TokenRejected)) throw error;
    logger.info("connection refused", { reason: error.reason, detail: error.message });
    recordMetric("TokenRejections", 1, error.reason);
    throw new Error("Unauthorized"); // the one message API Gateway turns into 401
  }
});
