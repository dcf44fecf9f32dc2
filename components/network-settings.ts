// The Network component's settings (`graviton-platform:network`): no Pulumi here, so the config reads
// them without loading the engine.
import { z } from "zod";
import { strictObject, wholeNumber } from "./settings-schema";

export const NAT_GATEWAY_STRATEGIES = ["none", "single", "onePerAz"] as const;

/** The VPC of the database and of the functions in it: `graviton-platform:network`. */
export const networkSettings = strictObject({
  availabilityZones: wholeNumber(2, 6).default(2).meta({ description: "zones the VPC spans (RDS needs two)" }),
  natGateways: z
    .enum(NAT_GATEWAY_STRATEGIES, { error: `must be one of ${NAT_GATEWAY_STRATEGIES.join(", ")}` })
    .default("single")
    .meta({
      description:
        "NAT for functions in the VPC (they call AWS APIs through it); `none` puts them in isolated subnets that reach only the database, and is refused while the worker (which posts to API Gateway) is one of them; `onePerAz` survives a zone outage",
    }),
});
