/**
 * The functions this platform deploys from the app image: each one's handler (the `imageConfig.command`
 * of its Lambda function), its HTTP route and its default size. Stack config can override the size and
 * architecture per function (`graviton-platform:functions`); adding a function starts here.
 */
export interface AppFunction {
  /** `<file in handlers/>.<export>`, resolved by the Lambda Node.js runtime inside the image. */
  handler: string;
  /** API Gateway HTTP API route key, `METHOD /path`. */
  route: string;
  description: string;
  /** Default memory in MB (1,769 MB = 1 vCPU). */
  memory: number;
  /** Default timeout in seconds. */
  timeout: number;
}

export const appFunctions = {
  "number-fact": {
    handler: "number-fact.handler",
    route: "POST /number",
    description: "A fact about a number from the numbers API (GravitonLambdaNumber demo)",
    memory: 256,
    timeout: 10,
  },
  primes: {
    handler: "primes.handler",
    route: "GET /primes",
    description: "Counts primes up to max with a segmented sieve; CPU-bound (PythonPrime demo)",
    memory: 1024,
    timeout: 30,
  },
} satisfies Record<string, AppFunction>;

export type AppFunctionName = keyof typeof appFunctions;
