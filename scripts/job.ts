// npm run job -- (--stack dev --token <JWT> | --local [--token <JWT>]) [--type primes|echo] [--max 1000000] [--timeout 60]
// A small client of the async path: connects to the stack's WebSocket API with the token, submits a
// job, prints the acknowledgement (the job id) and then the result when the worker pushes it. --local
// uses the running `npm run dev` (its WebSocket URL and dev token, from .dev/endpoints.json).
import WebSocket from "ws";
import { runCommand } from "./run-command";
import { describeValue } from "../app/core/describe-value";
import { JOB_TYPES, parseJob } from "../app/core/job-types";
import { localEndpoints } from "../dev/local-endpoints";
import { readStackOutputs, requiredOutput, StackOutputs } from "./stack-outputs";
import { COMMANDS, parseCommandLine } from "./command-line";

const USAGE = COMMANDS["job"].usage;

export async function main(
  argv: string[],
  write: (text: string) => void,
  outputs: (stack: string) => StackOutputs = readStackOutputs,
  local: () => StackOutputs & { token: string } = () => localEndpoints.read(),
): Promise<number> {
  let options;
  try {
    options = parseCommandLine("job", argv).values;
    if (Boolean(options.stack) === Boolean(options.local)) throw new Error("give --stack NAME (with --token) or --local");
    if (options.stack && !options.token) throw new Error("--token is required with --stack");
    if (!(JOB_TYPES as string[]).includes(options.type!))
      throw new Error(`--type must be one of ${JOB_TYPES.join(", ")}, got ${describeValue(options.type)}`);
    if (!/^\d{1,15}$/.test(options.max!)) throw new Error(`--max must be a whole number, got ${describeValue(options.max)}`);
    if (!/^\d{1,3}$/.test(options.timeout!) || Number(options.timeout) < 1 || Number(options.timeout) > 900)
      throw new Error(`--timeout must be 1 to 900 seconds, got ${describeValue(options.timeout)}`);
  } catch (error) {
    write(`job: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const request = {
    action: "submit",
    type: options.type,
    input: options.type === "primes" ? { max: Number(options.max) } : { sentAt: new Date().toISOString() },
  };
  // The worker's own rules, before anything is sent: a job the stack would refuse is refused here, by name.
  const parsed = parseJob(JSON.stringify(request));
  if (!parsed.ok) {
    write(`job: ${parsed.reason.replace(/^input\.max/, "--max")}\n${USAGE}\n`);
    return 2;
  }
  let url: string;
  let token = options.token;
  try {
    if (options.local) {
      const endpoints = local();
      token ??= endpoints.token;
      url = requiredOutput(endpoints, "websocketUrl", "local");
    } else url = requiredOutput(outputs(options.stack!), "websocketUrl", options.stack!);
  } catch (error) {
    write(`job: ${(error as Error).message}\n`);
    return 1;
  }
  const timeoutMs = Number(options.timeout) * 1000;

  return new Promise<number>((finish) => {
    const socket = new WebSocket(`${url}?token=${encodeURIComponent(token!)}`, { handshakeTimeout: 10_000 });
    let jobId: string | undefined;
    // The worker may post the result before API Gateway's acknowledgement arrives: keep results until then.
    const early = new Map<string, any>();
    const finishWith = (message: any) => {
      const ok = message.status === "succeeded";
      done(ok ? 0 : 1, `Job ${jobId} ${message.status}: ${JSON.stringify(ok ? message.result : message.error)}\n`);
    };
    const done = (code: number, message: string) => {
      clearTimeout(timer);
      write(message);
      socket.removeAllListeners();
      socket.on("error", () => undefined);
      socket.terminate();
      finish(code);
    };
    const timer = setTimeout(
      () =>
        done(1, `No result within ${options.timeout} s.${jobId ? ` The job keeps running; read it later with GET /jobs/${jobId}.` : ""}\n`),
      timeoutMs,
    );
    socket.on("unexpected-response", (_request, response) =>
      done(
        1,
        response.statusCode === 401 || response.statusCode === 403
          ? `The token was refused (${response.statusCode}): sign in again for a fresh one.\n`
          : `The API answered ${response.statusCode} to the connection.\n`,
      ),
    );
    socket.on("error", (error) => done(1, `Could not connect to ${url}: ${error.message}\n`));
    socket.on("open", () => {
      write(`Connected to ${url}; submitting ${JSON.stringify(request)}\n`);
      socket.send(JSON.stringify(request));
    });
    socket.on("message", (data) => {
      let message: any;
      try {
        message = JSON.parse(String(data));
      } catch {
        return write(`(ignored a message that is not JSON: ${String(data).slice(0, 200)})\n`);
      }
      if (message === null || typeof message !== "object") return write(`(ignored an unexpected message: ${String(data).slice(0, 200)})\n`);
      if (message.error && !message.jobId) return done(1, `The API refused the job: ${message.error}\n`);
      // API Gateway's own error frames: {"message": "Invalid request body", "connectionId": ..., "requestId": ...},
      // with the reason from npm run dev's gateway.
      if (typeof message.message === "string" && !message.jobId)
        return done(
          1,
          `API Gateway refused the message: ${message.message.slice(0, 200)}${typeof message.reason === "string" ? `: ${message.reason.slice(0, 300)}` : ""}\n`,
        );
      if (message.status === "queued" && !jobId) {
        jobId = message.jobId;
        write(`Queued as job ${jobId}; waiting for the result...\n`);
        if (early.has(jobId!)) finishWith(early.get(jobId!));
        return;
      }
      if (jobId && message.jobId === jobId) return finishWith(message);
      if (!jobId && typeof message.jobId === "string" && early.size < 100) early.set(message.jobId, message);
    });
  });
}

if (require.main === module) runCommand("job", main);
