// The stack's configuration: read (load.ts), validated against the components' settings schemas and the
// rules that span keys (schema.ts), and resolved into the model every reader takes (model.ts): index.ts,
// npm run dev and the commands. Errors name the key, the value and what is allowed (errors.ts).
export { PROJECT, type Architecture } from "./project";
export { stackConfigSchema } from "./schema";
export {
  concurrencyLimit,
  parseStackConfig,
  type AuthConfig,
  type DatabaseConfig,
  type FunctionConfig,
  type JobsConfig,
  type NetworkConfig,
  type OwnImageFunctionConfig,
  type StackConfig,
  type StackFunction,
  type TuningConfig,
} from "./model";
export { ConfigError } from "./errors";
export { KNOWN_NAMESPACES, RENAMED_KEYS, stackConfigFrom, strayConfigKeys } from "./load";
export { checkStackName, listStacks, policyConfigFor, readStackConfig, stackConfigOfText, stackFileOf } from "./stack-files";
