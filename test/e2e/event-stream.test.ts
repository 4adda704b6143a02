/**
 * The SSE endpoints end to end: an in-process daemon on a real listening socket (the fake
 * app-server as its child) and real HTTP clients (node:http through test/helpers/sse-client.ts,
 * and the project's CodexdClient over undici). Writers call `daemon.store.recordEvent` with many
 * calls in flight, so flushes carry batches while streams replay, resume and fall behind.
 *
 * Every wait is on received data with a deadline; nothing sleeps and hopes.
 */
import { readFile, readdir } from "node:fs/promises";
import { connect as netConnect, type Socket } from "node:net";
import { basename, dirname, join } from "node:path";
import { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import type { CodexdEvent } from "../../schemas/events.js";
import { CodexdApiError, CodexdClient } from "../../src/client/index.js";
import type { EventInput } from "../../src/state/store.js";
import { waitUntil, withDeadline } from "../helpers/deadline.js";
import { contiguityProblems, SseConnections, type SseConnection } from "../helpers/sse-client.js";
import { recordMany, startListeningDaemon, type ListeningDaemon } from "../helpers/sse-daemon.js";

let env: ListeningDaemon | undefined;
const conns = new SseConnections();
const teardown: Array<() => unknown> = [];

afterEach(async () => {
  conns.destroyAll();
  for (const fn of teardown.splice(0).reverse()) await fn();
  await env?.close();
  env = undefined;
});

async function start(settings: Record<string, string> = {}): Promise<ListeningDaemon> {
  env = await startListeningDaemon(settings);
  // The child's own events (child.state_changed ...) are allowed in every range checked below,
  // but waiting for it keeps them out of the way of the measurements.
  const { matched, state } = await env.daemon.child.waitFor("ready", 60_000, ["fatal"]);
  if (!matched || state.status !== "running") throw new Error(`fake child not ready: ${JSON.stringify(state)}`);
  // The status changes before its child.state_changed event is durable; an event recorded now is
  // flushed after it, so once this one resolves that event is in the log, not in a test's range.
  await env.daemon.store.recordEvent(tick(-1, { type: "test.ready" }));
  return env;
}

const tick = (i: number, extra: Partial<EventInput> = {}): EventInput => ({
  level: "info",
  type: "test.tick",
  message: `tick ${i}`,
  detail: { i },
  ...extra,
});

/** What the store holds with after < seq <= to, read page by page. */
async function storeEvents(d: ListeningDaemon, after: number, to: number): Promise<CodexdEvent[]> {
  const out: CodexdEvent[] = [];
  let cursor = after;
  while (cursor < to) {
    const page = await d.daemon.store.queryEvents({ after: cursor, limit: 1000 });
    const inRange = page.events.filter((e) => e.seq <= to);
    out.push(...inRange);
    if (page.events.length === 0) break;
    cursor = page.events.at(-1)!.seq;
  }
  return out;
}

/** A writer that keeps many recordEvent calls in flight until told to stop (or `max` events). */
function startWriter(d: ListeningDaemon, options: { workers?: number; max?: number; make?: (i: number) => EventInput } = {}) {
  const { workers = 64, max = Infinity, make = (i: number) => tick(i) } = options;
  let stopped = false;
  let count = 0;
  let next = 0;
  const done = Promise.all(
    Array.from({ length: workers }, async () => {
      while (!stopped && next < max) {
        await d.daemon.store.recordEvent(make(next++));
        count++;
      }
    }),
  );
  teardown.push(async () => {
    stopped = true;
    await done.catch(() => {});
  });
  return {
    get count() {
      return count;
    },
    /** Stop taking new events; resolves with the store's last seq once every call has resolved. */
    async stop(): Promise<number> {
      stopped = true;
      await done;
      return d.daemon.store.lastSeq;
    },
    done,
  };
}

const expectContiguous = (seqs: readonly number[], from: number, to: number, what: string) => {
  expect(contiguityProblems(seqs, from), `${what}: gaps or repeats`).toEqual([]);
  expect(seqs[0], `${what}: first seq`).toBe(from);
  expect(seqs.at(-1), `${what}: last seq`).toBe(to);
};

/**
 * White-box, used only to stop a writer early (the assertions are black-box): whether the queue
 * of some open stream has overflowed. False when StreamHub's internals look different.
 */
function someSubscriberOverflowed(d: ListeningDaemon): boolean {
  const open = (d.daemon.streams as unknown as { open?: unknown }).open;
  if (!(open instanceof Set)) return false;
  for (const entry of open as Set<{ queue?: { overflowed?: unknown } }>) if (entry?.queue?.overflowed === true) return true;
  return false;
}

const streamUrl = (d: ListeningDaemon, query: Record<string, string | number> = {}) => {
  const url = new URL("/v1/events/stream", d.baseUrl);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
  return url.toString();
};

describe.sequential("GET /v1/events/stream (real HTTP)", () => {
  it("resumes with Last-Event-ID after forced disconnects while a writer runs: no gap, no repeat", async () => {
    const d = await start();
    const from = d.daemon.store.lastSeq;
    const writer = startWriter(d, { workers: 64 });
    const received: CodexdEvent[] = [];
    let cursor = from;
    const DROPS = 3;
    for (let drop = 0; drop < DROPS; drop++) {
      const conn = await conns.open(streamUrl(d), { headers: { "last-event-id": String(cursor) } });
      expect(conn.status).toBe(200);
      expect(conn.headers["content-type"]).toMatch(/^text\/event-stream/);
      expect(conn.headers["x-codexd-after"]).toBe(String(cursor));
      // Let a few hundred events through, then cut the connection in the middle of the flow.
      await conn.waitFor(() => conn.seqs().length >= 300, { timeoutMs: 90_000, what: "300 events before the drop" });
      conn.destroy();
      received.push(...conn.events<CodexdEvent>());
      cursor = received.at(-1)!.seq;
    }
    const last = await writer.stop();
    expect(writer.count).toBeGreaterThan(900);
    const conn = await conns.open(streamUrl(d), { headers: { "last-event-id": String(cursor) } });
    expect(conn.status).toBe(200);
    await conn.waitForSeq(last, 90_000);
    received.push(...conn.events<CodexdEvent>());

    expectContiguous(
      received.map((e) => e.seq),
      from + 1,
      last,
      "events over 4 connections",
    );
    expect(received).toEqual(await storeEvents(d, from, last));
  });

  it("CodexdClient.streamEvents() resumes after its connection is destroyed: no gap, no repeat", async () => {
    const d = await start();
    // Every socket the client's dispatcher opens, so the test can cut them under it.
    const sockets = new Set<Socket>();
    let opened = 0;
    const agent = new Agent({
      connect: (options, callback) => {
        const socket = netConnect({ host: options.hostname, port: Number(options.port) });
        opened++;
        sockets.add(socket);
        socket.once("close", () => sockets.delete(socket));
        let answered = false;
        socket.once("connect", () => {
          answered = true;
          callback(null, socket);
        });
        socket.once("error", (error) => {
          if (!answered) callback(error, null);
          answered = true;
        });
      },
    });
    teardown.push(() => agent.destroy());
    const client = new CodexdClient({ baseUrl: d.baseUrl, dispatcher: agent });
    const from = d.daemon.store.lastSeq;
    const writer = startWriter(d, { workers: 64 });
    const abort = new AbortController();
    teardown.push(() => abort.abort());
    const got: CodexdEvent[] = [];
    const consumer = (async () => {
      for await (const event of client.streamEvents({ after: from, signal: abort.signal, reconnectDelayMs: 10 })) got.push(event);
    })();

    for (let drop = 1; drop <= 3; drop++) {
      const before = got.length;
      await waitUntil(() => got.length >= before + 300, { timeoutMs: 90_000, intervalMs: 2, what: `300 more events before drop ${drop}` });
      for (const socket of sockets) socket.destroy();
    }
    const last = await writer.stop();
    await waitUntil(() => got.at(-1)!.seq >= last, { timeoutMs: 90_000, intervalMs: 5, what: `the client to reach seq ${last}` });
    abort.abort();
    await withDeadline(consumer, 90_000, "streamEvents() to end on abort");

    expect(opened, "the client reconnected after each drop").toBeGreaterThanOrEqual(4);
    expectContiguous(
      got.map((e) => e.seq),
      from + 1,
      last,
      "CodexdClient events",
    );
    expect(got).toEqual(await storeEvents(d, from, last));
  });

  describe.each([
    { name: "default log and cache", settings: {} as Record<string, string> },
    {
      // Replay pages come from rotated files on disk, rotating under the reader's feet.
      name: "10-event cache, 32 KiB log files",
      settings: { CODEXD_EVENT_CACHE_SIZE: "10", CODEXD_EVENT_LOG_MAX_BYTES: String(32 * 1024), CODEXD_EVENT_LOG_KEEP_FILES: "400" },
    },
  ])("?after= replay then live under concurrent writes ($name)", ({ settings }) => {
    it("joins replay and live tail with no gap and no repeat, for streams opened while the writer runs", async () => {
      const d = await start(settings);
      await recordMany(d.daemon, 1500, 32, (i) => tick(i, { type: "test.before" }));
      // `max` only bounds a runaway writer (the rotating case keeps far more than it could write).
      const MAX = 30_000;
      const writer = startWriter(d, { workers: 64, max: MAX });
      const streams: Array<{ after: number; conn: SseConnection }> = [];
      // Cursors far back (replay crosses pages and, with the small cache, files), near the tail, at
      // the tail, and none at all (the daemon picks the live tail and says which in x-codexd-after).
      for (let round = 0; round < 3; round++) {
        await waitUntil(() => writer.count >= 300 * (round + 1), { timeoutMs: 90_000, intervalMs: 2, what: "writer progress" });
        const tail = d.daemon.store.lastSeq;
        for (const after of [0, Math.max(0, tail - 1200), Math.max(0, tail - 3), tail]) {
          const conn = await conns.open(streamUrl(d, { after }));
          expect(conn.status).toBe(200);
          expect(conn.headers["x-codexd-after"]).toBe(String(after));
          streams.push({ after, conn });
        }
        const live = await conns.open(streamUrl(d));
        expect(live.status).toBe(200);
        const effective = Number(live.headers["x-codexd-after"]);
        expect(Number.isInteger(effective)).toBe(true);
        streams.push({ after: effective, conn: live });
      }
      const writes = writer.count;
      const last = await writer.stop();
      expect(writes, "streams were opened while the writer was still writing").toBeLessThan(MAX);
      const all = await storeEvents(d, 0, last);
      expectContiguous(
        all.map((e) => e.seq),
        1,
        last,
        "store",
      );
      for (const { after, conn } of streams) {
        await conn.waitForSeq(last, 90_000);
        expectContiguous(conn.seqs(), after + 1, last, `stream after=${after}`);
        expect(conn.events<CodexdEvent>()).toEqual(all.slice(after));
        // id: is the seq, event: the type.
        expect(conn.messages[0]).toEqual({ id: String(after), event: "ready", data: JSON.stringify({ after }) });
        for (const m of conn.messages.slice(1, 21)) expect(m.event).toBe((JSON.parse(m.data) as CodexdEvent).type);
      }
    });
  });

  it("answers 410 problem+json with oldestSeq for a cursor older than what is retained", async () => {
    const d = await start({ CODEXD_EVENT_LOG_MAX_BYTES: "4096", CODEXD_EVENT_LOG_KEEP_FILES: "1", CODEXD_EVENT_CACHE_SIZE: "10" });
    await recordMany(d.daemon, 300, 8, (i) => tick(i, { detail: { i, pad: "x".repeat(100) } }));
    const last = d.daemon.store.lastSeq;

    // The oldest event still on disk, read from the files themselves.
    const logPath = d.temp.config.paths.structuredEventLogPath;
    const files = (await readdir(dirname(logPath))).filter((f) => f === basename(logPath) || f.startsWith(`${basename(logPath)}.`));
    expect(files.sort()).toEqual([basename(logPath), `${basename(logPath)}.1`]);
    let oldest = Infinity;
    for (const f of files) {
      const first = (await readFile(join(dirname(logPath), f), "utf8")).split("\n")[0];
      if (first) oldest = Math.min(oldest, (JSON.parse(first) as CodexdEvent).seq);
    }
    expect(oldest).toBeGreaterThan(10);
    expect(oldest).toBeLessThan(last - 10); // older than the 10-event cache: the disk counts too

    for (const request of [{ query: { after: 1 } }, { headers: { "last-event-id": "1" } }, { query: { after: oldest - 2 } }]) {
      const conn = await conns.open(streamUrl(d, request.query ?? {}), { headers: request.headers ?? {} });
      expect(conn.status, JSON.stringify(request)).toBe(410);
      expect(conn.headers["content-type"]).toMatch(/^application\/problem\+json/);
      const problem = await conn.json<{ status: number; code: string; oldestSeq: number; title: string }>();
      expect(problem).toMatchObject({ status: 410, code: "CODEXD_CURSOR_EXPIRED", oldestSeq: oldest });
    }

    // The client says the same, as an error carrying the problem.
    const client = new CodexdClient({ baseUrl: d.baseUrl });
    const error = await client.streamEvents({ after: 1 }).next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CodexdApiError);
    expect(error).toMatchObject({ status: 410, code: "CODEXD_CURSOR_EXPIRED", problem: { oldestSeq: oldest } });

    // From oldestSeq - 1 everything retained is replayed, then the live tail follows.
    const conn = await conns.open(streamUrl(d, { after: oldest - 1 }));
    expect(conn.status).toBe(200);
    await conn.waitForSeq(last);
    const more = await recordMany(d.daemon, 5, 1, (i) => tick(1000 + i));
    await conn.waitForSeq(more.at(-1)!);
    expectContiguous(conn.seqs(), oldest, more.at(-1)!, "stream from oldestSeq - 1");
  });

  it("ends a stalled reader with a final overflow event it can resume from; the writer and a fast reader are not held back", async () => {
    const CAPACITY = 50;
    const d = await start({ CODEXD_SSE_QUEUE_CAPACITY: String(CAPACITY) });
    const from = d.daemon.store.lastSeq;
    const stalled = await conns.open(streamUrl(d, { after: from }));
    stalled.pause();
    const fast = await conns.open(streamUrl(d, { after: from }));
    expect([stalled.status, fast.status]).toEqual([200, 200]);

    // Write until the stalled subscriber's queue has overflowed and then some more (the writer
    // must not notice), at most enough bytes to fill what the loopback socket pair can buffer
    // (send + receive buffers at their limits) one and a half times, plus the queue.
    const sysMax = async (name: string) => Number((await readFile(`/proc/sys/net/ipv4/${name}`, "utf8")).trim().split(/\s+/)[2]);
    const socketBytes = (await sysMax("tcp_wmem").catch(() => 4 << 20)) + (await sysMax("tcp_rmem").catch(() => 6 << 20));
    const PAD = 32 * 1024;
    const bound = Math.min(3000, Math.ceil((1.5 * socketBytes) / PAD) + 4 * CAPACITY);
    const pad = "p".repeat(PAD);
    let total = 0;
    let overflowSeenAt: number | null = null;
    while (total < bound && (overflowSeenAt === null || total < overflowSeenAt + 4 * CAPACITY)) {
      // Fewer calls in flight than the queue holds: one flush hands every subscriber a whole batch.
      const writes = await recordMany(d.daemon, 50, 16, (i) => tick(total + i, { type: "test.big", detail: { i: total + i, pad } }));
      expect(writes).toHaveLength(50);
      total += 50;
      if (overflowSeenAt === null && someSubscriberOverflowed(d)) overflowSeenAt = total;
    }
    const last = d.daemon.store.lastSeq;
    // Every recordEvent resolved while the stalled reader had not read (its events sit unread).
    expect(stalled.seqs().length).toBeLessThan(total / 2);

    await fast.waitForSeq(last, 90_000);
    expectContiguous(fast.seqs(), from + 1, last, "fast reader");
    expect(fast.messages.some((m) => m.event === "overflow")).toBe(false);

    stalled.resume();
    await stalled.waitDone(90_000);
    const final = stalled.messages.at(-1)!;
    expect(final.event, stalled.describe()).toBe("overflow");
    const { lastSeq } = JSON.parse(final.data) as { lastSeq: number };
    expect(lastSeq).toBe(stalled.lastSeq());
    expect(lastSeq).toBeLessThan(last);
    expectContiguous(stalled.seqs(), from + 1, lastSeq, "stalled reader before overflow");

    const resumed = await conns.open(streamUrl(d), { headers: { "last-event-id": String(lastSeq) } });
    expect(resumed.status).toBe(200);
    await resumed.waitForSeq(last, 90_000);
    expectContiguous([...stalled.seqs(), ...resumed.seqs()], from + 1, last, "stalled reader after resuming");
  });

  it("filters by type (exact or dotted prefix), minimum level, sessionId and runId, in replay and live", async () => {
    const d = await start();
    const types = ["child", "child.a", "child.a.b", "child.ab", "childish.x", "other.y"];
    const levels = ["debug", "info", "warn", "error"] as const;
    const sessions = ["sess-1", "sess-2", undefined];
    const runs = ["run-1", "run-2", undefined];
    const inputs: EventInput[] = [];
    for (const type of types)
      for (const level of levels)
        for (const sessionId of sessions)
          for (const runId of runs) {
            const input: EventInput = { type, level, message: `${type} ${level}`, detail: { filterTest: inputs.length } };
            if (sessionId) input.sessionId = sessionId;
            if (runId) input.runId = runId;
            inputs.push(input);
          }
    const from = d.daemon.store.lastSeq;
    const half = inputs.length / 2;
    // First half recorded before the streams open (replayed), second half after (live).
    await recordMany(d.daemon, half, 8, (i) => inputs[i]!);

    const rank = { debug: 0, info: 1, warn: 2, error: 3 } as const;
    const filters: Array<{ query: Record<string, string>; keep: (e: CodexdEvent) => boolean }> = [
      { query: { type: "child." }, keep: (e) => e.type.startsWith("child.") },
      { query: { type: "child" }, keep: (e) => e.type === "child" || e.type.startsWith("child.") },
      { query: { type: "child.a" }, keep: (e) => e.type === "child.a" || e.type.startsWith("child.a.") },
      { query: { type: "childish.x" }, keep: (e) => e.type === "childish.x" },
      { query: { level: "warn" }, keep: (e) => rank[e.level] >= rank.warn },
      { query: { level: "error" }, keep: (e) => e.level === "error" },
      { query: { sessionId: "sess-1" }, keep: (e) => e.sessionId === "sess-1" },
      { query: { runId: "run-2" }, keep: (e) => e.runId === "run-2" },
      {
        query: { type: "child.", level: "warn", sessionId: "sess-2", runId: "run-1" },
        keep: (e) => e.type.startsWith("child.") && rank[e.level] >= rank.warn && e.sessionId === "sess-2" && e.runId === "run-1",
      },
    ];
    const streams = await Promise.all(filters.map((f) => conns.open(streamUrl(d, { after: from, ...f.query }))));
    await recordMany(d.daemon, inputs.length - half, 8, (i) => inputs[half + i]!);
    const last = d.daemon.store.lastSeq;
    const all = await storeEvents(d, from, last);
    // The range may hold events of the child too (they count in `expected` below when they match).
    expect(all.filter((e) => e.detail?.filterTest !== undefined)).toHaveLength(inputs.length);

    for (const [i, f] of filters.entries()) {
      const conn = streams[i]!;
      const expected = all.filter(f.keep);
      expect(expected.length, JSON.stringify(f.query)).toBeGreaterThan(0);
      await conn.waitFor(() => conn.seqs().length >= expected.length, { timeoutMs: 90_000, what: `${expected.length} events for ${JSON.stringify(f.query)}` });
      expect(conn.events<CodexdEvent>(), JSON.stringify(f.query)).toEqual(expected);
    }
    // Spot checks of the semantics on the test's own events, independent of the predicates above.
    const own = (i: number) => streams[i]!.events<CodexdEvent>().filter((e) => e.detail?.filterTest !== undefined);
    const typesOf = (i: number) => new Set(own(i).map((e) => e.type));
    expect(typesOf(0)).toEqual(new Set(["child.a", "child.a.b", "child.ab"]));
    expect(typesOf(1)).toEqual(new Set(["child", "child.a", "child.a.b", "child.ab"]));
    expect(typesOf(2)).toEqual(new Set(["child.a", "child.a.b"]));
    expect(typesOf(3)).toEqual(new Set(["childish.x"]));
    expect(own(5)).toHaveLength(inputs.length / 4);
    expect(own(8)).toHaveLength(3 * 2); // child.a, child.a.b, child.ab x warn, error
  });

  it("sends heartbeat comments on an idle stream", async () => {
    const d = await start({ CODEXD_SSE_HEARTBEAT_MS: "200" });
    const t0 = performance.now();
    const events = await conns.open(streamUrl(d));
    const logs = await conns.open(`${d.baseUrl}/v1/child/logs?follow=true&tail=0`);
    const heartbeats = (c: SseConnection) => c.comments.filter((text) => text === "heartbeat").length;
    await events.waitFor(() => heartbeats(events) >= 3, { timeoutMs: 90_000, what: "3 heartbeats" });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(500); // ~200 ms apart, not a burst
    await logs.waitFor(() => heartbeats(logs) >= 2, { timeoutMs: 90_000, what: "2 heartbeats on the child log stream" });
    expect(events.messages.map((m) => m.event)).toEqual(["ready"]);
    expect(events.done).toBe(false);
  });

  it("ends every open stream with a final shutdown event and closes promptly", async () => {
    const d = await start();
    const from = d.daemon.store.lastSeq;
    const streams = [
      await conns.open(streamUrl(d)),
      await conns.open(streamUrl(d, { after: 0 })),
      await conns.open(streamUrl(d, { after: from, type: "test." })),
    ];
    const logs = await conns.open(`${d.baseUrl}/v1/child/logs?follow=true&tail=1`);
    const [marker] = await recordMany(d.daemon, 1, 1, (i) => tick(i, { type: "test.marker" }));
    for (const s of streams) {
      expect(s.status).toBe(200);
      await s.waitForSeq(marker!);
    }

    // Open streams do not hold the shutdown up: it ends (a hang would meet these deadlines, which
    // are generous because a loaded machine is slow, not because a stream may hold it).
    const closing = d.app.close();
    teardown.push(() => closing.catch(() => {}));
    await withDeadline(closing, 90_000, "app.close() with open streams");
    const stopping = d.daemon.stop("test");
    teardown.push(() => stopping.catch(() => {}));
    await withDeadline(stopping, 90_000, "daemon.stop()");

    for (const s of [...streams, logs]) {
      await s.waitDone(90_000);
      expect(s.messages.at(-1)?.event, s.describe()).toBe("shutdown");
      expect(s.endedCleanly, s.describe()).toBe(true);
    }
  });

  it.each([
    { phase: "live", what: "its pump blocked on a full socket" },
    { phase: "replay", what: "its replay blocked on a full socket" },
  ])("shuts down promptly with a reader that stopped reading in $phase ($what)", async ({ phase }) => {
    const d = await start();
    const from = d.daemon.store.lastSeq;
    // More than the loopback socket pair buffers (~6 MiB here; see the overflow test), but far
    // fewer events than the default queue capacity, so the stream never overflows.
    const pad = "s".repeat(32 * 1024);
    const fill = () => recordMany(d.daemon, 400, 16, (i) => tick(i, { type: "test.big", detail: { i, pad } }));
    if (phase === "replay") await fill();
    const stalled = await conns.open(streamUrl(d, { after: from }));
    stalled.pause();
    const normal = await conns.open(streamUrl(d, { after: from }));
    if (phase === "live") await fill();
    const last = d.daemon.store.lastSeq;
    await normal.waitForSeq(last, 90_000);
    expect(stalled.lastSeq() ?? from).toBeLessThan(last);

    const shutdown = (async () => {
      await d.app.close();
      await d.daemon.stop("test");
    })();
    // Should it hang, teardown first drops the stalled client (which unblocks it), then waits.
    teardown.push(() => shutdown.catch(() => {}));
    // Without the cut, a stalled reader holds the shutdown forever; the deadline only has to be
    // longer than a loaded machine needs.
    await withDeadline(shutdown, 90_000, "app.close() + daemon.stop() with a stalled reader");
    await normal.waitDone(90_000);
    expect(normal.messages.at(-1)?.event).toBe("shutdown");
    // The server ended (or cut) the stalled reader's connection instead of waiting on it: once
    // the reader reads again it finds the end behind what was buffered, not an open stream.
    stalled.resume();
    await stalled.waitDone(90_000);
  });

  it("follows the child's stderr (tail, then live lines across a restart) and stdout (raw JSON-RPC lines)", async () => {
    const d = await start();
    const getJson = async (path: string, method = "GET") => {
      const res = await fetch(d.baseUrl + path, { method });
      expect(res.status, `${method} ${path}`).toBe(200);
      return (await res.json()) as any;
    };
    // The fake logs one stderr line per request/notification: initialize, initialized.
    const tail = await waitUntil(
      async () => {
        const body = await getJson("/v1/child/logs?tail=2");
        return body.lines.length === 2 && (body.lines as string[]);
      },
      { timeoutMs: 90_000, what: "2 stderr lines" },
    );
    const stderr = await conns.open(`${d.baseUrl}/v1/child/logs?follow=true&tail=2`);
    expect(stderr.status).toBe(200);
    expect(stderr.headers["content-type"]).toMatch(/^text\/event-stream/);
    await stderr.waitFor(() => stderr.messages.length >= 2, { what: "the 2 tail lines" });
    expect(stderr.messages.slice(0, 2)).toEqual(tail.map((data) => ({ id: undefined, event: "stderr", data })));

    const stdout = await conns.open(`${d.baseUrl}/v1/child/logs?follow=true&stream=stdout&tail=0`);
    expect(stdout.status).toBe(200);
    const oldPid = d.daemon.child.state.pid;
    await getJson("/v1/child/restart", "POST");
    const { matched, state } = await d.daemon.child.waitFor("ready", 60_000, ["fatal"]);
    expect(matched && state.status).toBe("running");
    const newPid = state.pid!;
    expect(newPid).not.toBe(oldPid);

    // Live stderr lines of the new child process, whole lines, after the tail.
    const fromNew = await stderr.waitFor(
      () => {
        const lines = stderr.messages.slice(2).map((m) => m.data).filter((l) => l.startsWith(`[fake-app-server ${newPid}]`));
        return lines.some((l) => l.includes("initialize")) && lines;
      },
      { timeoutMs: 90_000, what: `stderr lines of the restarted child (pid ${newPid})` },
    );
    expect(fromNew.some((l) => /request \S+ initialize$/.test(l))).toBe(true);
    for (const m of stderr.messages) {
      expect(m.event).toBe("stderr");
      expect(m.data).not.toContain("\n");
    }

    // stdout: the raw protocol lines, e.g. the new child's answer to initialize.
    const init = await stdout.waitFor(
      () => stdout.messages.map((m) => JSON.parse(m.data) as any).find((msg) => typeof msg.result?.userAgent === "string"),
      { timeoutMs: 90_000, what: "the initialize response on stdout" },
    );
    expect(init.result.userAgent).toMatch(/^fake-app-server\//);
    expect(init).not.toHaveProperty("jsonrpc");
    for (const m of stdout.messages) expect(m.event).toBe("stdout");
  });
});
