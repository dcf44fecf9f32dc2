import Ajv from "ajv";
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { SUBMIT_REQUEST_TEMPLATE, SUBMIT_RESPONSES, submitModel, USAGE } from "../../components/websocket-routes";
import type { InvokeOutcome } from "../sqs/event-source-mapping";
import type { LocalQueue } from "../sqs/local-queue";
import { parseSendMessage, renderMappingTemplate } from "./vtl";
import { LOCAL_AWS } from "../iam/local-account";
import { parseJob } from "../../app/core/job-types";

/**
 * API Gateway WebSocket quotas the local API keeps
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html#apigateway-execution-service-websocket-limits-table):
 * a message of at most 128 KB, a connection idle for 10 minutes is closed.
 */
export const WEBSOCKET_LIMITS = {
  maxMessageBytes: 128 * 1024,
  idleTimeoutMs: 10 * 60_000,
  /**
   * What the platform holds for a client that does not read (eight of the largest messages): past it the
   * connection is dropped, and the next post to it is 410 Gone, so a stalled client costs bounded memory.
   */
  maxUnreadBytes: 8 * 128 * 1024,
} as const;

/** API Gateway's ids: 16 characters, URL-safe base64 of 11 bytes (connection and request ids look like "K5wZ1cfFIAMCJmA="). */
export const apiGatewayId = () => `${randomBytes(11).toString("base64url")}=`;

export interface WebSocketGatewayOptions {
  stage: string;
  /** Invokes the `$connect` authorizer (the ws-authorizer function) with a REQUEST authorizer event. */
  authorize(event: APIGatewayRequestAuthorizerEvent): Promise<InvokeOutcome>;
  /** Where `submit` sends (the SQS integration). */
  queue: LocalQueue;
  log(line: string): void;
}

/**
 * The jobs WebSocket API, locally: `$connect` decided by the authorizer function (token in `?token=`; none
 * is 401 before the authorizer runs, as an absent identity source is), routes chosen by `$request.body.action`,
 * `submit` validated against the deployed model and sent to the queue through the deployed request template,
 * acknowledged with the deployed response template, `$default` answering with the usage, and the
 * `@connections` management API for the worker.
 */
export function websocketGateway(options: WebSocketGatewayOptions) {
  const server = new WebSocketServer({ noServer: true, maxPayload: WEBSOCKET_LIMITS.maxMessageBytes });
  const connections = new Map<string, { socket: WebSocket; principalId: string; connectedAt: number; lastActiveAt: number }>();
  const { $schema: _draft, ...model } = submitModel() as { $schema: string };
  const validSubmit = new Ajv({ strict: false }).compile(model);
  const methodArn = (routeKey: string) => `arn:aws:execute-api:${LOCAL_AWS.region}:${LOCAL_AWS.account}:local/${options.stage}/${routeKey}`;

  const refuse = (socket: Duplex, status: number, message: string) => {
    socket.end(
      `HTTP/1.1 ${status} ${message}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify({ message })}`,
    );
  };

  /** Sends to a client unless it has stopped reading: then it is dropped instead of buffered without end. */
  const deliver = (socket: WebSocket | undefined, text: string): boolean => {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    if (socket.bufferedAmount + Buffer.byteLength(text) > WEBSOCKET_LIMITS.maxUnreadBytes) {
      options.log(`dropped a connection that stopped reading (${socket.bufferedAmount} bytes unread)`);
      socket.terminate();
      return false;
    }
    socket.send(text);
    return true;
  };

  async function connect(request: IncomingMessage, socket: Duplex, head: Buffer) {
    const url = new URL(request.url ?? "/", "http://local");
    const token = url.searchParams.get("token");
    if (!token) return refuse(socket, 401, "Unauthorized");
    const connectionId = apiGatewayId();
    const now = Date.now();
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
    const query = Object.fromEntries(url.searchParams);
    const event = {
      type: "REQUEST",
      methodArn: methodArn("$connect"),
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
      queryStringParameters: query,
      multiValueQueryStringParameters: Object.fromEntries(
        [...url.searchParams.keys()].map((name) => [name, url.searchParams.getAll(name)]),
      ),
      stageVariables: {},
      requestContext: {
        routeKey: "$connect",
        eventType: "CONNECT",
        extendedRequestId: apiGatewayId(),
        requestTime: new Date(now).toUTCString(),
        messageDirection: "IN",
        stage: options.stage,
        connectedAt: now,
        requestTimeEpoch: now,
        identity: { sourceIp: request.socket.remoteAddress ?? "127.0.0.1", userAgent: headers["user-agent"] ?? "" },
        requestId: apiGatewayId(),
        domainName: headers.host ?? "127.0.0.1",
        connectionId,
        apiId: "local",
      },
    } as unknown as APIGatewayRequestAuthorizerEvent;
    const outcome = await options.authorize(event);
    if (!outcome.ok) {
      // The authorizer's "Unauthorized" is API Gateway's 401; any other failure is a 500.
      options.log(`$connect refused: ${outcome.error}`);
      return /(^|: )Unauthorized$/.test(outcome.error) ? refuse(socket, 401, "Unauthorized") : refuse(socket, 500, "Internal Server Error");
    }
    const policy = outcome.result as {
      principalId?: string;
      policyDocument?: { Statement?: { Effect?: string; Resource?: unknown }[] };
    } | null;
    const allowed = policy?.policyDocument?.Statement?.some(
      (statement) =>
        statement.Effect === "Allow" && [statement.Resource].flat().some((resource) => resource === event.methodArn || resource === "*"),
    );
    if (!allowed || typeof policy?.principalId !== "string") return refuse(socket, 403, "Forbidden");
    server.handleUpgrade(request, socket, head, (ws) => {
      const connection = { socket: ws, principalId: policy.principalId!, connectedAt: now, lastActiveAt: now };
      connections.set(connectionId, connection);
      let idle = setTimeout(() => ws.close(1001, "Going away"), WEBSOCKET_LIMITS.idleTimeoutMs);
      // A protocol error (a message over the size limit, a bad frame) closes the connection with its code; nothing else.
      ws.on("error", (error) => options.log(`connection ${connectionId}: ${error.message}`));
      ws.on("close", () => {
        clearTimeout(idle);
        connections.delete(connectionId);
      });
      ws.on("message", (data, binary) => {
        clearTimeout(idle);
        idle = setTimeout(() => ws.close(1001, "Going away"), WEBSOCKET_LIMITS.idleTimeoutMs);
        connection.lastActiveAt = Date.now();
        route(connectionId, connection.principalId, binary ? undefined : data.toString("utf8"));
      });
    });
  }

  /** One message: route selection on `action`, then `submit` or `$default`. */
  function route(connectionId: string, principalId: string, body: string | undefined) {
    const socket = connections.get(connectionId)?.socket;
    const requestId = apiGatewayId();
    let message: unknown;
    try {
      message = body === undefined ? undefined : JSON.parse(body);
    } catch {
      message = undefined;
    }
    const action = (message as { action?: unknown } | null)?.action;
    if (action !== "submit" || body === undefined) return deliver(socket, USAGE);
    if (!validSubmit(message)) {
      // What API Gateway sends when a message fails its route's model, and what its execution log says
      // (the reason, from the schema the model is generated from); locally the frame carries it too.
      const parsed = parseJob(body);
      const reason = parsed.ok ? "the message does not match the route's model" : parsed.reason;
      options.log(`submit from ${connectionId} refused by the route's model: ${reason}`);
      return deliver(socket, JSON.stringify({ message: "Invalid request body", reason, connectionId, requestId }));
    }
    const context = { connectionId, requestId, authorizer: { principalId } };
    try {
      const request = parseSendMessage(renderMappingTemplate(SUBMIT_REQUEST_TEMPLATE, { body, context }));
      options.queue.send(request.body, request.attributes);
      deliver(socket, renderMappingTemplate(SUBMIT_RESPONSES.ok, { body, context }));
    } catch (error) {
      options.log(`submit from ${connectionId}: SQS refused the message: ${(error as Error).message}`);
      deliver(socket, renderMappingTemplate(SUBMIT_RESPONSES.failed, { body, context }));
    }
  }

  return {
    /** The HTTP upgrade of a `ws://.../<stage>?token=` request. */
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
      connect(request, socket, head).catch((error: unknown) => {
        options.log(`$connect failed: ${(error as Error).message}`);
        refuse(socket, 500, "Internal Server Error");
      });
    },
    /**
     * The management API: POST (send), GET (describe), DELETE (disconnect) `/@connections/{id}`.
     * A connection that is gone is 410 GoneException, as in API Gateway.
     */
    manage(method: string, connectionId: string, data: Buffer): { statusCode: number; errorType?: string; body?: object } {
      const connection = connections.get(connectionId);
      if (!connection || connection.socket.readyState !== WebSocket.OPEN)
        return { statusCode: 410, errorType: "GoneException", body: { message: null } };
      if (method === "POST") {
        if (data.length > WEBSOCKET_LIMITS.maxMessageBytes)
          return { statusCode: 413, errorType: "PayloadTooLargeException", body: { message: "Message too long" } };
        return deliver(connection.socket, data.toString("utf8"))
          ? { statusCode: 200 }
          : { statusCode: 410, errorType: "GoneException", body: { message: null } };
      }
      if (method === "DELETE") {
        connection.socket.close(1000);
        return { statusCode: 204 };
      }
      return {
        statusCode: 200,
        body: {
          ConnectedAt: new Date(connection.connectedAt).toISOString(),
          LastActiveAt: new Date(connection.lastActiveAt).toISOString(),
          Identity: { SourceIp: "127.0.0.1" },
        },
      };
    },
    close() {
      for (const { socket } of connections.values()) socket.terminate();
      server.close();
    },
  };
}
