// Who may call the authorized routes (the TokenIssuer a UserPool or an external issuer is) and the external
// issuer's settings (`graviton-platform:auth`): no Pulumi here, so the config reads them without the engine.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { AWS_LIMITS } from "./aws-limits";
import { strictObject } from "./settings-schema";

/**
 * Who may call the authorized routes: an OIDC issuer, the audiences (client ids) it issues access tokens
 * for, and the scope those access tokens carry. Both APIs accept access tokens only: the HTTP API's routes
 * require the scope (ID tokens have none), and the WebSocket authorizer checks the same claims.
 */
export interface TokenIssuer {
  issuer: pulumi.Input<string>;
  audience: pulumi.Input<string>[];
  scope: string;
}

/** An external OIDC issuer instead of the stack's own Cognito pool: `graviton-platform:auth` (all three together). */
export const externalIssuerSettings = strictObject({
  issuer: z
    .url({ protocol: /^https$/, error: "must be the issuer's https URL, as in its tokens' iss claim" })
    .max(AWS_LIMITS.apiGatewayJwtIssuerCharacters.max, {
      error: `must be at most ${AWS_LIMITS.apiGatewayJwtIssuerCharacters.max} characters (API Gateway's JWT authorizer issuer)`,
    })
    .meta({ description: "the `https://` issuer URL as in the tokens' `iss` (its keys at `<issuer>/.well-known/jwks.json`)" }),
  audience: z
    .array(z.string().check(z.minLength(1)), { error: "must be a list of client ids" })
    .min(1, { error: "must name at least one client id" })
    .meta({ description: "accepted `aud` values (or `client_id` when a token has no `aud`)" }),
  scope: z
    .string({ error: 'must be the scope your access tokens carry, e.g. "jobs"' })
    .regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/, {
      error: "must be one scope token (printable characters, no spaces or quotes; at most 128)",
    })
    .meta({ description: "the scope your issuer's access tokens for these APIs carry; ID tokens carry none and are refused" }),
});

/** The scope Cognito puts in every access token from its own sign-in flows (SRP, USER_PASSWORD_AUTH). */
export const COGNITO_SIGN_IN_SCOPE = "aws.cognito.signin.user.admin";
