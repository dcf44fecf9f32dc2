import { createServer, Server, Socket } from "node:net";

/**
 * A TCP relay on 127.0.0.1 in front of a server (PostgreSQL in these tests), to break the connection
 * the way production does:
 * - freeze(): stop delivering the server's bytes, as a frozen Lambda execution environment stops
 *   reading its sockets (whatever the server sends meanwhile waits until thaw()).
 * - cut(): drop every connection and refuse new ones, as when the database goes away; restore() ends it.
 */
export class TcpRelay {
  private readonly server: Server;
  private readonly upstreams = new Set<Socket>();
  private refusing = false;
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.server = createServer((client) => {
      if (this.refusing) return void client.destroy();
      const upstream = new Socket();
      upstream.connect(target.port, target.host);
      this.upstreams.add(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.upstreams.delete(upstream);
      };
      client.on("error", close).on("close", close);
      upstream.on("error", close).on("close", close);
    });
  }

  listen(): Promise<this> {
    return new Promise((done) =>
      this.server.listen(0, "127.0.0.1", () => {
        this.port = (this.server.address() as { port: number }).port;
        done(this);
      }),
    );
  }
  freeze(): void {
    for (const upstream of this.upstreams) upstream.pause();
  }
  thaw(): void {
    for (const upstream of this.upstreams) upstream.resume();
  }
  cut(): void {
    this.refusing = true;
    for (const upstream of this.upstreams) upstream.destroy();
  }
  restore(): void {
    this.refusing = false;
  }
  close(): Promise<void> {
    this.cut();
    return new Promise((done) => this.server.close(() => done()));
  }
}
