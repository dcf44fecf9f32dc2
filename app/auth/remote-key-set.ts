import { get as httpGet, type IncomingMessage } from "node:http";
import { get as httpsGet } from "node:https";
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";

/**
 * The rules jose's createRemoteJWKSet keeps: a key set is used for 10 minutes, and fetched again sooner
 * when a token names a key it lacks, but not within 30 s of the last fetch. A key set is a few KB
 * (Cognito's is under 2 KB); a larger answer is not one.
 */
export const KEY_SET_LIMITS = { cacheMaxAgeMs: 600_000, cooldownMs: 30_000, maxBytes: 1024 * 1024 } as const;

/** GETs `url` as JSON within `timeoutMs` in all (connection, answer and body), 200 only, no redirects. */
function fetchJson(url: URL, timeoutMs: number): Promise<unknown> {
  const get = url.protocol === "https:" ? httpsGet : url.protocol === "http:" ? httpGet : undefined;
  if (!get) return Promise.reject(new Error(`the key set's URL must be http or https, got ${url.protocol}`));
  return new Promise((resolve, reject) => {
    const headers = { accept: "application/json, application/jwk-set+json", "user-agent": "graviton-platform" };
    const request = get(url, { headers, signal: AbortSignal.timeout(timeoutMs) }, (response: IncomingMessage) => {
      if (response.statusCode !== 200) {
        response.resume();
        return reject(new errors.JOSEError(`Expected 200 OK from the JSON Web Key Set HTTP response, got ${response.statusCode}`));
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > KEY_SET_LIMITS.maxBytes) request.destroy(new Error(`the key set is over ${KEY_SET_LIMITS.maxBytes} bytes`));
        else chunks.push(chunk);
      });
      response.on("end", () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        } catch {
          reject(new errors.JOSEError("Failed to parse the JSON Web Key Set HTTP response as JSON"));
        }
      });
      response.on("error", reject);
    });
    request.on("error", (error) => reject(error.name === "AbortError" ? new errors.JWKSTimeout() : error));
  });
}

/**
 * The issuer's signing keys for jose's jwtVerify, fetched over node:http(s) with createRemoteJWKSet's
 * rules (KEY_SET_LIMITS; one fetch at a time), instead of createRemoteJWKSet itself, which builds a
 * `Headers` when it is created and so loads Node's fetch implementation (undici): about 19 ms of every
 * cold start of the authorizer on Node 20, where node:https takes about 4.
 */
export function remoteKeySet(url: URL, timeoutMs: number): JWTVerifyGetKey {
  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | undefined;
  const fetchedWithin = (ms: number) => Date.now() < fetchedAt + ms;
  const reload = () =>
    (pending ??= fetchJson(url, timeoutMs)
      .then((jwks) => {
        keys = createLocalJWKSet(jwks as JSONWebKeySet);
        fetchedAt = Date.now();
      })
      .finally(() => (pending = undefined)));
  return async (header, token) => {
    if (!keys || !fetchedWithin(KEY_SET_LIMITS.cacheMaxAgeMs)) await reload();
    try {
      return await keys!(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || fetchedWithin(KEY_SET_LIMITS.cooldownMs)) throw error;
      await reload();
      return keys!(header, token);
    }
  };
}
