/**
 * The foundation of the REST API, in process (app.inject) over a real StateStore in a temp dir:
 * health, readiness, status, the event list with its filters and paging, and the error contract
 * (problem+json with a stable code, no stack traces, a rejected request changes nothing on disk).
 */
import { randomUUID } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { CodexdEvent, EventPage } from "../../schemas/events.js";
import { RUN_STATUSES, type RunRecord } from "../../schemas/runs.js";
import { SESSION_STATUSES } from "../../schemas/sessions.js";
import type { StatusResponse } from "../../schemas/status.js";
import type { EventInput } from "../../src/state/store.js";
import { waitUntil } from "../helpers/deadline.js";
import { startInProcessDaemon, type InProcessDaemon } from "../helpers/in-process-daemon.js";

const TOKEN = `tok-${randomUUID()}`;
const AUTH = { authorization: `Bearer ${TOKEN}` };
// Liveness probes would write to the child's stderr log in the middle of the on-disk comparison.
const QUIET_ENV = { CODEXD_TOKEN: TOKEN, CODEXD_CHILD_LIVENESS_INTERVAL_MS: "0" };

/** Every response any test in this file received, for the stack-trace check at the end. */
const responses: { what: string; status: number; headers: string; body: string }[] = [];

async function request(d: InProcessDaemon, method: "GET" | "POST" | "DELETE", url: string, extra: { headers?: Record<string, string>; payload?: string } = {}) {
  const response = await d.app.inject({ method, url, headers: { ...AUTH, ...extra.headers }, payload: extra.payload });
  responses.push({ what: `${method} ${url}`, status: response.statusCode, headers: JSON.stringify(response.headers), body: response.body });
  return response;
}

const get = (d: InProcessDaemon, url: string) => request(d, "GET", url);

function expectProblem(response: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers["content-type"]).toMatch(/^application\/problem\+json\b/);
  const body = response.json() as Record<string, unknown>;
  expect(body).toMatchObject({ status, code });
  expect(typeof body.type).toBe("string");
  expect(typeof body.title).toBe("string");
  return body;
}

async function waitReady(d: InProcessDaemon): Promise<void> {
  await waitUntil(async () => (await d.app.inject({ method: "GET", url: "/readyz" })).statusCode === 200, {
    timeoutMs: 15_000,
    what: "/readyz to answer 200",
  });
}

/** Every file under `dir` (recursively) with its content (all state files are text). */
async function snapshotDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(dir, path)] = await readFile(path, "utf8");
  }
  return out;
}

/**
 * Wait until nothing is left to be written: the rate-limited recent-events.json has caught up
 * with the newest event and two snapshots taken in a row are equal.
 */
async function quiescentSnapshot(d: InProcessDaemon): Promise<Record<string, string>> {
  const { paths } = d.daemon.config;
  let previous: Record<string, string> | null = null;
  return waitUntil(
    async () => {
      const recent = JSON.parse(await readFile(paths.recentEventsPath, "utf8")) as { events: CodexdEvent[] };
      if (recent.events.at(-1)?.seq !== d.daemon.store.lastSeq) return false;
      const snap = await snapshotDir(paths.stateDir);
      const stable = previous !== null && JSON.stringify(previous) === JSON.stringify(snap);
      previous = snap;
      return stable ? snap : false;
    },
    { timeoutMs: 10_000, intervalMs: 50, what: "the state dir to stop changing" },
  );
}

describe("health, readiness and status", () => {
  let d: InProcessDaemon;
  beforeAll(async () => {
    d = await startInProcessDaemon(QUIET_ENV);
  });
  afterAll(async () => {
    await d?.close();
  });

  it("GET /healthz answers 200 ok", async () => {
    const response = await get(d, "/healthz");
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^application\/json\b/);
    expect(response.json()).toEqual({ status: "ok" });
  });

  it("GET /readyz answers 200 with every check passing once the daemon has started", async () => {
    await waitReady(d);
    const response = await get(d, "/readyz");
    expect(response.statusCode).toBe(200);
    const body = response.json() as { status: string; checks: Record<string, boolean> };
    expect(body.status).toBe("ready");
    expect(body.checks.store).toBe(true);
    expect(Object.values(body.checks).every(Boolean), JSON.stringify(body.checks)).toBe(true);
  });

  it("GET /v1/status has identity, daemon, child, counts, events and the config", async () => {
    const { store, config } = d.daemon;
    const now = new Date().toISOString();
    const run = (runId: string, status: RunRecord["status"]): RunRecord => ({ runId, status, createdAt: now, updatedAt: now });
    // Terminal states only, so that no service picks these records up while the test looks.
    await store.upsertSession({ sessionId: "status-s1", status: "closed", currentTurnId: null, updatedAt: now });
    await store.upsertRun(run("status-r1", "cancelled"));
    await store.upsertRun(run("status-r2", "completed"));

    const response = await get(d, "/v1/status");
    expect(response.statusCode).toBe(200);
    const status = response.json() as StatusResponse;

    expect(status.identity).toMatchObject({ nodeId: config.nodeId, version: config.version });
    expect(status.identity.daemonId).toMatch(/\S/);
    expect(Number.isNaN(Date.parse(status.identity.createdAt))).toBe(false);

    expect(status.daemon).toMatchObject({ started: true, pid: process.pid, bootId: store.bootId });
    expect(status.daemon.uptimeMs).toBeGreaterThanOrEqual(0);
    expect(typeof status.daemon.ready).toBe("boolean");
    expect(Array.isArray(status.daemon.notReadyReasons)).toBe(true);

    expect(typeof status.child.status).toBe("string");
    expect(status.child.command).toBe(config.server.childCommand);

    expect(Object.keys(status.counts.sessions).sort()).toEqual([...SESSION_STATUSES].sort());
    expect(Object.keys(status.counts.runs).sort()).toEqual([...RUN_STATUSES].sort());
    expect(status.counts.sessions.closed).toBe(1);
    expect(status.counts.runs.cancelled).toBe(1);
    expect(status.counts.runs.completed).toBe(1);
    expect(status.counts.runs.running).toBe(0);
    expect(status.counts.archivedRuns).toBe(0);

    expect(status.events.lastSeq).toBeGreaterThanOrEqual(1);
    expect(status.events.lastSeq).toBeLessThanOrEqual(store.lastSeq);
    expect(status.events.oldestSeq).toBe(1);

    expect(status.config.paths.stateDir).toBe(d.temp.config.paths.stateDir);
    expect(status.config.eventCacheSize).toBe(config.eventCacheSize);
    expect(status.config.http.token).toBe("[redacted]");
  });

  it("never shows the token: not in the status body, not in any state file", async () => {
    const response = await get(d, "/v1/status");
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain(TOKEN);
    expect(JSON.stringify(response.headers)).not.toContain(TOKEN);
    const files = await snapshotDir(d.daemon.config.paths.stateDir);
    for (const [file, content] of Object.entries(files)) {
      expect(content, file).not.toContain(TOKEN);
    }
  });
});

describe("GET /readyz before the daemon started", () => {
  let d: InProcessDaemon;
  afterEach(async () => {
    await d?.close();
  });

  // Before start the daemon must still answer readiness (it was a 500 once).
  it("answers 503 problem+json CODEXD_NOT_READY naming the reasons", async () => {
    d = await startInProcessDaemon(QUIET_ENV, { start: false });
    const body = expectProblem(await get(d, "/readyz"), 503, "CODEXD_NOT_READY");
    expect(body.reasons).toEqual(expect.arrayContaining([expect.stringContaining("store")]));
  });
});

describe("GET /v1/events", () => {
  let d: InProcessDaemon;
  let base = 0;
  const recorded: CodexdEvent[] = [];
  const fixtures: EventInput[] = [
    { level: "info", type: "run.queued", message: "q", runId: "ev-r1", sessionId: "ev-s1" },
    { level: "debug", type: "run.started", message: "s", runId: "ev-r1", sessionId: "ev-s1" },
    { level: "info", type: "runner.tick", message: "not a run.* event" },
    { level: "warn", type: "session.created", message: "c", sessionId: "ev-s2" },
    { level: "info", type: "run.completed", message: "done", runId: "ev-r1", sessionId: "ev-s1" },
    { level: "error", type: "approval.requested", message: "a", runId: "ev-r2", sessionId: "ev-s2" },
    { level: "debug", type: "run.queued", message: "q2", runId: "ev-r2", sessionId: "ev-s2" },
    { level: "warn", type: "run", message: "the bare type" },
  ];

  beforeAll(async () => {
    d = await startInProcessDaemon(QUIET_ENV);
    await waitReady(d);
    base = d.daemon.store.lastSeq;
    for (const input of fixtures) recorded.push(await d.daemon.store.recordEvent(input));
  });
  afterAll(async () => {
    await d?.close();
  });

  const mine = (events: CodexdEvent[]) => events.filter((e) => recorded.some((r) => r.seq === e.seq));
  const RANK = { debug: 0, info: 1, warn: 2, error: 3 } as const;

  /** Follow nextAfter from `after` to the end; checks the paging contract on every page. */
  async function allPages(query: string, after: number, limit: number): Promise<CodexdEvent[]> {
    const out: CodexdEvent[] = [];
    let cursor: number | null = after;
    for (let pages = 0; cursor !== null; pages++) {
      expect(pages, "paging does not end").toBeLessThan(1000);
      const response = await get(d, `/v1/events?after=${cursor}&limit=${limit}${query ? `&${query}` : ""}`);
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json() as EventPage;
      expect(page.events.length).toBeLessThanOrEqual(limit);
      for (const e of page.events) expect(e.seq).toBeGreaterThan(cursor);
      if (page.events.length === limit) expect(page.nextAfter).toBe(page.events.at(-1)!.seq);
      else expect(page.nextAfter).toBeNull();
      out.push(...page.events);
      cursor = page.nextAfter;
    }
    return out;
  }

  it("returns the events after a cursor, oldest first, as recorded", async () => {
    const response = await get(d, `/v1/events?after=${base}`);
    expect(response.statusCode).toBe(200);
    const page = response.json() as EventPage;
    expect(page.nextAfter).toBeNull();
    expect(page.lastSeq).toBe(d.daemon.store.lastSeq);
    expect(page.oldestSeq).toBe(1);
    const seqs = page.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(mine(page.events)).toEqual(recorded);
    for (const e of page.events) expect(e.bootId).toBe(d.daemon.store.bootId);
  });

  it("after=0 starts at the beginning: daemon.started is seq 1", async () => {
    const page = (await get(d, "/v1/events?after=0&limit=1")).json() as EventPage;
    expect(page.events).toHaveLength(1);
    expect(page.events[0]).toMatchObject({ seq: 1, type: "daemon.started" });
    expect(page.nextAfter).toBe(1);
  });

  it("limit caps the page and nextAfter pages through everything exactly once", async () => {
    const whole = ((await get(d, `/v1/events?after=${base}&limit=1000`)).json() as EventPage).events;
    for (const limit of [1, 2, 3]) {
      const paged = await allPages("", base, limit);
      expect(paged.map((e) => e.seq)).toEqual(whole.map((e) => e.seq));
    }
  });

  it.each([
    ["type=run.queued", (e: CodexdEvent) => e.type === "run.queued"],
    ["type=run.", (e: CodexdEvent) => e.type.startsWith("run.")],
    ["type=runner.tick", (e: CodexdEvent) => e.type === "runner.tick"],
    ["level=warn", (e: CodexdEvent) => RANK[e.level] >= RANK.warn],
    ["level=error", (e: CodexdEvent) => e.level === "error"],
    ["level=debug", () => true],
    ["sessionId=ev-s1", (e: CodexdEvent) => e.sessionId === "ev-s1"],
    ["runId=ev-r2", (e: CodexdEvent) => e.runId === "ev-r2"],
    ["type=run.&level=info&sessionId=ev-s1", (e: CodexdEvent) => e.type.startsWith("run.") && RANK[e.level] >= RANK.info && e.sessionId === "ev-s1"],
    ["sessionId=nobody", () => false],
  ])("filter %s returns exactly the matching events, on one page and paged", async (query, matches) => {
    const response = await get(d, `/v1/events?after=${base}&${query}`);
    expect(response.statusCode, response.body).toBe(200);
    const page = response.json() as EventPage;
    for (const e of page.events) expect(matches(e), `${query} let through ${JSON.stringify(e)}`).toBe(true);
    const expected = recorded.filter(matches);
    expect(mine(page.events)).toEqual(expected);
    const paged = await allPages(query, base, 1);
    expect(paged.map((e) => e.seq)).toEqual(page.events.map((e) => e.seq));
  });

  it("a run. prefix does not select runner.* or the bare type run", async () => {
    const page = (await get(d, `/v1/events?after=${base}&type=run.`)).json() as EventPage;
    expect(mine(page.events).map((e) => e.type)).toEqual(["run.queued", "run.started", "run.completed", "run.queued"]);
  });

  it("a cursor at the newest event gives an empty page; one past it is 400 CODEXD_CURSOR_AHEAD", async () => {
    const last = d.daemon.store.lastSeq;
    const page = (await get(d, `/v1/events?after=${last}`)).json() as EventPage;
    expect(page).toMatchObject({ events: [], nextAfter: null, lastSeq: last });
    expect((await get(d, `/v1/events?after=${last + 100}`)).json()).toMatchObject({ status: 400, code: "CODEXD_CURSOR_AHEAD", lastSeq: last });
  });
});

describe("GET /v1/events beyond the in-memory cache", () => {
  let d: InProcessDaemon;
  afterAll(async () => {
    await d?.close();
  });

  it("pages older than the cache are read from the event log, every seq exactly once", async () => {
    d = await startInProcessDaemon({ ...QUIET_ENV, CODEXD_EVENT_CACHE_SIZE: "3" });
    for (let i = 0; i < 12; i++) await d.daemon.store.recordEvent({ level: "info", type: "disk.test", message: `n${i}` });
    const last = d.daemon.store.lastSeq;
    const seqs: number[] = [];
    let cursor: number | null = 0;
    while (cursor !== null) {
      const response = await get(d, `/v1/events?after=${cursor}&limit=4`);
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json() as EventPage;
      seqs.push(...page.events.map((e) => e.seq));
      cursor = page.nextAfter;
    }
    expect(seqs).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    const filtered = (await get(d, "/v1/events?after=0&type=disk.test&limit=1000")).json() as EventPage;
    expect(filtered.events.map((e) => e.message)).toEqual(Array.from({ length: 12 }, (_, i) => `n${i}`));
  });
});

describe("error contract", () => {
  let d: InProcessDaemon;
  beforeAll(async () => {
    d = await startInProcessDaemon(QUIET_ENV);
    await waitReady(d);
  });
  afterAll(async () => {
    await d?.close();
  });

  it.each([
    ["limit=0", "/limit"],
    ["limit=abc", "/limit"],
    ["limit=1001", "/limit"],
    ["after=-1", "/after"],
    ["bogus=1", "/"],
    ["level=loud", "/level"],
    ["type=", "/type"],
  ])("GET /v1/events?%s -> 400 CODEXD_VALIDATION_FAILED with an errors array", async (query, path) => {
    const body = expectProblem(await get(d, `/v1/events?${query}`), 400, "CODEXD_VALIDATION_FAILED");
    const errors = body.errors as { location: string; path: string; message: string }[];
    expect(Array.isArray(errors)).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(e.location).toBe("querystring");
      expect(typeof e.message).toBe("string");
    }
    expect(errors.map((e) => e.path)).toContain(path);
    if (query === "bogus=1") expect(errors.map((e) => e.message).join(" ")).toContain("bogus");
  });

  // Ajv reports a failed union once per alternative; the problem collapses that to one entry.
  it("an invalid enum value gives one error for that value", async () => {
    const body = expectProblem(await get(d, "/v1/events?level=loud"), 400, "CODEXD_VALIDATION_FAILED");
    const errors = body.errors as { path: string; message: string }[];
    expect(errors.filter((e) => e.path === "/level")).toHaveLength(1);
    expect(errors.find((e) => e.path === "/level")!.message).toBe("must be one of debug, info, warn, error");
    expect(body.detail).toBe("level must be one of debug, info, warn, error");
  });

  it.each([
    ["GET", "/v1/nope"],
    ["GET", "/nope"],
    ["GET", "/v1/events/42/nothing"],
  ] as const)("%s %s -> 404 CODEXD_ROUTE_NOT_FOUND", async (method, url) => {
    const body = expectProblem(await request(d, method, url), 404, "CODEXD_ROUTE_NOT_FOUND");
    expect(body.instance).toBe(url);
  });

  it.each([
    ["POST", "/v1/events", "GET, HEAD, OPTIONS"],
    ["DELETE", "/healthz", "GET, HEAD, OPTIONS"],
  ] as const)("%s %s (a known path) -> 405 CODEXD_METHOD_NOT_ALLOWED with Allow", async (method, url, allow) => {
    const response = await request(d, method, url);
    expectProblem(response, 405, "CODEXD_METHOD_NOT_ALLOWED");
    expect(response.headers.allow).toBe(allow);
  });

  // Raised by the router before any route: reaches the client through frameworkErrors.
  it("a malformed URL -> 400 problem+json CODEXD_BAD_URL", async () => {
    expectProblem(await get(d, "/v1/%E0%A4%A"), 400, "CODEXD_BAD_URL");
  });

  it("a body that is not JSON -> 400 problem+json CODEXD_INVALID_JSON", async () => {
    const response = await request(d, "POST", "/v1/child/signal", { headers: { "content-type": "application/json" }, payload: "{not json" });
    expectProblem(response, 400, "CODEXD_INVALID_JSON");
  });

  it("an unexpected failure -> 500 CODEXD_INTERNAL without the error's message or stack", async () => {
    const secret = `internal-detail-${randomUUID()}`;
    const spy = vi.spyOn(d.daemon.store, "queryEvents").mockRejectedValueOnce(new Error(secret));
    try {
      const response = await get(d, "/v1/events?after=0");
      expectProblem(response, 500, "CODEXD_INTERNAL");
      expect(response.body).not.toContain(secret);
      expect(response.body).not.toContain("queryEvents");
    } finally {
      spy.mockRestore();
    }
  });

  it("a rejected request (4xx) changes nothing on disk", async () => {
    const before = await quiescentSnapshot(d);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(["events.jsonl", "daemon-state.json", "recent-events.json"]));
    const rejected: [number, Promise<LightMyRequestResponse>][] = [
      [400, get(d, "/v1/events?limit=0")],
      [400, get(d, "/v1/events?bogus=1")],
      [400, get(d, "/v1/events?level=loud")],
      [404, get(d, "/v1/nope")],
      [405, request(d, "POST", "/v1/events", { headers: { "content-type": "application/json" }, payload: "{}" })],
      [400, request(d, "POST", "/v1/child/signal", { headers: { "content-type": "application/json" }, payload: "{not json" })],
      [400, request(d, "POST", "/v1/child/signal", { headers: { "content-type": "application/json" }, payload: '{"signal":"SIGNOPE"}' })],
      [400, request(d, "POST", "/v1/child/signal", { headers: { "content-type": "application/json" }, payload: '{"signal":"SIGTERM","extra":1}' })],
      [415, request(d, "POST", "/v1/child/signal", { headers: { "content-type": "application/xml" }, payload: "<signal>SIGTERM</signal>" })],
      [413, request(d, "POST", "/v1/child/signal", { headers: { "content-type": "application/json" }, payload: JSON.stringify({ signal: "x".repeat(2 * 1024 * 1024) }) })],
    ];
    for (const [status, pending] of rejected) {
      const response = await pending;
      expect(response.statusCode, response.body).toBe(status);
      expect(response.headers["content-type"]).toMatch(/^application\/problem\+json\b/);
    }
    const after = await quiescentSnapshot(d);
    expect(after).toEqual(before);
  });
});

describe("no response carries a stack trace", () => {
  it("checked over every response of this file", () => {
    expect(responses.length).toBeGreaterThan(40);
    const stackFrame = /\bat\s+(?:[^\s()"]+\s+)?\(?(?:file:\/\/|node:|\/|[A-Za-z]:\\)[^\s()"]*:\d+(?::\d+)?/;
    for (const r of responses) {
      for (const text of [r.body, r.headers]) {
        expect(text, `${r.what} (${r.status})`).not.toMatch(stackFrame);
        expect(text, `${r.what} (${r.status})`).not.toMatch(/node:internal|\n\s+at\s/);
      }
    }
  });
});
