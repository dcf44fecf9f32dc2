import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from "jose";
import { randomUUID, type webcrypto } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

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
 * The issuer's ES256 signing key, kept in `keyFile` (owner-only) so that a restart of npm run dev signs
 * with the same key and the tokens it gave out (the page's too) stay valid for their hours. Made the
 * first time; a file that holds no such key is replaced by a new one, which ends the old tokens.
 */
async function signingKey(keyFile: string): Promise<{ privateKey: webcrypto.CryptoKey; publicJwk: JWK; kid: string }> {
  if (existsSync(keyFile)) {
    try {
      const { kid, ...jwk } = JSON.parse(readFileSync(keyFile, "utf8")) as JWK & { kid: string };
      if (typeof kid === "string" && jwk.kty === "EC" && jwk.crv === "P-256" && typeof jwk.d === "string") {
        const { d: _, ...publicJwk } = jwk;
        return { privateKey: (await importJWK(jwk, "ES256")) as webcrypto.CryptoKey, publicJwk, kid };
      }
    } catch {
      // not a key: made again below
    }
  }
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = randomUUID();
  const partial = `${keyFile}.${process.pid}`;
  writeFileSync(partial, JSON.stringify({ ...(await exportJWK(privateKey)), kid }), { mode: 0o600 });
  renameSync(partial, keyFile);
  return { privateKey, publicJwk: await exportJWK(publicKey), kid };
}

/**
 * A token issuer for `npm run dev`: an ES256 key (kept across restarts in `keyFile`), published as a
 * JWKS, and access tokens for any user name.
 */
export async function localTokenIssuer(settings: TokenIssuerSettings, keyFile: string) {
  const { privateKey, publicJwk, kid } = await signingKey(keyFile);
  const jwks: { keys: JWK[] } = { keys: [{ ...publicJwk, kid, alg: "ES256", use: "sig" }] };
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
