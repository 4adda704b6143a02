import type { Static } from "@sinclair/typebox";
import { request, type Dispatcher } from "undici";
import type { ChildLogs, ChildStartResult, ChildState, ChildVerbResult, ChildWaitResult, SIGNALS, WAIT_CONDITION_VALUES } from "../../schemas/child.js";
import type { Problem } from "../../schemas/common.js";
import type { CodexdEvent, EventPage, EventQuery } from "../../schemas/events.js";
import type { StatusResponse } from "../../schemas/status.js";
import { CodexdApiError } from "./errors.js";
import { readSse } from "./sse-reader.js";

export { CodexdApiError };
export type { ChildState, CodexdEvent, EventPage, StatusResponse };

export interface ClientOptions {
  /** e.g. http://127.0.0.1:4319 */
  baseUrl: string;
  token?: string;
  dispatcher?: Dispatcher;
}

export interface StreamOptions extends Omit<EventQuery, "after" | "limit"> {
  /** Replay after this seq; without it the stream starts at the live tail. */
  after?: number;
  signal?: AbortSignal;
  /** Delay before reconnecting after a dropped connection (default 250 ms). */
  reconnectDelayMs?: number;
}

type Query = Record<string, string | number | boolean | undefined>;

/** Typed client for the codexd REST API; problem+json answers throw CodexdApiError. */
export class CodexdClient {
  constructor(private readonly options: ClientOptions) {}

  status(): Promise<StatusResponse> {
    return this.call("GET", "/v1/status");
  }

  listEvents(query: EventQuery = {}): Promise<EventPage> {
    return this.call("GET", "/v1/events", { query: query as Query });
  }

  readonly child = {
    get: (): Promise<ChildState> => this.call("GET", "/v1/child"),
    start: (query: { wait?: boolean; timeoutMs?: number } = {}): Promise<Static<typeof ChildStartResult>> =>
      this.call("POST", "/v1/child/start", { query }),
    stop: (query: { timeoutMs?: number } = {}): Promise<Static<typeof ChildVerbResult>> => this.call("POST", "/v1/child/stop", { query }),
    restart: (): Promise<Static<typeof ChildVerbResult>> => this.call("POST", "/v1/child/restart"),
    signal: (signal: (typeof SIGNALS)[number]): Promise<ChildState> => this.call("POST", "/v1/child/signal", { body: { signal } }),
    wait: (condition: (typeof WAIT_CONDITION_VALUES)[number], timeoutMs?: number): Promise<Static<typeof ChildWaitResult>> =>
      this.call("POST", "/v1/child/wait", { query: { condition, timeoutMs } }),
    logs: (query: { stream?: "stderr" | "stdout"; tail?: number } = {}): Promise<Static<typeof ChildLogs>> =>
      this.call("GET", "/v1/child/logs", { query }),
  };

  /**
   * Events as they are recorded, resuming after a dropped connection from the last seq seen, so
   * the sequence has no gap and no repeat. Ends on a `shutdown` event, on abort, or throws on a
   * problem (410 when the cursor is older than what the daemon keeps).
   */
  async *streamEvents(options: StreamOptions = {}): AsyncGenerator<CodexdEvent> {
    const { signal, reconnectDelayMs = 250, after, ...filter } = options;
    let cursor = after;
    for (;;) {
      if (signal?.aborted) return;
      const headers: Record<string, string> = { accept: "text/event-stream" };
      if (cursor !== undefined) headers["last-event-id"] = String(cursor);
      let response: Dispatcher.ResponseData;
      try {
        response = await request(this.url("/v1/events/stream", filter as Query), {
          method: "GET",
          headers: this.headers(headers),
          signal,
          ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
        });
      } catch {
        if (signal?.aborted) return;
        await delay(reconnectDelayMs);
        continue;
      }
      if (response.statusCode !== 200) throw await this.problem(response);
      // Started at the live tail: the daemon says from where, so a reconnect misses nothing.
      const effective = Number(response.headers["x-codexd-after"]);
      if (cursor === undefined && Number.isInteger(effective)) cursor = effective;
      try {
        for await (const message of readSse(response.body)) {
          if (message.event === "shutdown") return;
          if (message.event === "overflow") break; // reconnect from the last seq we saw
          const event = JSON.parse(message.data) as CodexdEvent;
          cursor = event.seq;
          yield event;
        }
      } catch {
        if (signal?.aborted) return;
        // A dropped connection: resume below.
      } finally {
        response.body.destroy();
      }
      await delay(reconnectDelayMs);
    }
  }

  private async call<T>(method: "GET" | "POST" | "DELETE", path: string, init: { query?: Query; body?: unknown } = {}): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    const response = await request(this.url(path, init.query), {
      method,
      headers: this.headers(headers),
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
    });
    if (response.statusCode >= 400) throw await this.problem(response);
    return (await response.body.json()) as T;
  }

  private async problem(response: Dispatcher.ResponseData): Promise<CodexdApiError> {
    const text = await response.body.text();
    try {
      return new CodexdApiError(JSON.parse(text) as Problem & Record<string, unknown>);
    } catch {
      return new CodexdApiError({ type: "about:blank", title: "Unexpected response", status: response.statusCode, code: "CODEXD_UNEXPECTED_RESPONSE", detail: text.slice(0, 500) });
    }
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    return this.options.token ? { ...extra, authorization: `Bearer ${this.options.token}` } : extra;
  }

  private url(path: string, query: Query = {}): string {
    const url = new URL(path, this.options.baseUrl);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.toString();
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
