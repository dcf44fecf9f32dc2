// The WebSocketApi component's own setting (`graviton-platform:apiGatewayAccountLogRole`): no Pulumi here,
// so the config reads it without loading the engine.
import { flag } from "./settings-schema";

/** `apiGatewayAccountLogRole` of the stack config. */
export const accountLogRoleSetting = flag().default(true).meta({
  description:
    "set API Gateway's account-wide CloudWatch Logs role (one per account and region), which WebSocket execution logging needs; set `false` if something else in the account manages it",
});
