import { PassThrough, Writable } from "node:stream";
import { Agent, WebSocket } from "undici";
import { JsonRpcConnection } from "../codex/jsonrpc-connection.js";
import type { ExitInfo, StopStep } from "./app-server-process.js";

export class ConnectError extends Error {}

/**
 * Strategy `external`: an app-server someone else runs, listening on `ws://HOST:PORT` or
 * `unix://PATH`. Both speak WebSocket with one JSON-RPC message per text frame; this adapts the
 * frames to the line-based connection. No process control: stop closes the socket.
 */
export class ExternalLink {
  readonly connection: JsonRpcConnection;
  readonly exited: Promise<ExitInfo>;
  readonly pid = null;
  readonly pgid = null;
  readonly startTicks = null;
  private closedInfo: ExitInfo | null = null;

  private constructor(private readonly socket: WebSocket) {
    const input = new PassThrough();
    let pending = "";
    const output = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        pending += chunk.toString("utf8");
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          if (socket.readyState === WebSocket.OPEN) socket.send(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
        callback();
      },
      final(callback) {
        socket.close(1000, "client done");
        callback();
      },
    });
    socket.addEventListener("message", (event) => {
      const data = typeof event.data === "string" ? event.data : Buffer.from(event.data as ArrayBuffer).toString("utf8");
      input.write(`${data}\n`);
    });
    this.exited = new Promise((resolve) => {
      socket.addEventListener("close", (event) => {
        this.closedInfo = { code: event.code === 1000 ? 0 : event.code, signal: null };
        input.end();
        resolve(this.closedInfo);
      });
    });
    this.connection = new JsonRpcConnection({ input, output, maxLineBytes: 16 * 1024 * 1024 });
  }

  get alive(): boolean {
    return this.closedInfo === null;
  }

  get exit(): ExitInfo | null {
    return this.closedInfo;
  }

  static connect(endpoint: string, timeoutMs: number): Promise<ExternalLink> {
    const unix = endpoint.startsWith("unix://");
    const url = unix ? "ws://localhost/" : endpoint;
    const dispatcher = unix ? new Agent({ connect: { socketPath: endpoint.slice("unix://".length) } }) : undefined;
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, dispatcher ? { dispatcher } : undefined);
      const timer = setTimeout(() => {
        socket.close();
        reject(new ConnectError(`no connection to ${endpoint} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.addEventListener("open", () => {
        clearTimeout(timer);
        resolve(new ExternalLink(socket));
      });
      socket.addEventListener("error", () => {
        clearTimeout(timer);
        reject(new ConnectError(`cannot connect to ${endpoint}`));
      });
    });
  }

  async stop(): Promise<StopStep> {
    this.connection.close("stopping");
    if (this.alive) this.socket.close(1000, "stopping");
    await this.exited;
    return "eof";
  }

  killGroup(): void {}
}
