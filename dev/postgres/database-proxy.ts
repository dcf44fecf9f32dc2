import { connect, createServer, type Server, type Socket } from "node:net";
import { TLSSocket } from "node:tls";

/**
 * The local stand-in for RDS Proxy's front door: TLS required, and an RDS IAM auth token as the password,
 * checked (its SigV4 signature, its user, its expiry) before anything reaches PostgreSQL. Behind it the
 * database listens on a Unix socket in a folder only its owner may enter, so no other user of the
 * machine, and no caller without a key the platform gave out, can log in as anyone.
 *
 * The PostgreSQL protocol as far as the proxy needs it (https://www.postgresql.org/docs/current/protocol-flow.html):
 * SSLRequest, then (over TLS) the StartupMessage; it asks for a cleartext password (AuthenticationCleartextPassword),
 * checks it, and then hands the session to the database (which trusts its socket) byte for byte.
 */

export interface DatabaseProxyOptions {
  /** The certificate and key the proxy presents (the functions verify them as they verify RDS Proxy's). */
  tls: { cert: string; key: string };
  /** The database's Unix socket (`<dir>/.s.PGSQL.<port>`). */
  backendSocket: string;
  /** Why `token` does not let its signer in as `user`, or undefined when it does. */
  authenticate(token: string, user: string): string | undefined;
  log?: (line: string) => void;
  /** The port to listen on (127.0.0.1); 0 or unset: one the OS picks. */
  port?: number;
}

export interface DatabaseProxy {
  readonly host: "127.0.0.1";
  readonly port: number;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const PROTOCOL_3 = 196608;
/** No client needs more for its startup or password message; more is refused rather than buffered. */
const MAX_MESSAGE_BYTES = 16_384;
/** A client that has not signed in by then is dropped (RDS Proxy's connection timeout is of this order). */
const SIGN_IN_TIMEOUT_MS = 15_000;

/** An ErrorResponse: severity FATAL, the SQLSTATE code and the message. */
function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat([
    ...[
      ["S", "FATAL"],
      ["V", "FATAL"],
      ["C", code],
      ["M", message],
    ].map(([type, value]) => Buffer.concat([Buffer.from(type), Buffer.from(`${value}\0`)])),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write("E");
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

/** Reads exactly what the protocol says comes next, from a socket that may deliver it in pieces. */
function reader(socket: Socket) {
  let pending = Buffer.alloc(0);
  let waiting: (() => void) | undefined;
  let ended = false;
  socket.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    waiting?.();
  });
  socket.on("close", () => ((ended = true), waiting?.()));
  const bytes = async (count: number): Promise<Buffer> => {
    while (pending.length < count) {
      if (ended) throw new Error("the client went away");
      await new Promise<void>((resume) => (waiting = resume));
      waiting = undefined;
    }
    const taken = pending.subarray(0, count);
    pending = pending.subarray(count);
    return taken;
  };
  return {
    bytes,
    /** What arrived past the messages read so far (handed on with the session). */
    rest: () => pending,
    /** A startup-phase message with no type byte: its length, then its body. */
    async untyped(): Promise<Buffer> {
      const length = (await bytes(4)).readInt32BE(0);
      if (length < 8 || length > MAX_MESSAGE_BYTES) throw new Error(`a startup message of ${length} bytes`);
      return bytes(length - 4);
    },
    async typed(): Promise<{ type: string; body: Buffer }> {
      const header = await bytes(5);
      const length = header.readInt32BE(1);
      if (length < 4 || length > MAX_MESSAGE_BYTES) throw new Error(`a message of ${length} bytes`);
      return { type: header.subarray(0, 1).toString(), body: await bytes(length - 4) };
    },
  };
}

/** The StartupMessage's parameters (user, database, ...). */
function startupParameters(body: Buffer): Record<string, string> {
  const parts = body.subarray(4).toString("utf8").split("\0");
  const parameters: Record<string, string> = {};
  for (let index = 0; index + 1 < parts.length && parts[index] !== ""; index += 2) parameters[parts[index]] = parts[index + 1];
  return parameters;
}

export async function startDatabaseProxy(options: DatabaseProxyOptions): Promise<DatabaseProxy> {
  const log = options.log ?? (() => undefined);
  const sessions = new Set<Socket>();

  async function session(raw: Socket): Promise<void> {
    const plain = reader(raw);
    let first = await plain.untyped();
    if (first.readInt32BE(0) === GSSENC_REQUEST) {
      raw.write("N");
      first = await plain.untyped();
    }
    if (first.readInt32BE(0) !== SSL_REQUEST) {
      raw.end(errorResponse("28000", "the local database requires TLS (sslmode=require or stricter), as RDS Proxy does"));
      return;
    }
    raw.write("S");
    raw.removeAllListeners("data"); // from here on the TLS socket reads it
    const secure = new TLSSocket(raw, { isServer: true, cert: options.tls.cert, key: options.tls.key });
    sessions.add(secure);
    secure.on("close", () => sessions.delete(secure));
    secure.on("error", () => secure.destroy());
    const client = reader(secure);
    const startup = await client.untyped();
    if (startup.readInt32BE(0) !== PROTOCOL_3) {
      secure.end(errorResponse("08P01", "unsupported frontend protocol"));
      return;
    }
    const { user = "" } = startupParameters(startup);
    // AuthenticationCleartextPassword: the token comes as the password, over TLS (what RDS Proxy asks for).
    secure.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
    const password = await client.typed();
    if (password.type !== "p") {
      secure.end(errorResponse("08P01", "expected a password message"));
      return;
    }
    const token = password.body.toString("utf8").replace(/\0$/, "");
    const refused = options.authenticate(token, user);
    if (refused) {
      log(`refused a sign-in as ${user}: ${refused}`);
      secure.end(errorResponse("28000", `IAM authentication failed for user "${user}": ${refused}`));
      return;
    }
    // Signed in: the database trusts its own socket; the client's StartupMessage goes on as sent.
    const backend = connect({ path: options.backendSocket });
    sessions.add(backend);
    backend.on("close", () => (sessions.delete(backend), secure.end()));
    backend.on("error", (error) => {
      log(`database unreachable: ${error.message}`);
      secure.end(errorResponse("08006", "the local database is not answering"));
    });
    secure.removeAllListeners("data");
    const length = Buffer.alloc(4);
    length.writeInt32BE(startup.length + 4);
    backend.write(Buffer.concat([length, startup]));
    if (client.rest().length > 0) backend.write(client.rest());
    secure.pipe(backend);
    backend.pipe(secure);
    secure.on("close", () => backend.destroy());
  }

  const server: Server = createServer((socket) => {
    sessions.add(socket);
    socket.on("close", () => sessions.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.setTimeout(SIGN_IN_TIMEOUT_MS, () => socket.destroy());
    session(socket)
      .then(() => socket.setTimeout(0))
      .catch((error: Error) => {
        log(`dropped a connection: ${error.message}`);
        socket.destroy();
      });
  });
  const port = await new Promise<number>((done, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, "127.0.0.1", () => done((server.address() as { port: number }).port));
  });
  return {
    host: "127.0.0.1",
    port,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sessions) socket.destroy();
        server.close(() => done());
      }),
  };
}
