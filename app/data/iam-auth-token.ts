import { AwsV4Signer } from "aws4fetch";
import type { RoleCredentials } from "../auth/role-credentials";

/** How long a token is accepted for a new connection, as RDS's own signer issues them. */
export const IAM_TOKEN_TTL_SECONDS = 900;

export interface IamTokenRequest {
  host: string;
  port: number;
  user: string;
  region: string;
  /** The function's role credentials (roleCredentials()). */
  credentials: RoleCredentials;
  /** @default now */
  at?: Date;
}

/**
 * An RDS IAM authentication token: a SigV4-presigned `connect` request for the user, without the scheme
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.Connecting.html), signed
 * locally with no network call. The same token @aws-sdk/rds-signer makes (tests compare the two), from
 * aws4fetch's 11 KB signer instead of the SDK's core.
 */
export async function iamAuthToken(request: IamTokenRequest): Promise<string> {
  const url = new URL(`https://${request.host}:${request.port}/`);
  url.searchParams.set("Action", "connect");
  url.searchParams.set("DBUser", request.user);
  url.searchParams.set("X-Amz-Expires", String(IAM_TOKEN_TTL_SECONDS));
  const signed = await new AwsV4Signer({
    method: "GET",
    url: url.toString(),
    ...request.credentials,
    service: "rds-db",
    region: request.region,
    signQuery: true,
    datetime: (request.at ?? new Date()).toISOString().replace(/[:-]|\.\d{3}/g, ""),
  }).sign();
  return signed.url.toString().slice("https://".length);
}
