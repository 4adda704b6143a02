/**
 * Cursors of the event log, the same for the list route and the stream: the stream tells its
 * effective cursor as a real `ready` event, a cursor older than what is kept is 410 and one
 * beyond the last seq is 400 on both routes, the client and the CLI go on after a 410 with a
 * visible gap, and a stream is gone the moment its socket closes, whatever its filter.
 */
import { request as httpRequest } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { CodexdEvent } from "../../schemas/events.js";
import { CodexdClient, type EventGap } from "../../src/client/index.js";
import type { EventInput } from "../../src/state/store.js";
import { waitUntil, withDeadline } from "../helpers/deadline.js";
import { cliPath } from "../helpers/daemon-process.js";
import { cleanEnv, spawnTracked } from "../helpers/processes.js";
import { SseConnections } from "../helpers/sse-client.js";
import { recordMany, startListeningDaemon, type ListeningDaemon } from "../helpers/sse-daemon.js";

let env: ListeningDaemon | undefined;
const conns = new SseConnections();

afterEach(async () => {
  conns.destroyAll();
  await env?.close();
  env = undefined;
});

const tick = (i: number, extra: Partial<EventInput> = {}): EventInput => ({ level: "info", type: "test.tick", message: `tick ${i}`, detail: { i }, ...extra });

const url = (d: ListeningDaemon, path: string, query: Record<string, string | number> = {}) => {
  const u = new URL(path, d.baseUrl);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, String(v));
  return u.toString();
};

async function getJson(target: string): Promise<{ status: number; type: string; body: any }> {
  const response = await fetch(target, { headers: { accept: "application/json" } });
  return { status: response.status, type: response.headers.get("content-type") ?? "", body: await response.json() };
}

/** A daemon whose child is up and whose own start-up events are all recorded, so lastSeq holds still. */
async function quietDaemon(settings: Record<string, string> = {}): Promise<ListeningDaemon> {
  const d = (env = await startListeningDaemon(settings));
  const { matched } = await d.daemon.child.waitFor("ready", 10_000, ["fatal"]);
  expect(matched).toBe(true);
  // Flushed after the child's state change, so that event is in before this resolves.
  await d.daemon.store.recordEvent(tick(-1, { type: "test.ready" }));
  return d;
}

/** A daemon whose log rotated past its first events: the oldest seq kept is well above 1. */
async function rotatedDaemon(): Promise<{ d: ListeningDaemon; oldest: number; last: number }> {
  const d = (env = await startListeningDaemon({ CODEXD_EVENT_LOG_MAX_BYTES: "4096", CODEXD_EVENT_LOG_KEEP_FILES: "0", CODEXD_EVENT_CACHE_SIZE: "10" }));
  await recordMany(d.daemon, 200, 4, (i) => tick(i, { detail: { i, pad: "x".repeat(100) } }));
  const oldest = d.daemon.store.oldestEventSeq!;
  expect(oldest).toBeGreaterThan(20);
  return { d, oldest, last: d.daemon.store.lastSeq };
}

describe.sequential("event cursors", () => {
  it("opens every stream with a `ready` event: the effective cursor as its id and in its data", async () => {
    // Quiet: a start-up event recorded after the tail is read would move the live cursor.
    const d = await quietDaemon();
    await d.daemon.store.recordEvent(tick(0));
    const tail = d.daemon.store.lastSeq;
    for (const [query, expected] of [[{}, tail], [{ after: 0 }, 0], [{ after: tail - 1 }, tail - 1]] as const) {
      const conn = await conns.open(url(d, "/v1/events/stream", query));
      expect(conn.status).toBe(200);
      const first = await conn.waitFor(() => conn.messages[0], { what: "the first message" });
      expect(first, JSON.stringify(query)).toEqual({ id: String(expected), event: "ready", data: JSON.stringify({ after: expected }) });
    }
  });

  it("loses nothing when a stream opened at the live tail is cut before its first event: the reconnect carries the ready id", async () => {
    const d = (env = await startListeningDaemon());
    const first = await conns.open(url(d, "/v1/events/stream"));
    await first.waitFor(() => first.messages.length > 0, { what: "the ready event" });
    // What a standard EventSource keeps: the id of the last message that had data.
    const kept = first.messages.at(-1)!.id;
    first.destroy();
    const created = await d.daemon.store.recordEvent(tick(1, { type: "test.between" }));
    const again = await conns.open(url(d, "/v1/events/stream"), { headers: { "last-event-id": kept! } });
    await again.waitForSeq(created.seq);
    expect(again.events<CodexdEvent>().map((e) => e.type)).toContain("test.between");
  });

  it("removes a stream the moment its socket closes, whatever its filter; HEAD answers headers and ends", async () => {
    const d = (env = await startListeningDaemon());
    const filters: Record<string, string>[] = [{ runId: "run-unknown" }, { sessionId: "nobody" }, { type: "no.such." }, {}];
    for (let i = 0; i < 20; i++) await conns.open(url(d, "/v1/events/stream", filters[i % filters.length]!));
    await waitUntil(() => d.daemon.streams.count === 20, { what: "20 open streams" });
    conns.destroyAll();
    await waitUntil(() => d.daemon.streams.count === 0, { what: "every closed stream removed" });
    const metrics = await (await fetch(url(d, "/metrics"))).text();
    expect(metrics).toMatch(/^codexd_sse_subscribers 0$/m);

    const head = await withDeadline(
      new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const req = httpRequest(url(d, "/v1/events/stream"), { method: "HEAD", agent: false }, (res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk.toString()));
          res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        });
        req.on("error", reject);
        req.end();
      }),
      10_000,
      "the HEAD answer to end",
    );
    expect(head.status).toBe(200);
    expect(head.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(head.headers["x-codexd-after"]).toBe(String(d.daemon.store.lastSeq));
    expect(head.body).toBe("");
    expect(d.daemon.streams.count).toBe(0);
  });

  it("answers 410 CODEXD_CURSOR_EXPIRED with oldestSeq on the list route exactly as on the stream", async () => {
    const { d, oldest } = await rotatedDaemon();
    const list = await getJson(url(d, "/v1/events", { after: 0, limit: 3 }));
    expect(list.status).toBe(410);
    expect(list.type).toMatch(/^application\/problem\+json/);
    expect(list.body).toMatchObject({ code: "CODEXD_CURSOR_EXPIRED", oldestSeq: oldest });
    const stream = await conns.open(url(d, "/v1/events/stream", { after: 0 }));
    expect(stream.status).toBe(410);
    expect(await stream.json()).toMatchObject({ code: "CODEXD_CURSOR_EXPIRED", oldestSeq: oldest });
    // From oldestSeq - 1 nothing is skipped.
    const page = await getJson(url(d, "/v1/events", { after: oldest - 1, limit: 3 }));
    expect(page.status).toBe(200);
    expect(page.body.events.map((e: CodexdEvent) => e.seq)).toEqual([oldest, oldest + 1, oldest + 2]);
  });

  it("answers 400 CODEXD_CURSOR_AHEAD with lastSeq for a cursor beyond the last seq, on both routes", async () => {
    const d = await quietDaemon();
    const last = d.daemon.store.lastSeq;
    const list = await getJson(url(d, "/v1/events", { after: last + 1000 }));
    expect(list.status).toBe(400);
    expect(list.body).toMatchObject({ code: "CODEXD_CURSOR_AHEAD", lastSeq: last });
    for (const open of [{ query: { after: last + 1000 } }, { headers: { "last-event-id": String(last + 1000) } }]) {
      const conn = await conns.open(url(d, "/v1/events/stream", open.query ?? {}), { headers: open.headers ?? {} });
      expect(conn.status, JSON.stringify(open)).toBe(400);
      expect(await conn.json()).toMatchObject({ code: "CODEXD_CURSOR_AHEAD", lastSeq: last });
    }
    // The cursor at the last seq itself is fine: nothing yet, then what comes.
    expect((await getJson(url(d, "/v1/events", { after: last }))).body.events).toEqual([]);
  });

  it("the typed client goes on after a 410 from oldestSeq - 1 and reports the gap; without onGap it throws", async () => {
    const { d, oldest, last } = await rotatedDaemon();
    const client = new CodexdClient({ baseUrl: d.baseUrl });
    await expect(client.listEvents({ after: 3 })).rejects.toMatchObject({ status: 410, code: "CODEXD_CURSOR_EXPIRED" });

    const gaps: EventGap[] = [];
    const page = await client.listEvents({ after: 3, limit: 2 }, { onGap: (gap) => gaps.push(gap) });
    expect(page.events.map((e) => e.seq)).toEqual([oldest, oldest + 1]);
    expect(gaps).toEqual([{ from: 4, to: oldest - 1, oldestSeq: oldest }]);

    const abort = new AbortController();
    const seen: number[] = [];
    const streamGaps: EventGap[] = [];
    for await (const event of client.streamEvents({ after: 3, signal: abort.signal, onGap: (gap) => streamGaps.push(gap) })) {
      seen.push(event.seq);
      if (event.seq >= last) abort.abort();
    }
    expect(streamGaps).toEqual([{ from: 4, to: oldest - 1, oldestSeq: oldest }]);
    expect(seen).toEqual(Array.from({ length: last - oldest + 1 }, (_, i) => oldest + i));
  });

  it("the CLI lists and follows across a 410 with a warning naming the lost events", async () => {
    const { d, oldest } = await rotatedDaemon();
    const run = (args: string[]) => spawnTracked(process.execPath, [cliPath, ...args], { cwd: d.temp.dir, env: cleanEnv({ CODEXD_URL: d.baseUrl }) });
    const list = run(["events", "--after", "3", "--limit", "2", "--json"]);
    expect(await list.waitExit(20_000)).toEqual({ code: 0, signal: null });
    expect(JSON.parse(list.stdout()).events.map((e: CodexdEvent) => e.seq)).toEqual([oldest, oldest + 1]);
    expect(list.stderr()).toContain(`events 4 to ${oldest - 1} are no longer kept`);

    const follow = run(["events", "--follow", "--after", "3", "--limit", "3", "--json"]);
    expect(await follow.waitExit(20_000)).toEqual({ code: 0, signal: null });
    const followed = follow.stdout().trim().split("\n").map((line) => (JSON.parse(line) as CodexdEvent).seq);
    expect(followed).toEqual([oldest, oldest + 1, oldest + 2]);
    expect(follow.stderr()).toContain(`events 4 to ${oldest - 1} are no longer kept`);
  });
});
