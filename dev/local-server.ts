import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { HTTP_API_LIMITS, type HttpAnswer } from "./apigateway/http-api";

type Serve = (request: IncomingMessage, response: ServerResponse) => void;
type Upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * The platform's one HTTP server on 127.0.0.1 (the page, both APIs, the issuer, the local AWS APIs),
 * listening before anything else starts, so a taken port is said first. Until `ready` hands it the
 * platform's handlers, every request and WebSocket upgrade is answered 503 with Retry-After: none is left
 * without an answer. Like API Gateway's HTTP API it takes at most 10,240 bytes of request line and
 * headers (Node answers 431 past it).
 */
export async function listenUntilReady(port: number) {
  const server = createServer({ maxHeaderSize: HTTP_API_LIMITS.maxHeaderBytes });
  let serve: Serve | undefined;
  let upgrade: Upgrade | undefined;
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
  const listening = await new Promise<number>((done, fail) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      fail(
        error.code === "EADDRINUSE"
          ? new Error(
              `Port ${port} on 127.0.0.1 is in use (another npm run dev?). Stop it, or pick another: npm run dev -- --port ${port + 1}`,
            )
          : error,
      ),
    );
    server.listen(port, "127.0.0.1", () => done((server.address() as { port: number }).port));
  });
  return {
    /** The port it listens on (the one asked for, or the free one the system chose for 0). */
    port: listening,
    /** From now on, requests and upgrades go to the platform. */
    ready(handler: Serve, onUpgrade: Upgrade) {
      [serve, upgrade] = [handler, onUpgrade];
    },
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** Reads a request body up to `limit` bytes; undefined when it is larger. */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function send(response: ServerResponse, answer: HttpAnswer) {
  response.writeHead(answer.statusCode, answer.headers).end(answer.body);
}
