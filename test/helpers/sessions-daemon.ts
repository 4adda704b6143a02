/**
 * Helpers for the sessions/turns/approvals e2e suites: an in-process daemon on a real listening
 * socket (127.0.0.1, OS-picked port) with a chosen child environment, a small HTTP client over
 * fetch with deadline-polling helpers, and snapshots of the state dir for "a 4xx changes nothing
 * on disk" checks.
 */
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import type { ApprovalRecord } from "../../schemas/approvals.js";
import type { CodexdEvent } from "../../schemas/events.js";
import type { SessionRecord } from "../../schemas/sessions.js";
import { TERMINAL_TURN_STATUSES, type TurnRecord } from "../../schemas/turns.js";
import type { App } from "../../src/app.js";
import type { Daemon } from "../../src/daemon.js";
import { waitUntil } from "./deadline.js";
import { startInProcessDaemon } from "./in-process-daemon.js";
import { cleanEnv } from "./processes.js";
import { realMonotonicNow } from "./real-clocks.js";
import type { TempState } from "./temp-config.js";

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

export interface Reply<T = any> {
  status: number;
  contentType: string;
  body: T;
}

export interface RequestOptions {
  /** Sent as is instead of JSON.stringify(body). */
  raw?: string;
  headers?: Record<string, string>;
}

export interface TurnAccepted {
  sessionId: string;
  turnId: string;
  status: string;
  steered: boolean;
}

export type Query = Record<string, string | number | undefined>;

const qs = (query: Query) => {
  const entries = Object.entries(query).filter((e): e is [string, string | number] => e[1] !== undefined);
  return entries.length === 0 ? "" : `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
};

/** A client of one daemon's REST API; every failure message carries the answer seen. */
export class Api {
  constructor(readonly baseUrl: string) {}

  async request<T = any>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    let payload: string | undefined;
    if (options.raw !== undefined) payload = options.raw;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(this.baseUrl + path, { method, headers, ...(payload !== undefined ? { body: payload } : {}), signal: AbortSignal.timeout(20_000) });
    const contentType = res.headers.get("content-type") ?? "";
    const text = await res.text();
    const parsed: unknown = contentType.includes("json") && text.length > 0 ? JSON.parse(text) : text;
    return { status: res.status, contentType, body: parsed as T };
  }

  get<T = any>(path: string, query: Query = {}): Promise<Reply<T>> {
    return this.request<T>("GET", path + qs(query));
  }

  post<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<Reply<T>> {
    return this.request<T>("POST", path, body, options);
  }

  del<T = any>(path: string): Promise<Reply<T>> {
    return this.request<T>("DELETE", path);
  }

  async createSession(body: Record<string, unknown> = {}): Promise<SessionRecord> {
    return expectStatus(await this.post<SessionRecord>("/v1/sessions", body), 201, "POST /v1/sessions");
  }

  async getSession(sessionId: string): Promise<SessionRecord> {
    return expectStatus(await this.get<SessionRecord>(`/v1/sessions/${sessionId}`), 200, "GET session");
  }

  async startTurn(sessionId: string, input: string | Record<string, unknown>): Promise<TurnAccepted> {
    const body = typeof input === "string" ? { input } : input;
    return expectStatus(await this.post<TurnAccepted>(`/v1/sessions/${sessionId}/turns`, body), 202, `POST turn ${JSON.stringify(body)}`);
  }

  async getTurn(sessionId: string, turnId: string): Promise<TurnRecord> {
    return expectStatus(await this.get<TurnRecord>(`/v1/sessions/${sessionId}/turns/${turnId}`), 200, "GET turn");
  }

  /** Poll GET turn until `until` holds (default: a terminal status). */
  async waitTurn(sessionId: string, turnId: string, until: (t: TurnRecord) => boolean = (t) => TERMINAL_TURN_STATUSES.has(t.status), timeoutMs = 60_000): Promise<TurnRecord> {
    let last: TurnRecord | undefined;
    try {
      return await waitUntil(
        async () => {
          last = await this.getTurn(sessionId, turnId);
          return until(last) && last;
        },
        { timeoutMs, intervalMs: 25, what: `turn ${turnId}` },
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; last seen: ${JSON.stringify(last)}`);
    }
  }

  /** Every event matching the query, oldest first, all pages. */
  async events(query: Query = {}): Promise<CodexdEvent[]> {
    const out: CodexdEvent[] = [];
    let after = 0;
    for (;;) {
      const page = expectStatus(await this.get<{ events: CodexdEvent[]; nextAfter: number | null }>("/v1/events", { ...query, after, limit: 1000 }), 200, "GET /v1/events");
      out.push(...page.events);
      if (page.nextAfter === null) return out;
      after = page.nextAfter;
    }
  }

  /** Poll the events until one matches. */
  async waitEvent(query: Query, match: (e: CodexdEvent) => boolean = () => true, timeoutMs = 60_000): Promise<CodexdEvent> {
    return waitUntil(async () => (await this.events(query)).find(match), { timeoutMs, intervalMs: 50, what: `event ${JSON.stringify(query)}` });
  }

  async approvals(query: Query = {}): Promise<ApprovalRecord[]> {
    return expectStatus(await this.get<{ approvals: ApprovalRecord[] }>("/v1/approvals", query), 200, "GET /v1/approvals").approvals;
  }

  /** The session's first pending approval, once there is one. */
  async waitPendingApproval(sessionId: string, timeoutMs = 60_000): Promise<ApprovalRecord> {
    return waitUntil(async () => (await this.approvals({ status: "pending", sessionId }))[0], { timeoutMs, what: `a pending approval of session ${sessionId}` });
  }

  decide(approvalId: string, decision: unknown): Promise<Reply<ApprovalRecord>> {
    return this.post<ApprovalRecord>(`/v1/approvals/${approvalId}/decision`, { decision });
  }
}

export function expectStatus<T>(reply: Reply<T>, status: number, what: string): T {
  if (reply.status !== status) throw new Error(`${what}: expected ${status}, got ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

// ---------------------------------------------------------------------------------------------
// the daemon
// ---------------------------------------------------------------------------------------------

export interface SessionsDaemon {
  temp: TempState;
  daemon: Daemon;
  app: App;
  api: Api;
  baseUrl: string;
  stateDir: string;
  close: () => Promise<void>;
}

export interface SessionsDaemonOptions {
  /** CODEXD_* settings. */
  settings?: Record<string, string>;
  /** The child's whole environment (default: the test process's, without CODEXD_*, plus `childExtra`). */
  childEnv?: NodeJS.ProcessEnv;
  /** Added to the default child environment (e.g. FAKE_STATE_DIR). */
  childExtra?: Record<string, string>;
  /** Use the fake app-server as the child (default true); false keeps the pinned Codex CLI. */
  fake?: boolean;
  /** Wait for the child to be running before returning (default true). */
  waitReady?: boolean;
  /** Called with the daemon before it starts (fault injection). */
  beforeStart?: (daemon: Daemon) => void;
  /** The daemon's logger (default: silent unless SESSIONS_TEST_LOG names a level). */
  logger?: Logger;
}

/** An in-process daemon with its app listening on 127.0.0.1:0. */
export async function startSessionsDaemon(options: SessionsDaemonOptions = {}): Promise<SessionsDaemon> {
  const d = await startInProcessDaemon(options.settings ?? {}, {
    listen: true,
    fakeChild: options.fake !== false,
    childEnv: options.childEnv ?? cleanEnv(options.childExtra),
    logger: options.logger ?? pino({ level: process.env.SESSIONS_TEST_LOG ?? "silent" }),
    ...(options.beforeStart ? { beforeStart: options.beforeStart } : {}),
  });
  const { temp, daemon, app, baseUrl, close } = d;
  try {
    if (options.waitReady !== false) {
      const { matched, state } = await daemon.child.waitFor("ready", 20_000, ["fatal"]);
      if (!matched || state.status !== "running") throw new Error(`child not ready: ${JSON.stringify(state)}`);
      // Tests start once the child's running transition is durable.
      await waitUntil(
        async () => (await daemon.store.queryEvents({ type: "child.state_changed", limit: 1000 })).events.some((e) => e.detail?.to === "running"),
        { what: "the child's running transition to be durable" },
      );
    }
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  return { temp, daemon, app, api: new Api(baseUrl), baseUrl, stateDir: temp.config.paths.stateDir, close };
}

// ---------------------------------------------------------------------------------------------
// the state dir on disk
// ---------------------------------------------------------------------------------------------

/** The state dir's JSON files and events.jsonl, by name. */
export async function stateFiles(stateDir: string): Promise<Record<string, string>> {
  const names = (await readdir(stateDir)).filter((n) => n.endsWith(".json") || n === "events.jsonl").sort();
  const out: Record<string, string> = {};
  for (const name of names) out[name] = await readFile(join(stateDir, name), "utf8");
  return out;
}

/**
 * The state files once nothing has changed for `quietMs`, within a deadline. The store rewrites
 * recent-events.json at most once a second and defers it otherwise; its timer can find the
 * interval not yet passed and re-arm once, so the last deferred write lands up to ~2 s after the
 * last event: quiet must last longer than that.
 */
export async function settledStateFiles(stateDir: string, quietMs = 2100, timeoutMs = 20_000): Promise<Record<string, string>> {
  let last = await stateFiles(stateDir);
  let since = realMonotonicNow();
  return waitUntil(
    async () => {
      const now = await stateFiles(stateDir);
      if (JSON.stringify(now) !== JSON.stringify(last)) {
        last = now;
        since = realMonotonicNow();
        return false;
      }
      return realMonotonicNow() - since >= quietMs && now;
    },
    { timeoutMs, intervalMs: 100, what: "the state dir to stop changing" },
  );
}

/** Names of the files that differ between two snapshots. */
export function changedFiles(before: Record<string, string>, after: Record<string, string>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((n) => before[n] !== after[n]).sort();
}
