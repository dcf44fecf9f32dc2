import { claimedAccessKey, signatureProblem } from "../iam/sigv4";

export interface IamTokenContext {
  /** The proxy's address (`host:port`), which a token must be for. */
  address: string;
  /** The secret of a key the platform gave out. */
  secretOf(accessKeyId: string): string | undefined;
  /** The database user the key's function may connect as (its grant's), if any. */
  userOf(accessKeyId: string | undefined): string | undefined;
  /** Who holds the key, for the message. */
  callerOf(accessKeyId: string | undefined): string | undefined;
}

/**
 * Why an RDS IAM auth token (`<host>:<port>/?Action=connect&DBUser=<user>&X-Amz-...`, a SigV4-presigned
 * request, sent as the password) does not let its caller in as `user`, or undefined: as RDS Proxy checks
 * it, it must be for this proxy's address, a connect as that user, signed with a key the platform gave
 * out, by a function whose grant names that user.
 */
export function iamTokenProblem(token: string, user: string, context: IamTokenContext): string | undefined {
  const slash = token.indexOf("/");
  const target = slash < 0 ? "" : token.slice(slash);
  const query = new URLSearchParams(target.split("?")[1] ?? "");
  if (token.slice(0, slash) !== context.address) return "the token is not for this proxy's address";
  if (query.get("Action") !== "connect" || query.get("DBUser") !== user) return `the token is not a connect as ${user}`;
  const problem = signatureProblem({ method: "GET", target, headers: { host: token.slice(0, slash) } }, context.secretOf);
  if (problem) return problem;
  const key = claimedAccessKey({ target, headers: {} });
  const allowed = context.userOf(key);
  return allowed === user ? undefined : `${context.callerOf(key) ?? "the caller"} may connect as ${allowed ?? "no user"} only`;
}
