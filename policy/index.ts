// The CrossGuard entry point: `pulumi preview --policy-pack policy`. The policies live in plain modules
// (one per service) so the offline plan and the tests run them without the Pulumi CLI.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("graviton-platform", { policies });
