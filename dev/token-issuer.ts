import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { randomUUID } from "node:crypto";

/** What the local issuer signs and the APIs accept: the same claims a Cognito access token carries. */
export interface TokenIssuerSettings {
  /** `iss`: the issuer URL; its keys are at `<issuer>/.well-known/jwks.json`. */
  issuer: string;
  /** `client_id` (access tokens carry no `aud`, as Cognito's do not). */
  clientId: string;
  scope: string;
}

/** How long a local token lives: a working day, below the verifier's one-day maximum age. */
export const LOCAL_TOKEN_HOURS = 8;

/**
 * A token issuer for `npm run dev`: an ES256 key made at start, published as a JWKS, and access tokens
 * for any user name. Its keys live as long as the process, so tokens from an earlier run are refused
 * ("no matching key"), as tokens of a rotated key are.
 */
export async function localTokenIssuer(settings: TokenIssuerSettings) {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const kid = randomUUID();
  const jwks: { keys: JWK[] } = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" }] };
  return {
    ...settings,
    jwksUri: `${settings.issuer}/.well-known/jwks.json`,
    jwks,
    /** An access token for `username` (its `sub`). */
    issue(username = "dev-user"): Promise<string> {
      return new SignJWT({ client_id: settings.clientId, scope: settings.scope, token_use: "access", username })
        .setProtectedHeader({ alg: "ES256", kid })
        .setIssuer(settings.issuer)
        .setSubject(username)
        .setIssuedAt()
        .setExpirationTime(`${LOCAL_TOKEN_HOURS}h`)
        .setJti(randomUUID())
        .sign(privateKey);
    },
  };
}

export type LocalTokenIssuer = Awaited<ReturnType<typeof localTokenIssuer>>;
