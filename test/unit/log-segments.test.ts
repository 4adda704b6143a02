import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CodexdEvent } from "../../schemas/events.js";
import { EventLog } from "../../src/state/event-log.js";
import { SegmentCache, type Segment } from "../../src/state/log-segments.js";
import { tempState, type TempState } from "../helpers/temp-config.js";

const temps: TempState[] = [];
afterEach(async () => {
  for (const t of temps.splice(0)) await t.cleanup();
});

function lines(from: number, to: number, pad = 300): string {
  let text = "";
  for (let seq = from; seq <= to; seq++) text += `${JSON.stringify({ seq, createdAt: new Date(seq).toISOString(), level: "info", type: "t", message: "m", detail: { pad: "x".repeat(pad) } })}\n`;
  return text;
}

async function openLog(readCacheBytes: number, maxBytes = 64 * 1024 * 1024): Promise<EventLog> {
  const temp = await tempState();
  temps.push(temp);
  const log = new EventLog({ path: join(temp.dir, "events.jsonl"), maxBytes, keepFiles: 3, readCacheBytes });
  await log.open();
  return log;
}

const seqs = (events: readonly CodexdEvent[]) => events.map((e) => e.seq);
const all = () => true;

describe("event-log segment cache", () => {
  it("hands readers from the same place one parse of the lines, frozen, once the place was read before; with no budget each read parses its own", async () => {
    const cached = await openLog(1024 * 1024);
    const uncached = await openLog(0);
    for (const log of [cached, uncached]) for (let b = 0; b < 10; b++) await log.append(lines(b * 100 + 1, b * 100 + 100));
    for (const after of [0, 250, 731]) {
      // The first reads learn the place (and the cursor search its offsets); then it is kept.
      const reads = [];
      for (let k = 0; k < 4; k++) reads.push(await cached.readAfter(after, 50, all));
      const [, , first, second] = reads as [CodexdEvent[], CodexdEvent[], CodexdEvent[], CodexdEvent[]];
      expect(seqs(first)).toEqual(Array.from({ length: 50 }, (_, k) => after + 1 + k));
      for (const read of reads) expect(read).toEqual(first);
      expect(second.every((e, k) => e === first[k] && Object.isFrozen(e) && Object.isFrozen(e.detail))).toBe(true);
      const a = await uncached.readAfter(after, 50, all);
      const b = await uncached.readAfter(after, 50, all);
      expect(b).toEqual(first);
      expect(b.some((e, k) => e === a[k])).toBe(false);
    }
    await Promise.all([cached.close(), uncached.close()]);
  });

  it("keeps nothing for readers that pass through once, each from another place", async () => {
    const log = await openLog(1024 * 1024);
    for (let b = 0; b < 20; b++) await log.append(lines(b * 100 + 1, b * 100 + 100));
    const heldBytes = () => (log as unknown as { segments: SegmentCache }).segments.heldBytes;
    for (let after = 0; after < 1900; after += 37) expect(seqs(await log.readAfter(after, 20, all))).toEqual(Array.from({ length: 20 }, (_, k) => after + 1 + k));
    expect(heldBytes()).toBe(0);
    for (let k = 0; k < 3; k++) await log.readAfter(500, 20, all);
    expect(heldBytes()).toBeGreaterThan(0);
    await log.close();
  });

  it("does not keep a read that reached the live file's end: what is appended later is read", async () => {
    const log = await openLog(1024 * 1024);
    await log.append(lines(1, 20));
    expect(seqs(await log.readAfter(10, 100, all))).toEqual(Array.from({ length: 10 }, (_, k) => 11 + k));
    await log.append(lines(21, 30));
    expect(seqs(await log.readAfter(10, 100, all))).toEqual(Array.from({ length: 20 }, (_, k) => 11 + k));
    await log.close();
  });

  it("answers right after rotations drop the files its segments came from", async () => {
    const log = await openLog(1024 * 1024, 40_000);
    let seq = 0;
    for (let round = 0; round < 30; round++) {
      await log.append(lines(seq + 1, seq + 40));
      seq += 40;
      const oldest = log.oldestSeq!;
      for (const after of [oldest - 1, oldest + 17, Math.max(oldest - 1, seq - 45), seq - 1]) {
        const want = Array.from({ length: Math.min(30, seq - after) }, (_, k) => after + 1 + k);
        expect(seqs(await log.readAfter(after, 30, all)), `after ${after}, round ${round}`).toEqual(want);
      }
    }
    expect((await log.files()).length).toBe(4);
    await log.close();
  });
});

describe("SegmentCache", () => {
  const segment = (start: number, end: number): Segment => ({ start, end, events: [] });

  it("finds the segment holding a line, keeps segments within its byte budget and drops the least recently used first", () => {
    const cache = new SegmentCache(300);
    cache.set(1, segment(0, 100));
    cache.set(1, segment(100, 200));
    cache.set(2, segment(0, 100));
    expect(cache.heldBytes).toBe(300);
    expect(cache.covering(1, 150)?.start).toBe(100);
    expect(cache.covering(1, 200)).toBeUndefined();
    expect(cache.nextStart(1, 20)).toBe(100);
    expect(cache.nextStart(1, 100)).toBe(Infinity);
    // Both of file 1 were used since file 2's was kept: that one goes first.
    expect(cache.covering(1, 0)?.end).toBe(100);
    cache.set(3, segment(0, 100));
    expect(cache.covering(2, 0)).toBeUndefined();
    expect([cache.covering(1, 99)?.end, cache.covering(1, 100)?.end, cache.covering(3, 0)?.end]).toEqual([100, 200, 100]);
    expect(cache.heldBytes).toBe(300);
    // Larger than the whole budget, or overlapping a kept one: not kept, nothing dropped for it.
    cache.set(4, segment(0, 301));
    cache.set(3, segment(50, 150));
    expect([cache.covering(4, 0), cache.covering(3, 120)]).toEqual([undefined, undefined]);
    expect(cache.heldBytes).toBe(300);
  });

  it("forgets the segments of files rotation removed", () => {
    const cache = new SegmentCache(10_000);
    cache.set(1, segment(0, 100));
    cache.set(50, segment(0, 100));
    cache.set(90, segment(0, 100));
    cache.dropBefore(50);
    expect([cache.covering(1, 0), cache.covering(50, 0)?.end, cache.covering(90, 0)?.end]).toEqual([undefined, 100, 100]);
    expect(cache.heldBytes).toBe(200);
    cache.dropBefore(null);
    expect(cache.heldBytes).toBe(0);
  });
});
