import type { Static } from "@sinclair/typebox";
import { request, type Dispatcher } from "undici";
import type { ChildLogs, ChildStartResult, ChildState, ChildVerbResult, ChildWaitResult, SIGNALS, WAIT_CONDITION_VALUES } from "../../schemas/child.js";
import type { Problem } from "../../schemas/common.js";
import type { CodexdEvent, EventPage, EventQuery } from "../../schemas/events.js";
import type { ApprovalRecord, DecisionBody } from "../../schemas/approvals.js";
import type { CreateRunBody, RunRecord, RunStatus } from "../../schemas/runs.js";
import type { CreateSessionBody, SessionRecord, SessionStatus, StartTurnBody } from "../../schemas/sessions.js";
import type { StatusResponse } from "../../schemas/status.js";
import type { TurnRecord } from "../../schemas/turns.js";
import type { RunDiff, WorkspaceRemoveResult } from "../../schemas/workspaces.js";
import { CodexdApiError } from "./errors.js";
import { readSse } from "./sse-reader.js";

export { CodexdApiError };
export type { ApprovalRecord, ChildState, CodexdEvent, EventPage, RunRecord, SessionRecord, StatusResponse, TurnRecord };

export interface Page {
  limit?: number;
  cursor?: string;
}

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
  /**
   * Called when the cursor is older than what the daemon keeps (410 CODEXD_CURSOR_EXPIRED): the
   * events in between are lost for good. With it, the stream goes on from the oldest event kept
   * after telling it; without it, the 410 is thrown.
   */
  onGap?: (gap: EventGap) => void;
}

/** Events no longer kept by the daemon: seqs `from` to `to` (inclusive) were skipped. */
export interface EventGap {
  from: number;
  to: number;
  /** The oldest seq kept; the stream or page goes on from there. */
  oldestSeq: number;
}

/** The gap a 410 CODEXD_CURSOR_EXPIRED answer for `after` describes, or null for any other error. */
export function gapOf(error: unknown, after: number): EventGap | null {
  if (!(error instanceof CodexdApiError) || error.code !== "CODEXD_CURSOR_EXPIRED") return null;
  const oldestSeq = error.problem.oldestSeq;
  if (typeof oldestSeq !== "number") return null;
  return { from: after + 1, to: oldestSeq - 1, oldestSeq };
}

export interface LogFollowOptions {
  stream?: "stderr" | "stdout";
  /** Lines of history sent before the live ones (daemon default 200). */
  tail?: number;
  signal?: AbortSignal;
}

export interface LogLine {
  stream: "stderr" | "stdout";
  line: string;
}

type Query = object;

/** Typed client for the codexd REST API; problem+json answers throw CodexdApiError. */
export class CodexdClient {
  constructor(private readonly options: ClientOptions) {}

  status(): Promise<StatusResponse> {
    return this.call("GET", "/v1/status");
  }

  /**
   * One page of events. With `onGap`, a cursor older than what the daemon keeps is not an error:
   * the gap is reported and the page starts at the oldest event kept.
   */
  async listEvents(query: EventQuery = {}, options: { onGap?: (gap: EventGap) => void } = {}): Promise<EventPage> {
    try {
      return await this.call<EventPage>("GET", "/v1/events", { query });
    } catch (error) {
      const gap = options.onGap && query.after !== undefined ? gapOf(error, query.after) : null;
      if (!gap) throw error;
      options.onGap!(gap);
      return this.call("GET", "/v1/events", { query: { ...query, after: gap.oldestSeq - 1 } });
    }
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

  health(): Promise<{ status: "ok" }> {
    return this.call("GET", "/healthz");
  }

  ready(): Promise<{ status: "ready"; checks: Record<string, boolean> }> {
    return this.call("GET", "/readyz");
  }

  metrics(): Promise<string> {
    return this.call("GET", "/metrics", { text: true });
  }

  readonly sessions = {
    create: (body: CreateSessionBody = {}): Promise<SessionRecord> => this.call("POST", "/v1/sessions", { body }),
    list: (query: { status?: SessionStatus } & Page = {}): Promise<{ sessions: SessionRecord[]; nextCursor: string | null }> =>
      this.call("GET", "/v1/sessions", { query }),
    get: (id: string): Promise<SessionRecord> => this.call("GET", `/v1/sessions/${encodeURIComponent(id)}`),
    close: (id: string): Promise<SessionRecord> => this.call("DELETE", `/v1/sessions/${encodeURIComponent(id)}`),
    startTurn: (id: string, body: StartTurnBody): Promise<{ sessionId: string; turnId: string; status: string; steered: boolean }> =>
      this.call("POST", `/v1/sessions/${encodeURIComponent(id)}/turns`, { body }),
    listTurns: (id: string, query: Page = {}): Promise<{ turns: TurnRecord[]; nextCursor: string | null }> =>
      this.call("GET", `/v1/sessions/${encodeURIComponent(id)}/turns`, { query }),
    getTurn: (id: string, turnId: string): Promise<TurnRecord> =>
      this.call("GET", `/v1/sessions/${encodeURIComponent(id)}/turns/${encodeURIComponent(turnId)}`),
    interrupt: (id: string): Promise<{ sessionId: string; turnId: string; requested: boolean }> =>
      this.call("POST", `/v1/sessions/${encodeURIComponent(id)}/interrupt`),
  };

  readonly approvals = {
    list: (query: { status?: ApprovalRecord["status"]; sessionId?: string } & Page = {}): Promise<{ approvals: ApprovalRecord[]; nextCursor: string | null }> =>
      this.call("GET", "/v1/approvals", { query }),
    get: (id: string): Promise<ApprovalRecord> => this.call("GET", `/v1/approvals/${encodeURIComponent(id)}`),
    decide: (id: string, decision: DecisionBody["decision"]): Promise<ApprovalRecord> =>
      this.call("POST", `/v1/approvals/${encodeURIComponent(id)}/decision`, { body: { decision } }),
  };

  readonly runs = {
    /** With an idempotency key, retrying after a lost answer returns the same run. */
    create: (body: CreateRunBody, idempotencyKey?: string): Promise<RunRecord> =>
      this.call("POST", "/v1/runs", { body, headers: idempotencyKey ? { "idempotency-key": idempotencyKey } : {} }),
    list: (query: { status?: RunStatus; sessionId?: string } & Page = {}): Promise<{ runs: RunRecord[]; nextCursor: string | null }> =>
      this.call("GET", "/v1/runs", { query }),
    get: (id: string, waitMs?: number): Promise<RunRecord> => this.call("GET", `/v1/runs/${encodeURIComponent(id)}`, { query: { waitMs } }),
    /** Long-poll until the run ends (or `timeoutMs` passes; then the latest state). */
    wait: async (id: string, timeoutMs = 600_000): Promise<RunRecord> => {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const run = await this.runs.get(id, Math.min(60_000, Math.max(0, Math.ceil(deadline - performance.now()))));
        if (!["queued", "running"].includes(run.status) || performance.now() >= deadline) return run;
      }
    },
    cancel: (id: string): Promise<{ changed: boolean; run: RunRecord }> => this.call("POST", `/v1/runs/${encodeURIComponent(id)}/cancel`),
    /** A finished run's unified diff (text/x-diff). */
    diff: (id: string): Promise<string> => this.call("GET", `/v1/runs/${encodeURIComponent(id)}/diff`, { text: true }),
    /** The diff with the run's changes, as JSON. */
    diffJson: (id: string): Promise<Static<typeof RunDiff>> => this.call("GET", `/v1/runs/${encodeURIComponent(id)}/diff`, { query: { format: "json" } }),
    removeWorkspace: (id: string): Promise<Static<typeof WorkspaceRemoveResult>> => this.call("DELETE", `/v1/runs/${encodeURIComponent(id)}/workspace`),
  };

  /**
   * Events as they are recorded, resuming after a dropped connection from the last seq seen, so
   * the sequence has no gap and no repeat. Ends on a `shutdown` event, on abort, or throws on a
   * problem (410 when the cursor is older than what the daemon keeps, unless `onGap` is given).
   */
  async *streamEvents(options: StreamOptions = {}): AsyncGenerator<CodexdEvent> {
    const { signal, reconnectDelayMs = 250, after, onGap, ...filter } = options;
    let cursor = after;
    for (;;) {
      if (signal?.aborted) return;
      const headers: Record<string, string> = { accept: "text/event-stream" };
      if (cursor !== undefined) headers["last-event-id"] = String(cursor);
      let response: Dispatcher.ResponseData;
      try {
        response = await request(this.url("/v1/events/stream", filter), {
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
      if (response.statusCode !== 200) {
        const problem = await this.problem(response);
        const gap = onGap && cursor !== undefined ? gapOf(problem, cursor) : null;
        if (!gap) throw problem;
        onGap!(gap);
        cursor = gap.oldestSeq - 1;
        continue;
      }
      // Started at the live tail: the daemon says from where, so a reconnect misses nothing.
      const effective = Number(response.headers["x-codexd-after"]);
      if (cursor === undefined && Number.isInteger(effective)) cursor = effective;
      try {
        for await (const message of readSse(response.body)) {
          if (message.event === "shutdown") return;
          if (message.event === "overflow") break; // reconnect from the last seq we saw
          if (message.event === "ready") continue; // the cursor, which the header already gave
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

  /**
   * The child's output as it is written: the last `tail` lines first, then live lines. Ends on
   * the daemon's `shutdown` event, on abort or when the connection closes; throws on a problem,
   * and when the daemon drops a reader that fell behind (`overflow`: lines were lost).
   */
  async *followLogs(options: LogFollowOptions = {}): AsyncGenerator<LogLine> {
    const { signal, ...query } = options;
    const response = await request(this.url("/v1/child/logs", { ...query, follow: true }), {
      method: "GET",
      headers: this.headers({ accept: "text/event-stream" }),
      signal,
      ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
    });
    if (response.statusCode !== 200) throw await this.problem(response);
    try {
      for await (const message of readSse(response.body)) {
        if (message.event === "shutdown") return;
        if (message.event === "overflow") throw new Error(`log stream dropped: ${message.data}`);
        if (message.event === "stderr" || message.event === "stdout") yield { stream: message.event, line: message.data };
      }
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    } finally {
      response.body.destroy();
    }
  }

  private async call<T>(
    method: "GET" | "POST" | "DELETE",
    path: string,
    init: { query?: Query; body?: unknown; headers?: Record<string, string>; text?: boolean } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: init.text ? "text/plain" : "application/json", ...init.headers };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    const response = await request(this.url(path, init.query), {
      method,
      headers: this.headers(headers),
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
    });
    if (response.statusCode >= 400) throw await this.problem(response);
    return (init.text ? await response.body.text() : await response.body.json()) as T;
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
    for (const [key, value] of Object.entries(query) as [string, unknown][]) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.toString();
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
