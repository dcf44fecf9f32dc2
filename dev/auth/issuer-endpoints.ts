import { timingSafeEqual } from "node:crypto";
import { describeValue } from "../../app/core/describe-value";
import { gatewayError } from "../apigateway/http-api-event";
import type { HttpAnswer } from "../apigateway/http-api";
import type { LocalTokenIssuer } from "./token-issuer";

/**
 * The local token issuer's endpoints: its keys at `/local-issuer/.well-known/jwks.json`, and the sign-in at
 * `POST /local-issuer/token?username=<name>`, which signs an access token for any user name, but only for
 * the holder of this start's sign-in secret (`x-local-sign-in`; the page link npm run dev prints and the
 * owner-only endpoints record carry it), as a hosted sign-in page would return one.
 */
export function localIssuerEndpoints(issuer: LocalTokenIssuer, signInSecret: string) {
  return {
    /** The answer, or undefined for a request that is not the issuer's. */
    async handle(method: string, url: URL, headers: Record<string, string | undefined>): Promise<HttpAnswer | undefined> {
      if (method === "GET" && url.pathname === "/local-issuer/.well-known/jwks.json")
        return { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(issuer.jwks) };
      if (method !== "POST" || url.pathname !== "/local-issuer/token") return undefined;
      const given = Buffer.from(headers["x-local-sign-in"] ?? "");
      const expected = Buffer.from(signInSecret);
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        return gatewayError(403, "Sign in with this start's secret: open the page link npm run dev prints");
      const username = url.searchParams.get("username") ?? "dev-user";
      if (!/^[\w.@+-]{1,128}$/.test(username))
        return gatewayError(400, `username must be 1 to 128 letters, digits and . _ @ + -, got ${describeValue(username)}`);
      return {
        statusCode: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ access_token: await issuer.issue(username), token_type: "Bearer" }),
      };
    },
  };
}
