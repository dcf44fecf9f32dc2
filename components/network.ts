import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseNetwork } from "./database-settings";
import { networkSettings } from "./network-settings";
import { settingsFrom } from "./settings-schema";
import { z } from "zod";

/**
 * The stack's VPC (`graviton-platform:network`): isolated subnets (no route out at all) for the database
 * and its proxy; private subnets for the functions, which reach AWS APIs through NAT, or isolated ones
 * when there is no NAT. The Database puts its security groups in it; the functions it grants run in
 * `functionSubnetIds`.
 */
export class Network extends pulumi.ComponentResource implements DatabaseNetwork {
  readonly vpcId: pulumi.Output<string>;
  readonly isolatedSubnetIds: pulumi.Output<string[]>;
  readonly functionSubnetIds: pulumi.Output<string[]>;
  readonly routesOut: boolean;
  /** The underlying resources, for a fork to read or extend (see "Changing a component" in docs/extending.md). */
  readonly nodes: { vpc: awsx.ec2.Vpc };

  constructor(name: string, args: z.input<typeof networkSettings> = {}, opts?: pulumi.ComponentResourceOptions) {
    super("graviton:network:Network", name, {}, opts);
    const settings = settingsFrom(networkSettings, args);
    this.routesOut = settings.natGateways !== "none";
    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        numberOfAvailabilityZones: settings.availabilityZones,
        natGateways: { strategy: ({ none: "None", single: "Single", onePerAz: "OnePerAz" } as const)[settings.natGateways] },
        subnetStrategy: "Auto",
        subnetSpecs: this.routesOut ? [{ type: "Public" }, { type: "Private" }, { type: "Isolated" }] : [{ type: "Isolated" }],
        enableDnsHostnames: true,
      },
      {
        parent: this,
        // Stacks deployed before the network was a component of its own had this VPC (of the same name)
        // inside the Database of the same name: the alias moves it, and its subnets with it, unreplaced.
        aliases: [{ parent: pulumi.createUrn(name, "graviton:data:Database", opts?.parent) }],
      },
    );
    this.nodes = { vpc };
    this.vpcId = vpc.vpcId;
    this.isolatedSubnetIds = vpc.isolatedSubnetIds;
    this.functionSubnetIds = this.routesOut ? vpc.privateSubnetIds : vpc.isolatedSubnetIds;
    this.registerOutputs({ vpcId: this.vpcId });
  }
}
