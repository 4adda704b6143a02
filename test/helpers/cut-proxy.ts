/**
 * A TCP proxy in front of a daemon, for clients the tests do not control (the `eventsource`
 * package, a browser's EventSource): it cuts every open connection on demand, holds new ones
 * (accepted, not yet forwarded) while a test changes things behind it, and forwards to whatever
 * port the daemon listens on now (a restarted daemon gets a new one).
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export class CutProxy {
  private readonly open = new Set<Socket>();
  private held: Socket[] = [];
  private holding = false;
  private server!: Server;
  port = 0;

  private constructor(public targetPort: number) {}

  static async start(targetPort: number): Promise<CutProxy> {
    const proxy = new CutProxy(targetPort);
    proxy.server = createServer((client) => proxy.accept(client));
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
    proxy.port = (proxy.server.address() as AddressInfo).port;
    return proxy;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Connections accepted while holding and not forwarded yet. */
  get heldCount(): number {
    return this.held.filter((s) => !s.destroyed).length;
  }

  /** Accept new connections but forward none until release(). */
  hold(): void {
    this.holding = true;
  }

  /** Forward the held connections (to the current target) and every new one. */
  release(): void {
    this.holding = false;
    for (const client of this.held.splice(0)) if (!client.destroyed) this.forward(client);
  }

  /** Drop every open connection, both ways (a network cut as both ends see it). */
  cut(): void {
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }

  async close(): Promise<void> {
    this.cut();
    for (const s of this.held) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.open.add(client);
    client.on("close", () => this.open.delete(client));
    client.on("error", () => client.destroy());
    if (this.holding) {
      client.pause();
      this.held.push(client);
    } else {
      this.forward(client);
    }
  }

  private forward(client: Socket): void {
    const upstream = connect(this.targetPort, "127.0.0.1");
    this.open.add(upstream);
    upstream.on("close", () => {
      this.open.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }
}
