import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
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

export interface UserPoolArgs {
  /** Refuse to delete the pool (and with it every account). @default false */
  deletionProtection?: boolean;
}

/**
 * The stack's own identity provider when no external OIDC issuer is configured: a Cognito user pool
 * (email sign-in, strong passwords, optional TOTP MFA) and a public app client (SRP, or user and
 * password from the AWS CLI). Its access tokens (client_id = the client, scope
 * aws.cognito.signin.user.admin) are what the APIs accept.
 */
export class UserPool extends pulumi.ComponentResource implements TokenIssuer {
  readonly issuer: pulumi.Output<string>;
  readonly audience: pulumi.Output<string>[];
  readonly userPoolId: pulumi.Output<string>;
  readonly clientId: pulumi.Output<string>;
  readonly scope = COGNITO_SIGN_IN_SCOPE;
  /** The underlying resources, for a fork to read or extend (see "Changing a component" in docs/extending.md). */
  readonly nodes: { pool: aws.cognito.UserPool; client: aws.cognito.UserPoolClient };

  constructor(name: string, args: UserPoolArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("graviton:auth:UserPool", name, {}, opts);
    const pool = new aws.cognito.UserPool(
      name,
      {
        usernameAttributes: ["email"],
        autoVerifiedAttributes: ["email"],
        passwordPolicy: {
          minimumLength: 12,
          requireLowercase: true,
          requireUppercase: true,
          requireNumbers: true,
          requireSymbols: false,
          temporaryPasswordValidityDays: 3,
        },
        mfaConfiguration: "OPTIONAL",
        softwareTokenMfaConfiguration: { enabled: true },
        accountRecoverySetting: { recoveryMechanisms: [{ name: "verified_email", priority: 1 }] },
        deletionProtection: args.deletionProtection ? "ACTIVE" : "INACTIVE",
      },
      { parent: this },
    );
    const client = new aws.cognito.UserPoolClient(
      `${name}-client`,
      {
        userPoolId: pool.id,
        generateSecret: false, // a browser or CLI client cannot keep a secret
        // SRP for apps; USER_PASSWORD_AUTH (over TLS, to Cognito itself) so a token can be had from the AWS CLI.
        explicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        preventUserExistenceErrors: "ENABLED",
        idTokenValidity: 60,
        accessTokenValidity: 60,
        tokenValidityUnits: { idToken: "minutes", accessToken: "minutes" },
      },
      { parent: this },
    );
    const region = aws.getRegionOutput({}, { parent: this }).region;
    this.userPoolId = pool.id;
    this.clientId = client.id;
    this.issuer = pulumi.interpolate`https://cognito-idp.${region}.amazonaws.com/${pool.id}`;
    this.audience = [client.id];
    this.nodes = { pool, client };
    this.registerOutputs({ issuer: this.issuer, userPoolId: this.userPoolId, clientId: this.clientId });
  }
}
