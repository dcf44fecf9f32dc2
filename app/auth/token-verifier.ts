import { errors, jwtVerify } from "jose";
import { principalProblem } from "../core/principal";
import type { TokenRejectionReason } from "../observability/metric-catalogue";
import { remoteKeySet } from "./remote-key-set";

export interface TokenIssuerSettings {
  /** The tokens' `iss`, e.g. https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC. */
  issuer: string;
  /** Accepted audiences: the token's `aud`, or, when it has none, its `client_id` (API Gateway's rule). */
  audience: string[];
  /** The scope every accepted access token carries (the HTTP API routes require the same one). */
  scope: string;
  /** Where the issuer publishes its signing keys. @default `<issuer>/.well-known/jwks.json` */
  jwksUri?: string;
}

/**
 * The limits of an accepted token. The key fetch is bounded well inside the authorizer's 5 s timeout;
 * the clock skew is what API Gateway's own JWT authorizer tolerates in spirit (a minute at most); a token
 * issued more than a day ago is refused whatever its `exp` (Cognito issues them for at most a day).
 */
export const TOKEN_LIMITS = { jwksTimeoutMs: 3000, clockSkewSeconds: 60, maxTokenAge: "1d", maxTokenLength: 16 * 1024 } as const;

/** The token was not accepted; the message says why (for logs, never for the client), the reason its class (for metrics). */
export class TokenRejected extends Error {
  override readonly name = "TokenRejected";
  constructor(
    readonly reason: TokenRejectionReason,
    message: string,
  ) {
    super(message);
  }
}

/** The issuer's keys could not be had (timeout, an error page, a refused connection): an outage, not a bad token. */
export class IssuerUnavailable extends Error {
  override readonly name = "IssuerUnavailable";
}

/** jose errors that say the token itself is bad, with their reason class; any other failure is the key fetch's. */
const REJECTIONS: [new (...args: any[]) => Error, TokenRejectionReason][] = [
  [errors.JWTExpired, "expired"],
  [errors.JWTClaimValidationFailed, "claims"],
  [errors.JWTInvalid, "malformed"],
  [errors.JWSInvalid, "malformed"],
  [errors.JWSSignatureVerificationFailed, "signature"],
  [errors.JOSEAlgNotAllowed, "malformed"],
  [errors.JOSENotSupported, "malformed"],
  [errors.JWKSNoMatchingKey, "unknown-key"],
  [errors.JWKSMultipleMatchingKeys, "unknown-key"],
];

/**
 * Verifies access tokens against the issuer's published keys (fetched once, cached, refetched when a
 * token names a key the cache lacks), as the HTTP API's JWT authorizer does, so both APIs accept exactly
 * the same tokens: signature (RS256 or ES256), `iss`, `exp` (required) and `nbf`/`iat` within the clock
 * skew, `aud` (or `client_id` when there is no `aud`) among the audiences, and the scope. ID tokens carry
 * no scope and are refused. Returns the principal, the token's `sub`. Create it once per execution environment.
 */
export function tokenVerifier(
  settings: TokenIssuerSettings,
  jwksTimeoutMs: number = TOKEN_LIMITS.jwksTimeoutMs,
): (token: string | undefined) => Promise<{ sub: string }> {
  const jwksUri = settings.jwksUri ?? `${settings.issuer.replace(/\/$/, "")}/.well-known/jwks.json`;
  const keys = remoteKeySet(new URL(jwksUri), jwksTimeoutMs);
  return async (token) => {
    if (!token)
      throw new TokenRejected(
        "missing",
        "no token: send it as Authorization: Bearer <JWT> over HTTP, or ?token=<JWT> to connect a WebSocket",
      );
    if (token.length > TOKEN_LIMITS.maxTokenLength)
      throw new TokenRejected("malformed", `the token is ${token.length} characters; at most ${TOKEN_LIMITS.maxTokenLength}`);
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: settings.issuer,
        algorithms: ["RS256", "ES256"],
        requiredClaims: ["exp", "iat"],
        clockTolerance: TOKEN_LIMITS.clockSkewSeconds,
        maxTokenAge: TOKEN_LIMITS.maxTokenAge,
      }));
    } catch (error) {
      const rejection = REJECTIONS.find(([kind]) => error instanceof kind);
      if (rejection) throw new TokenRejected(rejection[1], `${(error as errors.JOSEError).code}: ${(error as Error).message}`);
      throw new IssuerUnavailable(`the issuer's keys at ${jwksUri} could not be fetched: ${(error as Error).message}`);
    }
    const audience = payload.aud ?? payload.client_id;
    const audiences = Array.isArray(audience) ? audience : [audience];
    if (!audiences.some((value) => typeof value === "string" && settings.audience.includes(value))) {
      throw new TokenRejected(
        "claims",
        `unexpected ${payload.aud === undefined ? '"client_id"' : '"aud"'}: the token is not for this app's client`,
      );
    }
    if (payload.token_use !== undefined && payload.token_use !== "access")
      throw new TokenRejected("claims", `the token is an ${String(payload.token_use).slice(0, 20)} token; use an access token`);
    const scopes = typeof payload.scope === "string" ? payload.scope.split(" ") : [];
    if (!scopes.includes(settings.scope))
      throw new TokenRejected("claims", `the token lacks the scope "${settings.scope}" (an ID token has none; use an access token)`);
    const subjectProblem = principalProblem(payload.sub);
    if (subjectProblem) throw new TokenRejected("claims", `the token's sub ${subjectProblem}`);
    return { sub: payload.sub as string };
  };
}
