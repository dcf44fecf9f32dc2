// What the stack sets on a function by what it does: built once, for the deploy (index.ts) and for
// npm run dev (dev/lambda/local-environment.ts), from the targets each hands in.
import * as pulumi from "@pulumi/pulumi";
import { telemetryEnvironment } from "./lambda-environment";
import type { TokenIssuer } from "./token-issuer";

/**
 * What the stack sets on an app function by what it does (STACK_ENVIRONMENT): the telemetry settings on
 * every one, the token issuer's on the one that verifies tokens, the WebSocket management endpoint on
 * the one that posts to connections. Database.grantConnect adds the database's (databaseEnvironment).
 * npm run dev builds its functions' environments with the same two, from its local parts.
 */
export function stackEnvironment(
  fn: { name: string; verifiesTokens?: boolean; notifiesConnections?: boolean },
  stack: { namespace: string; tokenIssuer: TokenIssuer; managementEndpoint: pulumi.Input<string> },
): Record<string, pulumi.Input<string>> {
  return {
    ...telemetryEnvironment(fn.name, stack.namespace),
    ...(fn.verifiesTokens && {
      JWT_ISSUER: stack.tokenIssuer.issuer,
      JWT_AUDIENCE: stack.tokenIssuer.audience.every((id) => typeof id === "string")
        ? (stack.tokenIssuer.audience as string[]).join(",")
        : pulumi.output(stack.tokenIssuer.audience).apply((ids) => ids.join(",")),
      JWT_SCOPE: stack.tokenIssuer.scope,
    }),
    ...(fn.notifiesConnections && { WEBSOCKET_MANAGEMENT_ENDPOINT: stack.managementEndpoint }),
  };
}
