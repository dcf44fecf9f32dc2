import { createRemoteJWKSet, errors, jwtVerify } from "jose";

export interface TokenIssuerSettings {
  /** The tokens' `iss`, e.g. https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC. */
  issuer: string;
  /** Accepted `aud` values (client ids). */
  audience: string[];
  /** Where the issuer publishes its signing keys. @default `<issuer>/.well-known/jwks.json` */
  jwksUri?: string;
}

/** The token was not accepted; the message says why (for logs, never for the client). */
export class TokenRejected extends Error {
  override readonly name = "TokenRejected";
}

/**
 * Verifies JWTs against the issuer's published keys (fetched once, cached, refetched when a token names
 * a key the cache lacks): signature, expiry, issuer and audience. Returns the principal, the token's sub.
 * Create it once per execution environment.
 */
export function tokenVerifier(settings: TokenIssuerSettings): (token: string | undefined) => Promise<{ sub: string }> {
  const jwksUri = settings.jwksUri ?? `${settings.issuer.replace(/\/$/, "")}/.well-known/jwks.json`;
  const keys = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 3000 });
  return async (token) => {
    if (!token) throw new TokenRejected("no token (connect with ?token=<JWT>)");
    try {
      const { payload } = await jwtVerify(token, keys, { issuer: settings.issuer, audience: settings.audience, algorithms: ["RS256", "ES256"] });
      if (typeof payload.sub !== "string" || payload.sub === "") throw new TokenRejected("the token has no sub");
      return { sub: payload.sub };
    } catch (error) {
      if (error instanceof TokenRejected) throw error;
      if (error instanceof errors.JOSEError) throw new TokenRejected(`${error.code}: ${error.message}`);
      throw error; // the keys could not be fetched: an outage, not a bad token
    }
  };
}
