/**
 * The functions this platform deploys from the app image: each one's handler (the `imageConfig.command`
 * of its Lambda function), its HTTP route if it serves one, the database user it connects as if it
 * uses the database, and its default size. Stack config can override the size and
 * architecture per function (`graviton-platform:functions`); adding a function starts here.
 */
export interface AppFunction {
  /** `<file in handlers/>.<export>`, resolved by the Lambda Node.js runtime inside the image. */
  handler: string;
  /** API Gateway HTTP API route key, `METHOD /path`; none for a function that serves no HTTP route. */
  route?: string;
  /** The route requires a valid JWT (the API's authorizer); the handler reads the caller from its claims. */
  authorized?: boolean;
  /**
   * Connects to PostgreSQL (through RDS Proxy, IAM auth) as the app's least-privileged user ("app") or
   * as the admin user ("admin", for migrations only); none for a function that does not.
   */
  database?: "app" | "admin";
  /** Verifies the stack's JWTs itself (gets JWT_ISSUER and JWT_AUDIENCE): the WebSocket authorizer. */
  verifiesTokens?: boolean;
  /** Posts to WebSocket connections (gets WEBSOCKET_MANAGEMENT_ENDPOINT and execute-api:ManageConnections). */
  notifiesConnections?: boolean;
  /**
   * Who calls it besides an HTTP route: the WebSocket API's $connect authorizer, or the jobs queue's event
   * source mapping. A function with a route or a caller serves traffic: it is called through its live
   * alias, and each new version is rolled out to it by the stack's deployment config.
   */
  calledBy?: "websocket-connect" | "jobs-queue";
  /** Safe to invoke many times with a test payload: power tuning may tune it by default. */
  tunable?: boolean;
  description: string;
  /** Default memory in MB (1,769 MB = 1 vCPU). */
  memory: number;
  /** Default timeout in seconds. */
  timeout: number;
}

export const appFunctions = {
  // example:begin the HTTP demos (npm run examples:remove takes them out)
  "number-fact": {
    handler: "number-fact.handler",
    route: "POST /number",
    tunable: true,
    description: "A fact about a number from the numbers API (GravitonLambdaNumber demo)",
    memory: 256,
    timeout: 10,
  },
  primes: {
    handler: "primes.handler",
    route: "GET /primes",
    tunable: true,
    description: "Counts primes up to max with a segmented sieve; CPU-bound (PythonPrime demo)",
    memory: 1024,
    timeout: 30,
  },
  // example:end
  "get-job": {
    handler: "get-job.handler",
    route: "GET /jobs/{id}",
    authorized: true,
    database: "app",
    description: "A job's status and result, for its owner (results outlive the WebSocket connection)",
    memory: 256,
    timeout: 10,
  },
  "ws-authorizer": {
    handler: "ws-authorizer.handler",
    verifiesTokens: true,
    calledBy: "websocket-connect",
    description: "WebSocket $connect authorizer: verifies the JWT in ?token= against the issuer's keys",
    memory: 256,
    timeout: 5,
  },
  worker: {
    handler: "worker.handler",
    database: "app",
    calledBy: "jobs-queue",
    notifiesConnections: true,
    description: "Runs queued jobs from SQS, stores results in PostgreSQL, posts them to the WebSocket connection",
    memory: 1024,
    timeout: 60,
  },
  "power-tuning": {
    handler: "power-tuning.handler",
    description: "Every step of the power-tuning state machine (publish, measure, clean up, analyze, optimize)",
    memory: 512,
    timeout: 900,
  },
  migrate: {
    handler: "migrate.handler",
    database: "admin",
    description: "Applies app/migrations and sets up the app's database role; invoked by the stack on deploy",
    memory: 256,
    timeout: 900, // the proxy's target can take minutes to register on a first deploy
  },
} satisfies Record<string, AppFunction>;

export type AppFunctionName = keyof typeof appFunctions;

/**
 * The alias every caller of a serving function invokes (routes, the WebSocket authorizer, the queue's
 * event source mapping). Rollouts move it; power tuning never touches it (its own aliases only).
 */
export const LIVE_ALIAS = "live";

/**
 * Handlers of the app image the stack deploys once for each function that asks for one, scoped to that
 * function: `pre-traffic` is the before-traffic check of a function's rollouts (`preTraffic: true`), which
 * invokes the new version with the function's sample event before any traffic moves to it.
 */
export const appHooks = {
  "pre-traffic": {
    handler: "pre-traffic.handler",
    description: "Before-traffic check of a rollout: the new version answers its function's sample event",
    memory: 256,
  },
} as const;

/** The HTTP API route that sends a job to the queue with no Lambda in front (the WebSocket API's `submit` over HTTP). */
export const JOB_SUBMIT_ROUTE = "POST /jobs";
