/** A minimal JSON client for the daemon's REST API, and an SSE reader on top of the same agent. */
import { Agent, request } from "undici";
import type { EventSourceMessage } from "eventsource-parser";
import { readSse } from "../../src/client/sse-reader.js";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export class Api {
  private readonly agent = new Agent({ connections: 128, keepAliveTimeout: 10_000 });

  constructor(readonly baseUrl: string) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 20_000): Promise<Reply> {
    const res = await request(this.baseUrl + path, {
      method: method as "GET",
      dispatcher: this.agent,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    const type = String(res.headers["content-type"] ?? "");
    return { status: res.statusCode, headers: res.headers, body: type.includes("json") && text ? JSON.parse(text) : text };
  }

  get(path: string, timeoutMs?: number): Promise<Reply> {
    return this.call("GET", path, undefined, {}, timeoutMs);
  }

  post(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    return this.call("POST", path, body ?? {}, headers);
  }

  /**
   * Open an event stream; `onMessage` gets every message in order. Resolves with how it ended:
   * "ended" (the server closed it), "aborted" (by `signal`) or an error. `after` is the effective
   * cursor the server reported (x-codexd-after).
   */
  async stream(
    path: string,
    lastEventId: number | null,
    signal: AbortSignal,
    onOpen: (after: number) => void,
    onMessage: (message: EventSourceMessage) => boolean | void,
  ): Promise<{ status: number; end: "ended" | "aborted" | "stopped" | "error"; error?: unknown; body?: string }> {
    let status = 0;
    // Its own connection, closed when the stream is done: an aborted undici request whose agent
    // had served other requests was seen to leave its socket open, which keeps a stopping daemon
    // waiting on that connection.
    const agent = new Agent({ connections: 1 });
    const own = new AbortController();
    const forward = () => own.abort();
    signal.addEventListener("abort", forward);
    try {
      const res = await request(this.baseUrl + path, {
        method: "GET",
        dispatcher: agent,
        headers: { accept: "text/event-stream", ...(lastEventId !== null ? { "last-event-id": String(lastEventId) } : {}) },
        signal: own.signal,
        headersTimeout: 10_000,
        bodyTimeout: 0,
      });
      status = res.statusCode;
      if (status !== 200) return { status, end: "ended", body: await res.body.text() };
      onOpen(Number(res.headers["x-codexd-after"]));
      for await (const message of readSse(res.body)) {
        if (onMessage(message) === false) {
          own.abort();
          return { status, end: "stopped" };
        }
      }
      return { status, end: "ended" };
    } catch (error) {
      return { status, end: signal.aborted ? "aborted" : "error", error };
    } finally {
      signal.removeEventListener("abort", forward);
      await agent.destroy().catch(() => {});
    }
  }

  async close(): Promise<void> {
    await this.agent.destroy().catch(() => {});
  }
}
