/**
 * Stalled event-stream readers (connected, never reading) cost the daemon bounded work: once one
 * is streams.maxBufferedBytes behind it is ended (counted in codexd_sse_overflowed_streams), a
 * reader that keeps up gets every event, and /healthz answers while the stalled readers are open.
 * No timing is asserted here: bench/stalled-readers.ts measures the health latency.
 */
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { waitUntil, withDeadline } from "../helpers/deadline.js";
import { contiguityProblems, SseConnections } from "../helpers/sse-client.js";
import { recordMany, startListeningDaemon, type ListeningDaemon } from "../helpers/sse-daemon.js";

let env: ListeningDaemon | undefined;
const conns = new SseConnections();
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  conns.destroyAll();
  await env?.close();
  env = undefined;
});

/** A reader that sends its request and never reads a byte. */
function stalledReader(baseUrl: string, query = ""): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.pause();
      socket.write(`GET /v1/events/stream${query} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
      resolve(socket);
    });
    socket.on("error", () => {});
    socket.once("error", reject);
  });
}

async function metric(d: ListeningDaemon, name: string): Promise<number> {
  const text = await (await fetch(new URL("/metrics", d.baseUrl))).text();
  const m = new RegExp(`^${name} (\\d+)$`, "m").exec(text);
  return m ? Number(m[1]) : NaN;
}

describe("stalled event-stream readers", () => {
  it("are ended once streams.maxBufferedBytes behind and counted, while a reader that keeps up gets every event and /healthz answers", { timeout: 240_000 }, async () => {
    const STALLED = 40;
    const d = (env = await startListeningDaemon({ CODEXD_SSE_MAX_BUFFERED_BYTES: String(256 * 1024), CODEXD_SSE_HEARTBEAT_MS: "500" }));
    const { matched } = await d.daemon.child.waitFor("ready", 60_000, ["fatal"]);
    expect(matched).toBe(true);
    const from = d.daemon.store.lastSeq;
    for (let i = 0; i < STALLED; i++) sockets.push(await stalledReader(d.baseUrl));
    const fast = await conns.open(new URL(`/v1/events/stream?after=${from}`, d.baseUrl).toString());
    await waitUntil(() => d.daemon.streams.count === STALLED + 1, { what: "every stream open" });

    // /healthz answers while every stalled reader is still open.
    const health = await withDeadline(fetch(new URL("/healthz", d.baseUrl)), 60_000, "/healthz with stalled readers open");
    expect(health.status).toBe(200);
    expect(await metric(d, "codexd_sse_overflowed_streams")).toBe(0);

    // Big events until the stalled readers are dropped: their sockets' buffers fill, then the
    // daemon's side passes the bound. At most enough bytes for the loopback buffers many times over.
    const pad = "p".repeat(32 * 1024);
    let written = 0;
    while (d.daemon.streams.ended.overflow < STALLED && written < 4000) {
      await recordMany(d.daemon, 50, 8, (i) => ({ level: "info", type: "test.big", message: "big", detail: { i: written + i, pad } }));
      written += 50;
    }
    await waitUntil(async () => (await metric(d, "codexd_sse_overflowed_streams")) === STALLED || false, { what: "every stalled reader counted as overflowed", timeoutMs: 60_000 });
    await waitUntil(() => d.daemon.streams.count === 1, { what: "only the reader that keeps up left", timeoutMs: 60_000 });

    const last = d.daemon.store.lastSeq;
    await fast.waitForSeq(last, 120_000);
    expect(contiguityProblems(fast.seqs(), from + 1)).toEqual([]);
    expect(fast.messages.some((m) => m.event === "overflow")).toBe(false);
    expect((await fetch(new URL("/healthz", d.baseUrl))).status).toBe(200);
  });

  it("replaying a long history are ended once behind, without the rest of the history being built for them", { timeout: 240_000 }, async () => {
    const STALLED = 5;
    const d = (env = await startListeningDaemon({ CODEXD_SSE_MAX_BUFFERED_BYTES: String(256 * 1024), CODEXD_SSE_HEARTBEAT_MS: "500" }));
    const { matched } = await d.daemon.child.waitFor("ready", 60_000, ["fatal"]);
    expect(matched).toBe(true);
    // About 20 MiB of history: hundreds of replay pages, far more than a socket takes.
    const pad = "h".repeat(1024);
    await recordMany(d.daemon, 20_000, 8, (i) => ({ level: "info", type: "test.history", message: "old", detail: { i, pad } }));
    for (let i = 0; i < STALLED; i++) sockets.push(await stalledReader(d.baseUrl, "?after=0"));
    await waitUntil(() => d.daemon.streams.count === STALLED, { what: "every stream open" });
    // Live events, one flush each, past the bound (768 KiB against 256 KiB), then none: a stream
    // that went on replaying would write a page per flush and then wait on its socket for good.
    const big = "p".repeat(32 * 1024);
    await recordMany(d.daemon, 24, 1, (i) => ({ level: "info", type: "test.big", message: "big", detail: { i, big } }));
    await waitUntil(() => d.daemon.streams.ended.overflow === STALLED || false, { what: "every stalled replaying reader ended for falling behind", timeoutMs: 60_000 });
    expect(d.daemon.streams.count).toBe(0);
    expect((await fetch(new URL("/healthz", d.baseUrl))).status).toBe(200);
  });
});
