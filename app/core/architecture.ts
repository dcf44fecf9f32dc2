/** The Lambda name of the CPU architecture this process runs on. */
export type LambdaArchitecture = "arm64" | "x86_64";

const lambdaNames: Partial<Record<NodeJS.Architecture, LambdaArchitecture>> = {
  arm64: "arm64",
  x64: "x86_64",
};

/**
 * Maps Node's `process.arch` to the name Lambda uses in `architectures`.
 * Lambda only offers these two, so anything else means the code is not running in Lambda.
 */
export function lambdaArchitecture(nodeArch: NodeJS.Architecture = process.arch): LambdaArchitecture {
  const name = lambdaNames[nodeArch];
  if (!name) {
    throw new Error(`Unsupported CPU architecture "${nodeArch}": Lambda runs only arm64 and x64 (x86_64).`);
  }
  return name;
}
