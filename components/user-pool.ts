import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { COGNITO_SIGN_IN_SCOPE, type TokenIssuer } from "./token-issuer";

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
