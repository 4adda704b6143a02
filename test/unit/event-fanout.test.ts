import { afterEach, describe, expect, it } from "vitest";
import type { CodexdEvent } from "../../schemas/events.js";
import { EventFanout, type EventChunk } from "../../src/events/event-fanout.js";
import { SubscriberQueue } from "../../src/events/subscriber-queue.js";
import { StateStore, type EventInput } from "../../src/state/store.js";
import { failNextAppend, holdNextAppend } from "../helpers/store-faults.js";
import { tempState, type TempState } from "../helpers/temp-config.js";

let temp: TempState;
let store: StateStore;

async function openStore(): Promise<StateStore> {
  temp = await tempState();
  store = new StateStore(temp.config);
  await store.initialize();
  return store;
}

afterEach(async () => {
  await store?.close();
  await temp?.cleanup();
});

const input = (type: string, sessionId?: string): EventInput => ({ level: "info", type, message: type, ...(sessionId ? { sessionId } : {}) });

/** Record events concurrently, so they share one flush. */
const recordAll = (inputs: EventInput[]) => Promise.all(inputs.map((i) => store.recordEvent(i)));

/** The SSE frames of a chunk: id, event name and parsed data of each. */
function framesOf(chunk: EventChunk): { id: number; event: string; data: CodexdEvent }[] {
  return chunk.bytes
    .toString("utf8")
    .split("\n\n")
    .filter(Boolean)
    .map((frame) => {
      const lines = frame.split("\n");
      expect(lines).toHaveLength(3);
      return { id: Number(lines[0]!.slice(4)), event: lines[1]!.slice(7), data: JSON.parse(lines[2]!.slice(6)) as CodexdEvent };
    });
}

describe("live event fan-out", () => {
  it("hands every unfiltered subscriber the same encoded chunk per flush", async () => {
    await openStore();
    const fanout = new EventFanout(store);
    const got: EventChunk[][] = [[], [], []];
    for (const list of got) fanout.subscribe({}, (chunk) => list.push(chunk));
    const events = await recordAll([input("x.one"), input("x.two"), input("x.three")]);

    expect(got[0]).toHaveLength(1);
    expect(got[1]![0]).toBe(got[0]![0]);
    expect(got[2]![0]).toBe(got[0]![0]);
    const chunk = got[0]![0]!;
    expect(chunk.count).toBe(3);
    expect(chunk.lastSeq).toBe(events.at(-1)!.seq);
    expect(framesOf(chunk)).toEqual(events.map((e) => ({ id: e.seq, event: e.type, data: e })));
  });

  it("filters once per distinct filter, however its fields were ordered", async () => {
    await openStore();
    const fanout = new EventFanout(store);
    const a: EventChunk[] = [];
    const b: EventChunk[] = [];
    const other: EventChunk[] = [];
    fanout.subscribe({ type: "run.", sessionId: "s1" }, (c) => a.push(c));
    fanout.subscribe({ sessionId: "s1", type: "run." }, (c) => b.push(c));
    fanout.subscribe({ type: "child." }, (c) => other.push(c));
    const events = await recordAll([input("run.queued", "s1"), input("run.queued", "s2"), input("turn.started", "s1"), input("run.started", "s1")]);

    expect(a).toHaveLength(1);
    expect(b[0]).toBe(a[0]);
    expect(framesOf(a[0]!).map((f) => f.id)).toEqual([events[0]!.seq, events[3]!.seq]);
    // No event of the flush matched: nothing is delivered, not an empty chunk.
    expect(other).toEqual([]);
  });

  it("tells the boundary in the same step as it subscribes, with a flush in flight: replay to it plus live covers every seq once", async () => {
    await openStore();
    await recordAll([input("x.before"), input("x.before")]);
    // Hold the next flush inside its append, so an event is recorded but not yet durable.
    const hold = holdNextAppend(store);
    const inFlight = store.recordEvent(input("x.in-flight"));
    await hold.entered;

    const fanout = new EventFanout(store);
    const live: number[] = [];
    const { boundary } = fanout.subscribe({}, (chunk) => live.push(...framesOf(chunk).map((f) => f.id)));
    const replayed = (await store.queryEvents({ after: 0, limit: 1000 })).events.filter((e) => e.seq <= boundary).map((e) => e.seq);
    hold.release();
    const pending = await inFlight;
    const later = await recordAll([input("x.after"), input("x.after")]);

    expect(boundary).toBe(pending.seq - 1);
    const all = [...replayed, ...live];
    expect(all).toEqual(Array.from({ length: later.at(-1)!.seq }, (_, i) => i + 1));
  });

  it("stops listening to the store when the last subscriber leaves", async () => {
    await openStore();
    const fanout = new EventFanout(store);
    const got: EventChunk[] = [];
    const first = fanout.subscribe({}, (c) => got.push(c));
    const second = fanout.subscribe({ level: "warn" }, (c) => got.push(c));
    expect(fanout.subscriberCount).toBe(2);
    first.unsubscribe();
    second.unsubscribe();
    expect(fanout.subscriberCount).toBe(0);
    await store.recordEvent({ level: "error", type: "x.late", message: "late" });
    expect(got).toEqual([]);
  });

  it("never delivers the events of a failed append; the next durable events take their seqs, without a gap", async () => {
    await openStore();
    const fanout = new EventFanout(store);
    const chunks: EventChunk[] = [];
    fanout.subscribe({}, (c) => chunks.push(c));
    // The event log's append fails once, as a full disk would.
    failNextAppend(store, "ENOSPC: no space left on device");

    const before = store.lastSeq;
    const failed = await Promise.allSettled([store.recordEvent(input("x.a")), store.recordEvent(input("x.b"))]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(chunks).toEqual([]);
    // The first write that gets through records the outage first (or the store's own retry did).
    const c = await store.recordEvent(input("x.c"));

    const frames = chunks.flatMap(framesOf);
    expect(frames.map((f) => f.id)).toEqual([before + 1, before + 2, before + 3]);
    expect(frames.map((f) => f.data.type)).toEqual(["store.degraded", "store.recovered", "x.c"]);
    expect(c.seq).toBe(before + 3);
    for (const f of frames) expect(f.data.seq).toBe(f.id);
  });
});

describe("subscriber queue", () => {
  it("counts capacity in the weight of its items and overflows instead of growing", () => {
    const queue = new SubscriberQueue<{ n: number }>(10, (item) => item.n);
    queue.push({ n: 4 });
    queue.push({ n: 4 });
    expect(queue.size).toBe(8);
    queue.push({ n: 4 });
    expect(queue.overflowed).toBe(true);
    queue.push({ n: 1 });
    expect(queue.size).toBe(8);
    expect(queue.shift()).toEqual({ n: 4 });
    expect(queue.size).toBe(4);
  });

  it("takes one item heavier than its capacity when empty, so a big flush does not end a reader that keeps up", () => {
    const queue = new SubscriberQueue<{ n: number }>(10, (item) => item.n);
    queue.push({ n: 25 });
    expect(queue.overflowed).toBe(false);
    queue.push({ n: 1 });
    expect(queue.overflowed).toBe(true);
  });

  it("wakes a waiting reader on a new item and on close, and does not make an overflowed reader wait", async () => {
    const queue = new SubscriberQueue<number>(1);
    const woke: string[] = [];
    void queue.wait().then(() => woke.push("item"));
    queue.push(1);
    await Promise.resolve();
    queue.shift();
    void queue.wait().then(() => woke.push("close"));
    queue.close();
    await Promise.resolve();
    expect(woke).toEqual(["item", "close"]);
    // Drained, but overflowed: the reader must go on to send its overflow event, not wait.
    const full = new SubscriberQueue<number>(1);
    full.push(1);
    full.push(2);
    expect(full.overflowed).toBe(true);
    expect(full.shift()).toBe(1);
    expect(full.size).toBe(0);
    let resolved = false;
    void full.wait().then(() => (resolved = true));
    await Promise.resolve();
    expect(resolved).toBe(true);
  });
});
