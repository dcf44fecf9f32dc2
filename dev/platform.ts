import { randomBytes, timingSafeEqual } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { JOB_SUBMIT_ROUTE } from "../app/functions";
import { concurrencyLimit, stackConfigFrom, PROJECT, type FunctionConfig, type OwnImageFunctionConfig, type StackConfig } from "../config";
import { poolIdleTimeoutMs } from "../components/database";
import { DLQ_RETENTION_SECONDS, queueVisibilityTimeout } from "../components/job-queue";
import { metricsNamespace, telemetryEnvironment } from "../components/lambda-environment";
import { inProject } from "../components/container-function";
import { presetEnvironment, presetStatements, presetTargetsOf } from "../components/permission-presets";
import { scramSha256Verifier } from "../components/postgres-password";
import { COGNITO_SIGN_IN_SCOPE } from "../components/user-pool";
import { readStackConfig } from "../config";
import { tokenVerifier, TokenRejected } from "../app/auth/token-verifier";
import { describeValue } from "../app/core/describe-value";
import { buildBundles, bundleOf } from "./lambda/bundles";
import { freePort } from "./postgres/embedded-postgres";
import { startEventSourceMapping, type InvokeOutcome } from "./sqs/event-source-mapping";
import { gatewayError, httpApiEvent, httpResponseOf, httpRoute } from "./apigateway/http-api-event";
import { startLocalDatabase, type LocalDatabase } from "./postgres/local-database";
import { LocalFunction, Throttled } from "./lambda/local-function";
import { LOCAL_AWS } from "./iam/local-account";
import { type LocalStatement } from "./iam/local-iam";
import { claimedAccessKey, signatureProblem } from "./iam/sigv4";
import { LocalS3, LOCAL_S3_LIMITS } from "./s3/local-s3";
import { lambdaEndpoint, localFunctionArn } from "./lambda/lambda-endpoint";
import { localHandlerOf } from "./lambda/own-image-handler";
import { INVOKE_LIMITS, type LocalFunctionSpec, type LocalInvocation } from "./lambda/local-lambda";
import { LocalQueue } from "./sqs/local-queue";
import { DEFAULT_STATE_DIR, localEndpoints, type LocalEndpoints } from "./local-endpoints";
import { sqsEndpoint } from "./sqs/sqs-endpoint";
import { localTokenIssuer } from "./auth/token-issuer";
import { cleanUpCrashedPredecessor } from "./crashed-predecessor";
import { apiGatewayId, websocketGateway } from "./apigateway/websocket-gateway";

export interface DevPlatformOptions {
  /** The HTTP port (the page, both APIs, the issuer's keys); 0 = any free port. @default 3000 */
  port?: number;
  /** The stack whose config the platform runs with (Pulumi.<stack>.yaml). @default "dev" */
  stack?: string;
  /** Where the database's data, its certificate and the endpoints record are kept. @default .dev in the repository */
  stateDir?: string;
  /** The queue's visibility timeout; by default the stack's (six times the worker's timeout, plus the batching window). */
  visibilityTimeoutSeconds?: number;
  /** Where the platform's own lines and every invocation's logs go. @default stdout */
  log?: (line: string) => void;
}

/** Limits of the HTTP API that the local one keeps (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html). */
export const HTTP_API_LIMITS = { maxBodyBytes: 10 * 1024 * 1024, maxHeaderBytes: 10_240, integrationTimeoutMs: 30_000 } as const;
/** Execution environments per function when the stack reserves no concurrency (Lambda's own ceiling is the account's). */
export const LOCAL_DEFAULT_CONCURRENCY = 10;
/** The WebSocket stage, as the stack deploys it. */
const STAGE = "live";
/**
 * Credentials in a function's environment, where Lambda puts its role's: an access key and a secret of
 * its own (new at every start), by which the local S3, Lambda, SQS and @connections verify the caller's
 * SigV4 signature and check its policy. Nothing reaches AWS.
 */
/**
 * What a local function's environment holds beyond the variables the stack deploys: the credentials of
 * its role (Lambda's runtime sets them from the execution role), the local AWS APIs' endpoints (which the
 * AWS SDK reads), the local database's CA, and the migrations' folder (in the image, a fixed path).
 */
export const LOCAL_ONLY_VARIABLES = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_ENDPOINT_URL_S3",
  "AWS_ENDPOINT_URL_LAMBDA",
  "AWS_ENDPOINT_URL_SQS",
  "NODE_EXTRA_CA_CERTS",
  "MIGRATIONS_DIR",
];

const localCredentials = (key: { accessKeyId: string; secretAccessKey: string }) => ({
  AWS_ACCESS_KEY_ID: key.accessKeyId,
  AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
  AWS_SESSION_TOKEN: "local-dev-only",
});

export interface DevPlatform {
  endpoints: LocalEndpoints;
  config: StackConfig;
  database: LocalDatabase;
  queues: { jobs: LocalQueue; deadLetters: LocalQueue };
  /** Every function that runs locally: the app's, and those with their own image on the Lambda Node.js base image. */
  functions: Record<string, LocalFunction>;
  /** The functions with their own image that run on a stack only, and why. */
  stackOnly: Record<string, string>;
  /** The local S3 buckets (files under `<stateDir>/s3/<bucket>/`). */
  s3: LocalS3;
  /** The folders whose changes `reload` picks up: app/ and the build contexts of the functions with their own image. */
  sources: string[];
  /** A new access token for `username`. */
  issueToken(username?: string): Promise<string>;
  /** Rebuilds the bundles and moves every function to the new code (the database keeps running); runs new migrations. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/** Reads a request body up to `limit` bytes; undefined when it is larger. */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, answer: { statusCode: number; headers: Record<string, string | string[]>; body: Buffer | string }) {
  response.writeHead(answer.statusCode, answer.headers).end(answer.body);
}

const outcomeOf = (invocation: LocalInvocation): InvokeOutcome =>
  invocation.ok
    ? { ok: true, result: invocation.result }
    : { ok: false, error: `${invocation.error?.errorType}: ${invocation.error?.errorMessage}` };

/**
 * The whole platform on 127.0.0.1, from the deployed parts: the stack's config, the handlers' bundles,
 * the migrations, the WebSocket model and templates. What is emulated (API Gateway, SQS, Lambda's
 * runtime and event source mapping, the token issuer) keeps the behaviour AWS documents;
 * docs/local-platform.md lists what differs.
 */
/** AWS's answer to a caller it cannot authenticate (the local services' JSON protocol; the SDKs read the 403). */
const accessDenied = (message: string) => ({
  statusCode: 403,
  headers: { "content-type": "application/json", "x-amzn-errortype": "AccessDeniedException" },
  body: JSON.stringify({ __type: "AccessDeniedException", message }),
});

/**
 * Why a request does not come from this machine's own user of the platform, or undefined: its `Host`
 * must name 127.0.0.1 or localhost and the port (so a DNS-rebinding page, whose Host is its own name,
 * is refused), and a browser's `Origin`, when sent, must be the platform's own page.
 */
export function foreignCaller(request: IncomingMessage, port: number): string | undefined {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!hosts.includes(String(request.headers.host ?? "").toLowerCase()))
    return `Host ${request.headers.host || "(none)"} is not this machine's: the local platform answers only ${hosts.join(" or ")}`;
  const origin = request.headers.origin;
  if (origin !== undefined && !hosts.some((host) => origin.toLowerCase() === `http://${host}`))
    return `Origin ${origin} is not the local platform's page: requests from other web pages are refused`;
  return undefined;
}

export async function startDevPlatform(options: DevPlatformOptions = {}): Promise<DevPlatform> {
  const log = options.log ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const stack = options.stack ?? "dev";
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  const config = stackConfigFrom(readStackConfig(stack, join(__dirname, "..")));
  const running = localEndpoints.runningIn(stateDir);
  if (running)
    throw new Error(`npm run dev is already running (pid ${running.pid}, ${running.pageUrl}) with ${stateDir}. Use it, or stop it first.`);
  const cleaned = await cleanUpCrashedPredecessor(stateDir, join(stateDir, "postgres", "data"));
  if (cleaned.length > 0) log(`The last start was not stopped cleanly: ${cleaned.join("; ")}.`);
  buildBundles();

  // The port first: if it is taken, say so before anything else starts. Until the platform is ready,
  // every request and WebSocket upgrade is answered 503 with Retry-After: none is left without an answer.
  // API Gateway's HTTP API takes at most 10,240 bytes of request line and headers (its quotas page): Node answers 431 past it.
  const server = createServer({ maxHeaderSize: HTTP_API_LIMITS.maxHeaderBytes });
  let serve: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  let upgrade: ((request: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined;
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    if (serve) return serve(request, response);
    request.resume();
    response.writeHead(503, { "content-type": "application/json", "retry-after": "1", connection: "close" });
    response.end(JSON.stringify({ message: "The local platform is starting; try again in a second." }));
  });
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (upgrade) return upgrade(request, socket, head);
    socket.end("HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
  });
  const port = await new Promise<number>((done, fail) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      fail(
        error.code === "EADDRINUSE"
          ? new Error(
              `Port ${options.port ?? 3000} on 127.0.0.1 is in use (another npm run dev?). Stop it, or pick another: npm run dev -- --port ${(options.port ?? 3000) + 1}`,
            )
          : error,
      ),
    );
    server.listen(options.port ?? 3000, "127.0.0.1", () => done((server.address() as { port: number }).port));
  });
  const base = `http://127.0.0.1:${port}`;
  const stopped: (() => unknown)[] = [() => new Promise((done) => server.close(done))];
  const stop = async () => {
    for (const step of stopped.splice(0).reverse())
      await Promise.resolve(step()).catch((error: unknown) => log(`stopping: ${(error as Error).message}`));
  };

  try {
    const issuer = await localTokenIssuer(
      { issuer: `${base}/local-issuer`, clientId: "local-client", scope: config.auth?.scope ?? COGNITO_SIGN_IN_SCOPE },
      join(stateDir, "issuer-key.json"),
    );
    // Functions sign in as RDS Proxy lets them: an IAM auth token for their proxy address, signed with
    // their own key, for the one database user their grant names (the grant's rds-db:connect).
    const database = await startLocalDatabase(join(stateDir, "postgres"), await freePort(), config.database, (token, user) => {
      const slash = token.indexOf("/");
      const target = slash < 0 ? "" : token.slice(slash);
      const query = new URLSearchParams(target.split("?")[1] ?? "");
      if (token.slice(0, slash) !== `${database.host}:${database.port}`) return "the token is not for this proxy's address";
      if (query.get("Action") !== "connect" || query.get("DBUser") !== user) return `the token is not a connect as ${user}`;
      const problem = signatureProblem({ method: "GET", target, headers: { host: token.slice(0, slash) } }, (key) => secrets.get(key));
      if (problem) return problem;
      const name = accessKeys.get(claimedAccessKey({ target, headers: {} }) ?? "");
      const allowed = name === undefined ? undefined : functions[name]?.environment.DB_USER;
      return allowed === user ? undefined : `${name ?? "the caller"} may connect as ${allowed ?? "no user"} only`;
    });
    stopped.push(() => database.stop());

    const worker = config.functionNamed.worker;
    // The queues keep their messages in the state folder, for the stack's retention, across restarts (and crashes).
    const queueFile = (name: string) => join(stateDir, "sqs", `${name}.json`);
    const deadLetters = new LocalQueue(`${PROJECT}-${stack}-jobs-dlq`, {
      visibilityTimeoutSeconds: 30,
      file: queueFile("jobs-dlq"),
      retentionSeconds: DLQ_RETENTION_SECONDS,
    });
    const jobs = new LocalQueue(`${PROJECT}-${stack}-jobs`, {
      visibilityTimeoutSeconds:
        options.visibilityTimeoutSeconds ?? queueVisibilityTimeout(worker.timeout, config.jobs.batchingWindowSeconds),
      redrive: { deadLetterQueue: deadLetters, maxReceiveCount: config.jobs.maxReceiveCount },
      file: queueFile("jobs"),
      retentionSeconds: config.jobs.retentionDays * 86_400,
    });
    stopped.push(() => (jobs.close(), deadLetters.close()));
    const queueUrl = (queue: LocalQueue) => `${base}/_local/sqs/${LOCAL_AWS.account}/${queue.name}`;

    // Each function is its own caller to the local S3 and Lambda, with the policy its presets deploy as.
    const accessKeys = new Map<string, string>();
    const secrets = new Map<string, string>();
    const newKey = () => {
      const key = {
        accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
        secretAccessKey: randomBytes(30).toString("base64"),
      };
      secrets.set(key.accessKeyId, key.secretAccessKey);
      return key;
    };
    const accessKeyFor = (name: string) => {
      const known = [...accessKeys].find(([, owner]) => owner === name)?.[0];
      if (known) return { accessKeyId: known, secretAccessKey: secrets.get(known)! };
      const key = newKey();
      accessKeys.set(key.accessKeyId, name);
      return key;
    };
    // Who may have the local issuer sign a token: whoever holds this start's secret (the printed page link,
    // the owner-only endpoints record), not any process or user of the machine that asks.
    const signInSecret = randomBytes(24).toString("base64url");
    // The operator's (redrive --local): no function, so no function's policy; recorded for the owner only.
    const operator = newKey();
    // Locally a bucket is named as the stack file names it, and a function by its name.
    const localTargets = presetTargetsOf({
      buckets: {},
      functions: Object.fromEntries(
        [...config.functions, ...config.ownImageFunctions].map(({ name }) => [
          name,
          { arns: [localFunctionArn(name)], functionName: name },
        ]),
      ),
      queues: { jobs: { arn: jobs.arn, url: queueUrl(jobs) }, "jobs-dlq": { arn: deadLetters.arn, url: queueUrl(deadLetters) } },
    });
    // Each function's own policy, made once: the statements of its presets (none for the app's functions).
    const policies = new Map(
      config.ownImageFunctions.map((fn) => [fn.name, presetStatements(fn.permissions, localTargets) as LocalStatement[]]),
    );
    /** The caller's policy; undefined for a caller that is no function (an operator's command). */
    const functionPolicyOf = (accessKey: string | undefined): LocalStatement[] | undefined => {
      const name = accessKeys.get(accessKey ?? "");
      return name === undefined ? undefined : (policies.get(name) ?? []);
    };
    const policyOf = (accessKey: string | undefined): LocalStatement[] => functionPolicyOf(accessKey) ?? [];
    const s3 = new LocalS3(join(stateDir, "s3"), Object.keys(config.buckets), policyOf);

    const environmentOf = (fn: FunctionConfig): Record<string, string> => ({
      ...fn.environment,
      ...localCredentials(accessKeyFor(fn.name)),
      ...telemetryEnvironment(fn.name, metricsNamespace(PROJECT, stack)),
      ...(fn.database && {
        DB_HOST: database.host,
        DB_PORT: String(database.port),
        DB_NAME: database.name,
        DB_USER: fn.database === "admin" ? config.database.adminUser : config.database.appUser,
        DB_IDLE_TIMEOUT_MS: String(poolIdleTimeoutMs(config.database.proxy.idleClientTimeoutSeconds)),
        // The functions verify the local database's certificate as they verify RDS Proxy's: trusted, not skipped.
        NODE_EXTRA_CA_CERTS: database.certFile,
      }),
      ...(fn.verifiesTokens && { JWT_ISSUER: issuer.issuer, JWT_AUDIENCE: issuer.clientId, JWT_SCOPE: issuer.scope }),
      ...(fn.notifiesConnections && { WEBSOCKET_MANAGEMENT_ENDPOINT: `${base}/${STAGE}` }),
      ...(fn.name === "migrate" && { MIGRATIONS_DIR: join(__dirname, "..", "app", "migrations") }),
    });
    const specOf = (fn: FunctionConfig): LocalFunctionSpec => ({
      name: fn.name,
      ...bundleOf(fn.handler),
      memoryMb: fn.memory,
      timeoutSeconds: fn.timeout,
      environment: environmentOf(fn),
    });
    const ownSpecOf = (fn: OwnImageFunctionConfig): LocalFunctionSpec | string => {
      const handler = localHandlerOf(fn);
      if ("runsOnAStackOnly" in handler) return handler.runsOnAStackOnly;
      const environment = {
        ...fn.environment,
        ...localCredentials(accessKeyFor(fn.name)),
        ...telemetryEnvironment(fn.name, metricsNamespace(PROJECT, stack)),
        ...(presetEnvironment(fn.permissions, localTargets) as Record<string, string>),
        AWS_ENDPOINT_URL_S3: `${base}/_local/s3`,
        AWS_ENDPOINT_URL_LAMBDA: `${base}/_local/lambda`,
        AWS_ENDPOINT_URL_SQS: `${base}/_local/sqs`,
      };
      return { name: fn.name, ...handler, memoryMb: fn.memory, timeoutSeconds: fn.timeout, environment };
    };
    const logInvocation = (invocation: LocalInvocation, spec: LocalFunctionSpec) => {
      const lines = `${invocation.logs}${invocation.ok ? "" : `${JSON.stringify(invocation.error)}\n`}${invocation.report}`;
      for (const line of lines.trimEnd().split("\n")) log(`[${spec.name}] ${line}`);
    };
    const functions: Record<string, LocalFunction> = Object.fromEntries(
      config.functions.map((fn) => [
        fn.name,
        new LocalFunction(specOf(fn), concurrencyLimit(fn, config.jobs) ?? LOCAL_DEFAULT_CONCURRENCY, logInvocation),
      ]),
    );
    const stackOnly: Record<string, string> = {};
    for (const fn of config.ownImageFunctions) {
      const spec = ownSpecOf(fn);
      if (typeof spec === "string") stackOnly[fn.name] = spec;
      else functions[fn.name] = new LocalFunction(spec, fn.reservedConcurrency ?? LOCAL_DEFAULT_CONCURRENCY, logInvocation);
    }
    for (const [name, reason] of Object.entries(stackOnly)) log(`${name} runs on a stack only: ${reason}`);
    const stopFunctions = () => Object.values(functions).forEach((fn) => fn.stop());
    stopped.push(stopFunctions);

    const migrate = async () => {
      const invocation = await functions.migrate.invoke({
        appRole: { name: config.database.appUser, passwordVerifier: scramSha256Verifier(randomBytes(24).toString("base64url")) },
      });
      if (!invocation.ok) throw new Error(`The migrations failed, so nothing else was started: ${invocation.error?.errorMessage}`);
    };
    await migrate();

    const mapping = startEventSourceMapping(
      jobs,
      config.jobs,
      async (event) => outcomeOf(await functions.worker.invoke(event)),
      (line) => log(`[event source mapping] ${line}`),
    );
    stopped.push(() => mapping.stop());
    // Stopping runs backwards: the environments go first, so the batches in flight end at once.
    stopped.push(stopFunctions);

    const websocket = websocketGateway({
      stage: STAGE,
      authorize: async (event) => outcomeOf(await functions["ws-authorizer"].invoke(event)),
      queue: jobs,
      log: (line) => log(`[websocket] ${line}`),
    });
    stopped.push(() => websocket.close());
    const upgradeWhenReady = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (foreignCaller(request, port)) return socket.end("HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n");
      if (new URL(request.url ?? "/", base).pathname === `/${STAGE}`) websocket.handleUpgrade(request, socket, head);
      else socket.end("HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n");
    };

    // The HTTP API's JWT authorizer: the same token rules (app/auth/token-verifier.ts) and the route's scope.
    const verify = tokenVerifier({ issuer: issuer.issuer, audience: [issuer.clientId], scope: issuer.scope, jwksUri: issuer.jwksUri });
    const routes = [
      ...[...config.functions, ...config.ownImageFunctions]
        .filter((fn) => fn.route)
        .map((fn) => ({ route: httpRoute(fn.route!), fn, authorized: fn.authorized })),
      { route: httpRoute(JOB_SUBMIT_ROUTE), fn: undefined, authorized: true },
    ];
    const sqs = sqsEndpoint([jobs, deadLetters], queueUrl, functionPolicyOf);
    const invokeApi = lambdaEndpoint(
      () => ({
        ...functions,
        ...Object.fromEntries(Object.entries(stackOnly).map(([name, reason]) => [name, { runsOnAStackOnly: reason }])),
      }),
      policyOf,
      (line) => log(`[lambda] ${line}`),
    );
    const page = readFileSync(join(__dirname, "page.html"), "utf8");

    const endpoints = localEndpoints.write(stateDir, {
      pid: process.pid,
      stack,
      apiUrl: base,
      websocketUrl: `ws://127.0.0.1:${port}/${STAGE}`,
      pageUrl: `${base}/#sign-in=${signInSecret}`,
      signInSecret,
      issuer: issuer.issuer,
      sqsEndpoint: `${base}/_local/sqs`,
      token: await issuer.issue(),
      operator,
      jobs: { queueUrl: queueUrl(jobs), deadLetterQueueUrl: queueUrl(deadLetters) },
      database: { host: database.host, port: database.port, name: database.name, certFile: database.certFile },
      functions: Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, fn.environment])),
    });
    stopped.push(() => localEndpoints.remove(stateDir));

    const serveWhenReady = (request: IncomingMessage, response: ServerResponse) => {
      const refused = foreignCaller(request, port);
      if (refused) {
        request.resume();
        return send(response, {
          statusCode: 403,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: refused }),
        });
      }
      handle(request, response).catch((error: unknown) => {
        log(`[http] ${request.method} ${request.url}: ${(error as Error).stack}`);
        if (!response.headersSent) send(response, gatewayError(500, "Internal Server Error"));
      });
    };

    async function handle(request: IncomingMessage, response: ServerResponse) {
      const url = new URL(request.url ?? "/", base);
      const method = request.method ?? "GET";
      // The local AWS services take the path as sent (URL-encoded keys and names, no dot segments resolved).
      const rawPath = (request.url ?? "/").split("?")[0];
      const service = /^\/_local\/(s3|lambda)(\/.*)$/s.exec(rawPath);
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value[0] : value]),
      );
      // The local AWS APIs serve only callers that sign with a key the platform gave out: an unknown key is
      // refused before its body is read, and the signature is checked once it is.
      const managed = new RegExp(`^/${STAGE}/@connections/([^/]+)$`).exec(url.pathname);
      const signed = service !== null || managed !== null || url.pathname.startsWith("/_local/sqs");
      const claimed = claimedAccessKey({ target: request.url ?? "/", headers });
      if (signed && (claimed === undefined || !secrets.has(claimed))) {
        request.resume();
        return send(response, accessDenied(`the request is not signed with a key of the local platform (${claimed ?? "no key"})`));
      }
      const caller = signed ? claimed : undefined;
      const body = await readBody(request, service?.[1] === "s3" ? LOCAL_S3_LIMITS.maxObjectBytes * 2 : HTTP_API_LIMITS.maxBodyBytes);
      if (body === undefined)
        return send(response, service?.[1] === "s3" ? s3.entityTooLarge() : gatewayError(413, "Request Entity Too Large"));
      const badSignature = signed && signatureProblem({ method, target: request.url ?? "/", headers, body }, (key) => secrets.get(key));
      if (badSignature) return send(response, accessDenied(badSignature));
      if (service?.[1] === "s3")
        return send(response, s3.handle({ method, path: service[2], query: url.searchParams, headers, body }, caller));
      if (service?.[1] === "lambda") return send(response, await invokeApi({ method, path: service[2], headers, body }, caller));
      if (method === "GET" && url.pathname === "/") {
        return send(response, { statusCode: 200, headers: { "content-type": "text/html; charset=utf-8" }, body: page });
      }
      if (method === "GET" && url.pathname === "/local-issuer/.well-known/jwks.json") {
        return send(response, { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(issuer.jwks) });
      }
      if (method === "POST" && url.pathname === "/local-issuer/token") {
        // The local sign-in: any user name, for the holder of this start's sign-in secret (what a hosted sign-in page would return).
        const given = Buffer.from(headers["x-local-sign-in"] ?? "");
        const expected = Buffer.from(signInSecret);
        if (given.length !== expected.length || !timingSafeEqual(given, expected))
          return send(response, gatewayError(403, "Sign in with this start's secret: open the page link npm run dev prints"));
        const username = url.searchParams.get("username") ?? "dev-user";
        if (!/^[\w.@+-]{1,128}$/.test(username))
          return send(
            response,
            gatewayError(400, `username must be 1 to 128 letters, digits and . _ @ + -, got ${describeValue(username)}`),
          );
        return send(response, {
          statusCode: 200,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ access_token: await issuer.issue(username), token_type: "Bearer" }),
        });
      }
      if (managed) {
        let connectionId: string;
        try {
          connectionId = decodeURIComponent(managed[1]);
        } catch {
          return send(response, gatewayError(400, "Invalid connection id"));
        }
        const answer = websocket.manage(method, connectionId, body);
        return send(response, {
          statusCode: answer.statusCode,
          headers: { "content-type": "application/json", ...(answer.errorType && { "x-amzn-errortype": answer.errorType }) },
          body: answer.body ? JSON.stringify(answer.body) : "",
        });
      }
      if (url.pathname.startsWith("/_local/sqs") && method === "POST") {
        const header = request.headers["x-amz-target"];
        return send(response, sqs(Array.isArray(header) ? header[0] : header, body.toString("utf8"), caller));
      }
      const matched = routes
        .map((entry) => ({ ...entry, pathParameters: entry.route.match(method, url.pathname) }))
        .find((entry) => entry.pathParameters);
      if (!matched) return send(response, gatewayError(404, "Not Found"));
      const requestId = apiGatewayId();
      let claims: Record<string, unknown> | undefined;
      if (matched.authorized) {
        const authorization = request.headers.authorization?.replace(/^Bearer\s+/i, "");
        try {
          await verify(authorization);
          claims = JSON.parse(Buffer.from(authorization!.split(".")[1], "base64url").toString("utf8"));
        } catch (error) {
          log(
            `[http] ${matched.route.routeKey}: ${error instanceof TokenRejected ? "token refused" : "issuer unavailable"}: ${(error as Error).message}`,
          );
          // A bad token is the caller's 401; keys that cannot be fetched are the gateway's failure, not the caller's.
          return send(
            response,
            error instanceof TokenRejected ? gatewayError(401, "Unauthorized") : gatewayError(503, "Service Unavailable"),
          );
        }
      }
      const routeKey = matched.route.routeKey;
      if (!matched.fn) {
        // POST /jobs: the SQS-SendMessage integration; jobId and owner are the gateway's, never the client's.
        try {
          const sent = jobs.send(body.toString("utf8"), { jobId: requestId, owner: String(claims!.sub) });
          return send(response, {
            statusCode: 202,
            headers: { "content-type": "application/json", "x-job-id": requestId },
            body: JSON.stringify({ MessageId: sent.messageId, MD5OfMessageBody: sent.md5OfMessageBody }),
          });
        } catch (error) {
          return send(response, gatewayError(400, (error as Error).message));
        }
      }
      if (!Object.hasOwn(functions, matched.fn.name))
        return send(response, gatewayError(501, `${matched.fn.name} runs on a stack only: ${stackOnly[matched.fn.name]}`));
      const event = httpApiEvent(request, body, { routeKey, pathParameters: matched.pathParameters! }, requestId, claims);
      if (Buffer.byteLength(JSON.stringify(event)) > INVOKE_LIMITS.requestResponseBytes)
        return send(response, gatewayError(413, "Request Entity Too Large"));
      let invocation: LocalInvocation | undefined;
      try {
        // API Gateway stops waiting after its integration timeout; the function runs on, as in AWS.
        const timeout = sleep(HTTP_API_LIMITS.integrationTimeoutMs, undefined, { ref: false });
        invocation = await Promise.race([functions[matched.fn.name].invoke(event), timeout]);
      } catch (error) {
        if (error instanceof Throttled) return send(response, gatewayError(503, "Service Unavailable"));
        throw error;
      }
      if (!invocation) return send(response, gatewayError(503, "Service Unavailable"));
      if (!invocation.ok) {
        return send(
          response,
          invocation.error?.errorType === "Sandbox.Timedout"
            ? gatewayError(503, "Service Unavailable")
            : gatewayError(500, "Internal Server Error"),
        );
      }
      return send(response, httpResponseOf(invocation.result));
    }

    [serve, upgrade] = [serveWhenReady, upgradeWhenReady];
    return {
      endpoints,
      config,
      database,
      queues: { jobs, deadLetters },
      functions,
      stackOnly,
      s3,
      sources: [
        join(__dirname, "..", "app"),
        ...config.ownImageFunctions.filter((fn) => !stackOnly[fn.name]).map((fn) => inProject(fn.context)),
      ],
      issueToken: (username) => issuer.issue(username),
      async reload() {
        buildBundles();
        for (const fn of config.functions) functions[fn.name].reload(specOf(fn));
        for (const fn of config.ownImageFunctions) {
          const spec = ownSpecOf(fn);
          if (typeof spec !== "string" && functions[fn.name]) functions[fn.name].reload(spec);
        }
        await migrate();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
