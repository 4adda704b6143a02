/**
 * A small HTTP client for the runs API of a listening daemon (real sockets, global fetch), with
 * deadline-bounded waits: long-polls for terminal states, polls for anything else. Used by the
 * runs e2e suites; knows nothing about how the daemon was started.
 */
import { readFile, readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import type { CodexdEvent } from "../../schemas/events.js";
import type { RunRecord } from "../../schemas/runs.js";
import { waitUntil } from "./deadline.js";
import { realMonotonicNow } from "./real-clocks.js";

export const TERMINAL = new Set(["completed", "failed", "cancelled", "timed_out", "interrupted"]);
export const RUN_END_EVENTS = ["run.completed", "run.failed", "run.cancelled", "run.timed_out", "run.interrupted"] as const;

export interface ApiResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  /** Wall time of the whole exchange, in ms. */
  ms: number;
  /** When the answer arrived (Date.now()). */
  at: number;
}

/** A success body, or (on 4xx/5xx) an RFC 9457 problem with its stable code. */
export type OrProblem<T> = T & { code?: string; title?: string; detail?: string };

export interface CallOptions {
  body?: unknown;
  /** Sent as is; a JSON body gets content-type application/json unless given. */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export class RunsApi {
  constructor(readonly baseUrl: string) {}

  async call<T = any>(method: string, path: string, options: CallOptions = {}): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) };
    if (options.body !== undefined) {
      init.body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    const t0 = Date.now();
    const res = await fetch(this.baseUrl + path, init);
    const text = await res.text();
    const at = Date.now();
    const type = res.headers.get("content-type") ?? "";
    const body = (type.includes("json") && text.length > 0 ? JSON.parse(text) : text) as T;
    return { status: res.status, headers: res.headers, body, ms: at - t0, at };
  }

  /** POST /v1/runs, with an Idempotency-Key when given. */
  create(body: unknown, idempotencyKey?: string): Promise<ApiResult<OrProblem<RunRecord>>> {
    return this.call("POST", "/v1/runs", { body, ...(idempotencyKey !== undefined ? { headers: { "idempotency-key": idempotencyKey } } : {}) });
  }

  /** POST /v1/runs and insist on 202; the queued record. */
  async start(body: Record<string, unknown>, idempotencyKey?: string): Promise<RunRecord> {
    const res = await this.create(body, idempotencyKey);
    if (res.status !== 202) throw new Error(`POST /v1/runs ${JSON.stringify(body)}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  get(runId: string, waitMs?: number): Promise<ApiResult<OrProblem<RunRecord>>> {
    const query = waitMs === undefined ? "" : `?waitMs=${waitMs}`;
    return this.call("GET", `/v1/runs/${encodeURIComponent(runId)}${query}`, { timeoutMs: (waitMs ?? 0) + 30_000 });
  }

  async run(runId: string): Promise<RunRecord> {
    const res = await this.get(runId);
    if (res.status !== 200) throw new Error(`GET /v1/runs/${runId}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  cancel(runId: string, timeoutMs?: number): Promise<ApiResult<OrProblem<{ changed: boolean; run: RunRecord }>>> {
    return this.call("POST", `/v1/runs/${encodeURIComponent(runId)}/cancel`, timeoutMs === undefined ? {} : { timeoutMs });
  }

  async list(query: Record<string, string | number> = {}): Promise<RunRecord[]> {
    const params = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
    const res = await this.call<{ runs: RunRecord[]; nextCursor: string | null }>("GET", `/v1/runs?${params}`);
    if (res.status !== 200) throw new Error(`GET /v1/runs?${params}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.runs;
  }

  /** Long-poll (in slices of at most 10 s) until the run is terminal; throws at the deadline. */
  async waitTerminal(runId: string, timeoutMs = 60_000): Promise<RunRecord> {
    const deadline = realMonotonicNow() + timeoutMs;
    let last: RunRecord | undefined;
    while (realMonotonicNow() < deadline) {
      const res = await this.get(runId, Math.max(1, Math.min(10_000, Math.ceil(deadline - realMonotonicNow()))));
      if (res.status !== 200) throw new Error(`GET /v1/runs/${runId}: ${res.status} ${JSON.stringify(res.body)}`);
      last = res.body;
      if (TERMINAL.has(last.status)) return last;
    }
    throw new Error(`run ${runId} not terminal after ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`);
  }

  /** Poll GET /v1/runs/{id} until `ok` holds for the record. */
  waitRun(runId: string, ok: (run: RunRecord) => boolean, what: string, timeoutMs = 60_000): Promise<RunRecord> {
    return waitUntil(
      async () => {
        const run = await this.run(runId);
        return ok(run) ? run : undefined;
      },
      { timeoutMs, intervalMs: 15, what: `run ${runId}: ${what}` },
    );
  }

  /** Running with its turn started on the child (so an interrupt reaches the turn). */
  waitTurnStarted(runId: string, timeoutMs = 60_000): Promise<RunRecord> {
    return this.waitRun(runId, (r) => r.status === "running" && typeof r.turnId === "string", "running with a turnId", timeoutMs);
  }

  /** Every event matching the query, oldest first, over all pages. */
  async events(query: Record<string, string> = {}): Promise<CodexdEvent[]> {
    const all: CodexdEvent[] = [];
    let after = 0;
    for (;;) {
      const params = new URLSearchParams({ ...query, after: String(after), limit: "1000" });
      const res = await this.call<{ events: CodexdEvent[]; nextAfter: number | null; lastSeq: number }>("GET", `/v1/events?${params}`);
      if (res.status !== 200) throw new Error(`GET /v1/events?${params}: ${res.status} ${JSON.stringify(res.body)}`);
      all.push(...res.body.events);
      if (res.body.nextAfter === null) return all;
      after = res.body.nextAfter;
    }
  }

  /** The run.* events of one run, oldest first. */
  runEvents(runId: string): Promise<CodexdEvent[]> {
    return this.events({ runId, type: "run." });
  }

  async lastSeq(): Promise<number> {
    const res = await this.call<{ lastSeq: number }>("GET", "/v1/events?limit=1");
    return res.body.lastSeq;
  }
}

/** Every file under `dir` (relative path -> content and mode), to compare the state on disk. */
export async function snapshotDir(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (at: string) => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else {
        const [content, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
        out.set(relative(dir, path), `${info.mode.toString(8)} ${info.mtimeMs}\n${content}`);
      }
    }
  };
  await walk(dir);
  return out;
}

/** Count the lines of the fake app-server's stderr log that record a request of `method`. */
export async function countChildRequests(stderrLogPath: string, method: string): Promise<number> {
  const text = await readFile(stderrLogPath, "utf8").catch(() => "");
  return text.split("\n").filter((line) => line.endsWith(` ${method}`) && / request \S+ /.test(line)).length;
}
