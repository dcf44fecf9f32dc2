// Bundled in place of the AWS SDK's credential provider chains (see build.mjs). Lambda always puts the
// function's role credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN), so the environment provider is the whole chain there; the other providers (SSO,
// profiles, IMDS, ...) are ~450 KB of bundle and import time a function never uses.
import { fromEnv } from "@aws-sdk/credential-provider-env";

export const fromNodeProviderChain = (init) => fromEnv(init);
export const defaultProvider = (init) => fromEnv(init);
