import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import {
  readStackConfig,
  stackConfigFrom,
  stackFileOf,
  PROJECT,
  type FunctionConfig,
  type OwnImageFunctionConfig,
  type StackConfig,
} from "../config";
import { DLQ_RETENTION_SECONDS, queueVisibilityTimeout } from "../components/job-queue-settings";
import { inProject } from "../components/function-settings";
import { presetStatements, presetTargetsOf } from "../components/permission-presets";
import { scramSha256Verifier } from "../components/postgres-password";
import { COGNITO_SIGN_IN_SCOPE } from "../components/token-issuer";
import { buildBundles, bundleOf } from "./lambda/bundles";
import { freePort } from "./postgres/embedded-postgres";
import { startEventSourceMapping, type InvokeOutcome } from "./sqs/event-source-mapping";
import { gatewayError } from "./apigateway/http-api-event";
import { startLocalDatabase, type LocalDatabase } from "./postgres/local-database";
import { LocalFunction } from "./lambda/local-function";
import { LOCAL_AWS } from "./iam/local-account";
import { type LocalStatement } from "./iam/local-iam";
import { claimedAccessKey, signatureProblem } from "./iam/sigv4";
import { LocalS3, LOCAL_S3_LIMITS } from "./s3/local-s3";
import { lambdaEndpoint, localFunctionArn } from "./lambda/lambda-endpoint";
import { localHandlerOf } from "./lambda/own-image-handler";
import { type LocalFunctionSpec, type LocalInvocation } from "./lambda/local-lambda";
import { LocalQueue } from "./sqs/local-queue";
import { DEFAULT_STATE_DIR, localEndpoints, prepareStateFolder, type LocalEndpoints } from "./local-endpoints";
import { sqsEndpoint } from "./sqs/sqs-endpoint";
import { localTokenIssuer } from "./auth/token-issuer";
import { LocalKeys } from "./iam/local-keys";
import { iamTokenProblem } from "./postgres/iam-auth-token";
import { listenUntilReady, readBody, send } from "./local-server";
import { localIssuerEndpoints } from "./auth/issuer-endpoints";
import { accessDenied, foreignCaller } from "./trust-boundary";
import { localEnvironments } from "./lambda/local-environment";
import { HTTP_API_LIMITS, localHttpApi } from "./apigateway/http-api";
import { cleanUpCrashedPredecessor } from "./crashed-predecessor";
import { websocketGateway } from "./apigateway/websocket-gateway";

export interface DevPlatformOptions {
  /** The HTTP port (the page, both APIs, the issuer's keys); 0 = any free port. @default 3000 */
  port?: number;
  /** The stack whose config the platform runs with (Pulumi.<stack>.yaml). @default "dev" */
  stack?: string;
  /** The stack file to read instead of Pulumi.<stack>.yaml, as `pulumi up --config-file` takes one. */
  configFile?: string;
  /** Where the database's data, its certificate and the endpoints record are kept. @default .dev in the repository */
  stateDir?: string;
  /** The queue's visibility timeout; by default the stack's (six times the worker's timeout, plus the batching window). */
  visibilityTimeoutSeconds?: number;
  /** Where the platform's own lines and every invocation's logs go. @default stdout */
  log?: (line: string) => void;
}

/** Execution environments per function when the stack reserves no concurrency (Lambda's own ceiling is the account's). */
export const LOCAL_DEFAULT_CONCURRENCY = 10;
/** The WebSocket stage, as the stack deploys it. */
const STAGE = "live";
export interface DevPlatform {
  endpoints: LocalEndpoints;
  /** The stack file the config was read from. */
  stackFile: string;
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
export async function startDevPlatform(options: DevPlatformOptions = {}): Promise<DevPlatform> {
  const log = options.log ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const stack = options.stack ?? "dev";
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  const stackFile = stackFileOf(stack, join(__dirname, ".."), options.configFile);
  const config = stackConfigFrom(readStackConfig(stack, join(__dirname, ".."), options.configFile));
  const running = localEndpoints.runningIn(stateDir);
  if (running)
    throw new Error(`npm run dev is already running (pid ${running.pid}, ${running.pageUrl}) with ${stateDir}. Use it, or stop it first.`);
  prepareStateFolder(stateDir);
  const cleaned = await cleanUpCrashedPredecessor(stateDir, join(stateDir, "postgres", "data"));
  if (cleaned.length > 0) log(`The last start was not stopped cleanly: ${cleaned.join("; ")}.`);
  buildBundles();

  // The port first: if it is taken, say so before anything else starts; until ready, every caller gets 503.
  const server = await listenUntilReady(options.port ?? 3000);
  const port = server.port;
  const base = `http://127.0.0.1:${port}`;
  const stopped: (() => unknown)[] = [() => server.close()];
  const stop = async () => {
    for (const step of stopped.splice(0).reverse())
      await Promise.resolve(step()).catch((error: unknown) => log(`stopping: ${(error as Error).message}`));
  };

  try {
    const issuer = await localTokenIssuer(
      { issuer: `${base}/local-issuer`, clientId: "local-client", scope: config.auth?.scope ?? COGNITO_SIGN_IN_SCOPE },
      join(stateDir, "issuer-key.json"),
    );
    const keys = new LocalKeys();
    // Functions sign in as RDS Proxy lets them: an IAM auth token for their proxy address, signed with
    // their own key, for the one database user their grant names (the grant's rds-db:connect).
    const database: LocalDatabase = await startLocalDatabase(join(stateDir, "postgres"), await freePort(), config.database, (token, user) =>
      iamTokenProblem(token, user, {
        address: `${database.host}:${database.port}`,
        secretOf: keys.secretOf,
        // The one user a function's grant names (its DB_USER), as its rds-db:connect does.
        userOf: (accessKeyId) => functions[keys.ownerOf(accessKeyId) ?? ""]?.environment.DB_USER,
        callerOf: keys.ownerOf,
      }),
    );
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
    // Who may have the local issuer sign a token: whoever holds this start's secret (the printed page link,
    // the owner-only endpoints record), not any process or user of the machine that asks.
    const signInSecret = randomBytes(24).toString("base64url");
    const issuerEndpoints = localIssuerEndpoints(issuer, signInSecret);
    // The operator's (redrive --local): no function, so no function's policy; recorded for the owner only.
    const operator = keys.create();
    // Locally a bucket is named as the stack file names it, and a function by its name.
    const localTargets = presetTargetsOf({
      buckets: {},
      functions: Object.fromEntries(config.everyFunction.map(({ name }) => [name, { arns: [localFunctionArn(name)], functionName: name }])),
      queues: { jobs: { arn: jobs.arn, url: queueUrl(jobs) }, "jobs-dlq": { arn: deadLetters.arn, url: queueUrl(deadLetters) } },
    });
    // Each function's own policy, made once: the statements of its presets (none for the app's functions).
    const policies = new Map(
      config.ownImageFunctions.map((fn) => [fn.name, presetStatements(fn.permissions, localTargets) as LocalStatement[]]),
    );
    /** The caller's policy; undefined for a caller that is no function (an operator's command). */
    const functionPolicyOf = (accessKey: string | undefined): LocalStatement[] | undefined => {
      const name = keys.ownerOf(accessKey);
      return name === undefined ? undefined : (policies.get(name) ?? []);
    };
    const policyOf = (accessKey: string | undefined): LocalStatement[] => functionPolicyOf(accessKey) ?? [];
    const s3 = new LocalS3(join(stateDir, "s3"), Object.keys(config.buckets), policyOf);

    const environments = localEnvironments({
      config,
      stack,
      apiUrl: base,
      stage: STAGE,
      database,
      issuer,
      keyOf: (name) => keys.of(name),
      targets: localTargets,
    });
    const specOf = (fn: FunctionConfig): LocalFunctionSpec => ({
      name: fn.name,
      ...bundleOf(fn.handler),
      memoryMb: fn.memory,
      timeoutSeconds: fn.timeout,
      environment: environments.ofAppFunction(fn),
    });
    const ownSpecOf = (fn: OwnImageFunctionConfig): LocalFunctionSpec | string => {
      const handler = localHandlerOf(fn);
      if ("runsOnAStackOnly" in handler) return handler.runsOnAStackOnly;
      return {
        name: fn.name,
        ...handler,
        memoryMb: fn.memory,
        timeoutSeconds: fn.timeout,
        environment: environments.ofOwnImageFunction(fn),
      };
    };
    const logInvocation = (invocation: LocalInvocation, spec: LocalFunctionSpec) => {
      const lines = `${invocation.logs}${invocation.ok ? "" : `${JSON.stringify(invocation.error)}\n`}${invocation.report}`;
      for (const line of lines.trimEnd().split("\n")) log(`[${spec.name}] ${line}`);
    };
    const functions: Record<string, LocalFunction> = {};
    const stackOnly: Record<string, string> = {};
    for (const fn of config.everyFunction) {
      const spec = fn.image === "app" ? specOf(fn) : ownSpecOf(fn);
      if (typeof spec === "string") stackOnly[fn.name] = spec;
      else functions[fn.name] = new LocalFunction(spec, fn.concurrencyLimit ?? LOCAL_DEFAULT_CONCURRENCY, logInvocation);
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

    const httpApi = localHttpApi({ config, issuer, functions, stackOnly, jobs, log: (line) => log(`[http] ${line}`) });
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
      if (signed && (claimed === undefined || keys.secretOf(claimed) === undefined)) {
        request.resume();
        return send(response, accessDenied(`the request is not signed with a key of the local platform (${claimed ?? "no key"})`));
      }
      const caller = signed ? claimed : undefined;
      const body = await readBody(request, service?.[1] === "s3" ? LOCAL_S3_LIMITS.maxObjectBytes * 2 : HTTP_API_LIMITS.maxBodyBytes);
      if (body === undefined)
        return send(response, service?.[1] === "s3" ? s3.entityTooLarge() : gatewayError(413, "Request Entity Too Large"));
      const badSignature = signed && signatureProblem({ method, target: request.url ?? "/", headers, body }, keys.secretOf);
      if (badSignature) return send(response, accessDenied(badSignature));
      if (service?.[1] === "s3")
        return send(response, s3.handle({ method, path: service[2], query: url.searchParams, headers, body }, caller));
      if (service?.[1] === "lambda") return send(response, await invokeApi({ method, path: service[2], headers, body }, caller));
      if (method === "GET" && url.pathname === "/") {
        return send(response, { statusCode: 200, headers: { "content-type": "text/html; charset=utf-8" }, body: page });
      }
      const signIn = await issuerEndpoints.handle(method, url, headers);
      if (signIn) return send(response, signIn);
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
      return send(response, await httpApi.handle(request, url, method, body));
    }

    server.ready(serveWhenReady, upgradeWhenReady);
    return {
      endpoints,
      stackFile,
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
        for (const fn of config.everyFunction) {
          const spec = fn.image === "app" ? specOf(fn) : ownSpecOf(fn);
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
