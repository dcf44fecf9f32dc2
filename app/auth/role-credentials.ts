/** What SigV4 signs with: an access key, its secret, and the session token of temporary credentials. */
export interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * The function's role credentials, which Lambda puts in its environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) for the life of the execution environment.
 */
export function roleCredentials(env: NodeJS.ProcessEnv = process.env): RoleCredentials {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  if (!accessKeyId || !secretAccessKey)
    throw new Error("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set: Lambda sets them from the function's role.");
  return { accessKeyId, secretAccessKey, sessionToken: sessionToken || undefined };
}
