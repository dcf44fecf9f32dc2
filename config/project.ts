/** The Pulumi project name: the namespace of every key below (`graviton-platform:architecture`). */
export const PROJECT = "graviton-platform";

export type { Architecture } from "../components/settings-schema";
