import { appendFile, readdir, readFile, readlink, writeFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CodexdEvent } from "../../schemas/events.js";
import { RUN_STATUSES, type RunRecord, type RunStatus } from "../../schemas/runs.js";
import { SESSION_STATUSES, type SessionRecord, type SessionStatus } from "../../schemas/sessions.js";
import { pageJson, pageOfJson } from "../../src/http/json-page.js";
import { byCreation, CreationOrder, paginate } from "../../src/paginate.js";
import { EventLog } from "../../src/state/event-log.js";
import { StateStore } from "../../src/state/store.js";
import { tempState, type TempState } from "../helpers/temp-config.js";

/** A deterministic pseudo-random sequence, so a failure names a case that can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

const temps: TempState[] = [];
const stores: StateStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const t of temps.splice(0)) await t.cleanup();
});

async function openStore(env: Record<string, string>, temp?: TempState): Promise<{ store: StateStore; temp: TempState }> {
  const t = temp ?? (await tempState(env));
  if (!temp) temps.push(t);
  const store = new StateStore(t.config);
  stores.push(store);
  await store.initialize();
  return { store, temp: t };
}

describe("list pages in creation order", () => {
  interface Item {
    id: string;
    createdAt: string;
    status: string;
  }
  const order = byCreation<Item>((i) => i.id, true);

  /** Every page of a walk with the sorting reference and with the kept order must be the same. */
  function walkBoth(items: Map<string, Item>, kept: CreationOrder<Item>, newestFirst: boolean, limit: number, keep?: (i: Item) => boolean) {
    const all = [...items.values()].filter((i) => !keep || keep(i));
    let cursor: string | undefined;
    const seen: string[] = [];
    for (let guard = 0; guard < 1000; guard++) {
      const expected = paginate(all, { ...order, newestFirst }, limit, cursor);
      const got = kept.page(newestFirst, limit, cursor, keep);
      expect(got.page.map((i) => i.id)).toEqual(expected.page.map((i) => i.id));
      expect(got.nextCursor).toEqual(expected.nextCursor);
      seen.push(...got.page.map((i) => i.id));
      if (got.nextCursor === null) break;
      cursor = got.nextCursor;
    }
    expect(seen.sort()).toEqual(all.map((i) => i.id).sort());
  }

  it("pages exactly like sorting every record, through inserts out of order, ties, replacements and removals", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = random(seed);
      const items = new Map<string, Item>();
      const kept = new CreationOrder<Item>((i) => i.id);
      for (let step = 0; step < 300; step++) {
        const r = rnd();
        const ids = [...items.keys()];
        if (r < 0.55 || ids.length === 0) {
          // Mostly in time order, sometimes earlier, sometimes the same millisecond.
          const t = 1_000_000 + step * 10 - (rnd() < 0.2 ? Math.floor(rnd() * 500) : 0) - (rnd() < 0.2 ? 10 : 0);
          const item = { id: `i${Math.floor(rnd() * 1e6)}`, createdAt: new Date(t).toISOString(), status: rnd() < 0.5 ? "a" : "b" };
          kept.set(item, items.get(item.id));
          items.set(item.id, item);
        } else if (r < 0.85) {
          const old = items.get(ids[Math.floor(rnd() * ids.length)]!)!;
          // A replacement keeps its creation time, or (rarely) has another.
          const next = { ...old, status: old.status === "a" ? "b" : "a", ...(rnd() < 0.1 ? { createdAt: new Date(900_000 + step).toISOString() } : {}) };
          kept.set(next, old);
          items.set(next.id, next);
        } else {
          const old = items.get(ids[Math.floor(rnd() * ids.length)]!)!;
          kept.delete(old);
          items.delete(old.id);
        }
        if (step % 37 === 0) {
          for (const newestFirst of [true, false]) {
            walkBoth(items, kept, newestFirst, 1 + Math.floor(rnd() * 7));
            walkBoth(items, kept, newestFirst, 3, (i) => i.status === "a");
          }
        }
      }
      expect(kept.size).toBe(items.size);
    }
  });

  it("continues after a cursor whose record has left the list", () => {
    const kept = new CreationOrder<Item>((i) => i.id);
    const items = ["a", "b", "c", "d", "e"].map((id, n) => ({ id, createdAt: new Date(1000 + n).toISOString(), status: "x" }));
    for (const i of items) kept.set(i);
    const first = kept.page(true, 2);
    expect(first.page.map((i) => i.id)).toEqual(["e", "d"]);
    kept.delete(items[3]!);
    const next = kept.page(true, 2, first.nextCursor!);
    expect(next.page.map((i) => i.id)).toEqual(["c", "b"]);
  });
});

describe("status counts kept on write", () => {
  const recount = <K extends string>(keys: readonly K[], records: Iterable<{ status: string }>) => {
    const out = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
    for (const r of records) out[r.status as K]++;
    return out;
  };
  const expectCounts = (store: StateStore) => {
    expect(store.runStatusCounts(RUN_STATUSES)).toEqual(recount(RUN_STATUSES, store.listRuns()));
    expect(store.sessionStatusCounts(SESSION_STATUSES)).toEqual(recount(SESSION_STATUSES, store.listSessions()));
  };

  it("equal a recount after every kind of change: create, status change, close, archive, retention drop, reopen", async () => {
    const { store, temp } = await openStore({ CODEXD_RUN_RETENTION: "5", CODEXD_SESSION_RETENTION: "4" });
    const rnd = random(7);
    const runStatuses: RunStatus[] = [...RUN_STATUSES];
    const sessionStatuses: SessionStatus[] = [...SESSION_STATUSES];
    const now = () => new Date().toISOString();
    for (let step = 0; step < 120; step++) {
      const n = Math.floor(rnd() * 15);
      const status = runStatuses[Math.floor(rnd() * runStatuses.length)]!;
      const existingRun = store.listRuns().find((r) => r.runId === `r${n}`);
      const run: RunRecord = { ...(existingRun ?? { runId: `r${n}`, createdAt: now() }), status, updatedAt: now() } as RunRecord;
      await store.upsertRun(run);
      expectCounts(store);
      const s = Math.floor(rnd() * 12);
      const existing = store.getSession(`s${s}`);
      if (existing && rnd() < 0.3) await store.closeSession(existing.sessionId);
      else {
        const sessionStatus = sessionStatuses[Math.floor(rnd() * sessionStatuses.length)]!;
        const session: SessionRecord = { ...(existing ?? { sessionId: `s${s}`, createdAt: now(), currentTurnId: null }), status: sessionStatus, updatedAt: now() } as SessionRecord;
        await store.upsertSession(session);
      }
      expectCounts(store);
    }
    expect(store.archivedRunCount).toBeGreaterThan(0);
    await store.close();
    const reopened = await openStore({}, temp);
    expectCounts(reopened.store);
  });
});

describe("event pages read from the log", () => {
  /** The reference: every event of every file, oldest first, read in full. */
  async function fullScan(path: string): Promise<CodexdEvent[]> {
    const dir = join(path, "..");
    const base = path.split("/").at(-1)!;
    const names = (await readdir(dir)).filter((f) => f === base || /^\d+$/.test(f.slice(base.length + 1)) && f.startsWith(`${base}.`));
    names.sort((a, b) => (b === base ? -1 : a === base ? 1 : Number(b.slice(base.length + 1)) - Number(a.slice(base.length + 1))));
    const out: CodexdEvent[] = [];
    for (const name of names) {
      for (const line of (await readFile(join(dir, name), "utf8")).split("\n")) {
        try {
          const e = JSON.parse(line) as CodexdEvent;
          if (Number.isInteger(e?.seq)) out.push(e);
        } catch {
          // not an event
        }
      }
    }
    return out;
  }

  it("answers every cursor exactly as a full scan does, across rotated files and lines longer than a probe", async () => {
    const temp = await tempState();
    temps.push(temp);
    const path = join(temp.dir, "events.jsonl");
    const log = new EventLog({ path, maxBytes: 200_000, keepFiles: 3, readCacheBytes: 1024 * 1024 });
    await log.open();
    const rnd = random(3);
    let seq = 0;
    for (let batch = 0; batch < 60; batch++) {
      let text = "";
      for (let i = 0; i < 20; i++) {
        seq++;
        // Mostly small events, some over 16 KiB (the bisect's probe size).
        const size = rnd() < 0.05 ? 20_000 + Math.floor(rnd() * 30_000) : Math.floor(rnd() * 400);
        const event = { seq, createdAt: new Date(seq).toISOString(), level: seq % 7 === 0 ? "warn" : "info", type: seq % 3 === 0 ? "run.queued" : "x.y", message: "m", detail: { pad: "é".repeat(size) }, runId: `r${seq % 5}` };
        text += `${JSON.stringify(event)}\n`;
      }
      await log.append(text);
      if (batch % 6 === 5) {
        // Between appends and across rotations: the points learned so far must never mislead.
        const now = await fullScan(path);
        for (let k = 0; k < 10; k++) {
          const after = now[0]!.seq - 1 + Math.floor(rnd() * (now.length + 1));
          expect((await log.readAfter(after, 5, () => true)).map((e) => e.seq), `after ${after} at batch ${batch}`).toEqual(now.filter((e) => e.seq > after).slice(0, 5).map((e) => e.seq));
        }
      }
    }
    const all = await fullScan(path);
    expect((await log.files()).length).toBe(4);
    expect(all[0]!.seq).toBe(log.oldestSeq);
    const cursors = [0, 1, all[0]!.seq - 2, all[0]!.seq - 1, all[0]!.seq, seq - 1, seq, seq + 5];
    for (let i = 0; i < 150; i++) cursors.push(all[0]!.seq + Math.floor(rnd() * all.length));
    for (const after of cursors) {
      for (const [limit, keep] of [
        [7, () => true],
        [3, (e: CodexdEvent) => e.type === "run.queued"],
        [50, (e: CodexdEvent) => e.level === "warn" && e.runId === "r2"],
      ] as const) {
        const expected = all.filter((e) => e.seq > after && keep(e)).slice(0, limit);
        const got = await log.readAfter(after, limit, keep);
        expect(got.map((e) => e.seq), `after ${after}`).toEqual(expected.map((e) => e.seq));
        expect(got).toEqual(expected);
      }
      // The same page as text, up to a seq that may cut it short: the lines as written.
      const through = after + 1 + Math.floor(rnd() * 8);
      const lines = all.filter((e) => e.seq > after && e.seq <= through).slice(0, 7);
      expect(await log.readJsonAfter(after, 7, through), `text after ${after}`).toEqual(lines.map((e) => ({ seq: e.seq, json: JSON.stringify(e) })));
    }
    await log.close();
  });

  it("reads a page as text without parsing a line where nobody read lately, and as the text of the parsed events where the cache keeps them", async () => {
    const temp = await tempState();
    temps.push(temp);
    const path = join(temp.dir, "events.jsonl");
    const log = new EventLog({ path, maxBytes: 64 * 1024 * 1024, keepFiles: 2, readCacheBytes: 1024 * 1024 });
    await log.open();
    const written: string[] = [];
    for (let seq = 1; seq <= 5000; seq++) written.push(JSON.stringify({ seq, createdAt: new Date(seq).toISOString(), level: "info", type: "t", message: `m${seq}`, detail: { n: seq } }));
    await log.append(`${written.join("\n")}\n`);
    const expected = (after: number) => written.slice(after, after + 20).map((json, k) => ({ seq: after + 1 + k, json }));
    const parse = vi.spyOn(JSON, "parse");
    try {
      for (const after of [17, 1234, 4990, 2500]) expect(await log.readJsonAfter(after, 20, Infinity)).toEqual(expected(after));
      expect(parse).not.toHaveBeenCalled();
      // Read again from the same place (the cursor search settles on one as it learns the file),
      // its stretch is parsed once and kept; later reads take the kept text.
      for (let i = 0; i < 5 && parse.mock.calls.length === 0; i++) expect(await log.readJsonAfter(1234, 20, Infinity)).toEqual(expected(1234));
      expect(parse.mock.calls.length).toBeGreaterThan(20);
      parse.mockClear();
      expect(await log.readJsonAfter(1240, 20, Infinity)).toEqual(expected(1240));
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    await log.close();
  });

  it("keeps its read handles across reads, answers right while appends rotate the files under concurrent readers, and leaves no descriptor open after close", async () => {
    const temp = await tempState();
    temps.push(temp);
    const path = join(temp.dir, "events.jsonl");
    const openOnLog = async () => (await Promise.all((await readdir("/proc/self/fd")).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => "")))).filter((target) => target.startsWith(temp.dir)).length;
    const log = new EventLog({ path, maxBytes: 30_000, keepFiles: 3, readCacheBytes: 1024 * 1024 });
    await log.open();
    let seq = 0;
    const appendBatch = async () => {
      let text = "";
      for (let i = 0; i < 20; i++) text += `${JSON.stringify({ seq: ++seq, createdAt: new Date(seq).toISOString(), level: "info", type: "t", message: "m", detail: { pad: "x".repeat(200) } })}\n`;
      await log.append(text);
    };
    await appendBatch();
    // Idle reads reuse one set of handles: the count does not move from read to read.
    await log.readAfter(0, 5, () => true);
    const kept = await openOnLog();
    for (let i = 0; i < 20; i++) await log.readAfter(i, 5, () => true);
    expect(await openOnLog()).toBe(kept);
    // Readers in flight while batches rotate the files: each answer is a run of consecutive seqs
    // right after its cursor (or empty once the cursor's events were rotated away).
    const checks: Promise<void>[] = [];
    // The log takes one append at a time (the store serializes them); reads are not serialized.
    let appending = Promise.resolve();
    for (let batch = 0; batch < 40; batch++) {
      const last = seq;
      for (let k = 0; k < 4; k++) {
        const after = Math.max(0, last - 30 * k);
        checks.push(
          log.readAfter(after, 10, () => true).then((got) => {
            const seqs = got.map((e) => e.seq);
            if (seqs.length > 0) expect(seqs[0]).toBeGreaterThan(after);
            expect(seqs).toEqual(seqs.map((_, j) => seqs[0]! + j));
          }),
        );
      }
      appending = appending.then(appendBatch);
      checks.push(appending);
    }
    await Promise.all(checks);
    expect((await log.files()).length).toBe(4);
    const all = await fullScan(path);
    const after = all[0]!.seq + 3;
    expect((await log.readAfter(after, 5, () => true)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5].map((k) => after + k));
    // Old snapshots were closed as rotations retired them; the current set is one per file.
    expect(await openOnLog()).toBeLessThanOrEqual(1 + 4);
    await log.close();
    expect(await openOnLog()).toBe(0);
  });

  it("opens a log of more files than it keeps open per read, for concurrent readers, and keeps none open after", async () => {
    const temp = await tempState();
    temps.push(temp);
    const path = join(temp.dir, "events.jsonl");
    const openOnLog = async () => (await Promise.all((await readdir("/proc/self/fd")).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => "")))).filter((target) => target.startsWith(temp.dir)).length;
    const log = new EventLog({ path, maxBytes: 4096, keepFiles: 30, readCacheBytes: 0 });
    await log.open();
    let seq = 0;
    for (let batch = 0; batch < 25; batch++) {
      let text = "";
      for (let i = 0; i < 10; i++) text += `${JSON.stringify({ seq: ++seq, createdAt: new Date(seq).toISOString(), level: "info", type: "t", message: "m", detail: { pad: "x".repeat(400) } })}\n`;
      await log.append(text);
    }
    expect((await log.files()).length).toBeGreaterThan(16);
    const afters = Array.from({ length: 24 }, (_, k) => k * 10 + 3);
    const pages = await Promise.all(afters.map((after) => log.readAfter(after, 4, () => true)));
    expect(pages.map((page) => page.map((e) => e.seq))).toEqual(afters.map((after) => [1, 2, 3, 4].map((k) => after + k)));
    // Only the append handle stays open.
    expect(await openOnLog()).toBe(1);
    await log.close();
  });

  it("still answers right past a line that is not an event in the middle of a file", async () => {
    const temp = await tempState();
    temps.push(temp);
    const path = join(temp.dir, "events.jsonl");
    const lines: string[] = [];
    const events: string[] = [];
    for (let seq = 1; seq <= 3000; seq++) {
      const event = { seq, createdAt: new Date(seq).toISOString(), level: "info", type: "t", message: "m".repeat(seq % 50), detail: null };
      // Some events not written as the store writes them (seq not first): parsed, not cut by their first bytes.
      const { seq: _, ...rest } = event;
      events.push(JSON.stringify(seq % 300 === 7 ? { ...rest, seq } : event));
      lines.push(events.at(-1)!);
      if (seq % 500 === 0) {
        lines.push("not json at all", `{"seq":0,"type":"t"}`, `{"seq":99999999999999999,"type":"t"}`, `{"seq":${seq + 1},"torn":`);
        // Damage that still starts like a line the store wrote and ends in a brace: a line cut
        // after a nested object, a torn batch run into the next one, a seq with a leading zero.
        lines.push(`{"seq":${seq + 1},"detail":{"a":{"b":1}}`, `{"seq":${seq + 1},"message":"tor{"seq":${seq + 2},"type":"t","detail":null}`, `{"seq":0${seq + 1},"type":"t"}`);
      }
    }
    await writeFile(path, `${lines.join("\n")}\n`);
    // Without a read cache every read is a first read: text taken by its bytes, never parsed
    // unless it looks damaged. With one, the cache's parsed segments are read as well.
    for (const readCacheBytes of [0, 1024 * 1024]) {
      const log = new EventLog({ path, maxBytes: 64 * 1024 * 1024, keepFiles: 2, readCacheBytes });
      await log.open();
      for (const after of [0, 499, 500, 501, 1234, 1499, 1500, 2999, 3000]) {
        const seqs = [1, 2, 3, 4, 5].map((k) => after + k).filter((s) => s <= 3000);
        const got = await log.readAfter(after, 5, () => true);
        expect(got.map((e) => e.seq)).toEqual(seqs);
        for (let i = 0; i < 2; i++) expect(await log.readJsonAfter(after, 5, Infinity), `after ${after}`).toEqual(seqs.map((seq) => ({ seq, json: events[seq - 1] })));
      }
      await log.close();
    }
  });

  it("remembers where lines were found whole, below the durable size only, and reads the same pages again from that", async () => {
    const temp = await tempState();
    temps.push(temp);
    const path = join(temp.dir, "events.jsonl");
    const line = (seq: number) => JSON.stringify({ seq, createdAt: new Date(seq).toISOString(), level: "info", type: "t", message: "m".repeat(seq % 40), detail: { n: seq } });
    const lines = Array.from({ length: 400 }, (_, k) => line(k + 1));
    await writeFile(path, `${lines.join("\n")}\n`);
    const log = new EventLog({ path, maxBytes: 64 * 1024 * 1024, keepFiles: 2, readCacheBytes: 0 });
    await log.open();
    const internals = log as unknown as { size: number; checked: { rangesOf(file: number): { start: number; end: number }[] } };
    const durable = internals.size;
    // Lines past the durable size: on disk, not acknowledged (an append that may yet be cut off).
    await appendFile(path, `${line(401)}\n${line(402)}\n`);
    const page = (after: number) => Array.from({ length: 10 }, (_, k) => after + k + 1).filter((seq) => seq <= 402).map((seq) => ({ seq, json: line(seq) }));
    for (const after of [0, 150, 395]) expect(await log.readJsonAfter(after, 10, Infinity)).toEqual(page(after));
    const ranges = internals.checked.rangesOf(1);
    expect(ranges.length).toBeGreaterThan(0);
    expect(Math.max(...ranges.map((r) => r.end))).toBe(durable); // the page from 395 reached past it; nothing past it is kept
    // Read again, from kept ranges, the same pages; every cursor answers as a first read did.
    for (let after = 0; after <= 402; after += 13) expect(await log.readJsonAfter(after, 10, Infinity), `after ${after}`).toEqual(page(after));
    await log.close();
  });

  it("gives the same store pages from the cache and from disk, and the page JSON is the JSON of the page", async () => {
    const { store } = await openStore({ CODEXD_EVENT_CACHE_SIZE: "20", CODEXD_EVENT_LOG_MAX_BYTES: "20000" });
    await Promise.all(Array.from({ length: 300 }, (_, i) => store.recordEvent({ level: "info", type: i % 2 ? "a.b" : "c", message: `e${i}`, detail: { i } })));
    const last = store.lastSeq;
    const oldest = store.oldestEventSeq!;
    expect(oldest).toBeLessThan(last - 200);
    for (const after of [oldest - 1, last - 200, last - 25, last - 20, last - 5, last]) {
      const page = await store.queryEvents({ after, limit: 10 });
      expect(page.events.map((e) => e.seq)).toEqual(Array.from({ length: Math.min(10, last - after) }, (_, k) => after + 1 + k));
      const rest = { nextAfter: page.events.at(-1)?.seq ?? null, oldestSeq: page.oldestSeq, lastSeq: page.lastSeq };
      const text = pageJson("events", page.events, rest);
      expect(text).toBe(JSON.stringify({ events: page.events, ...rest }));
      const asText = await store.queryEventJson({ after, limit: 10 });
      expect(pageOfJson("events", asText.lines.map((l) => l.json), rest)).toBe(text);
    }
    // A detail over the limit is cut the same way in a page read as text from disk.
    const { store: limited } = await openStore({ CODEXD_EVENT_CACHE_SIZE: "5", CODEXD_EVENT_DETAIL_LIMIT_BYTES: "1024" });
    await limited.recordEvent({ level: "info", type: "big", message: "big", detail: { text: "y".repeat(5000) } });
    for (let i = 0; i < 10; i++) await limited.recordEvent({ level: "info", type: "small", message: `s${i}`, detail: { i } });
    const page = await limited.queryEvents({ after: 0, limit: 3 });
    expect(page.events[0]!.detail).toMatchObject({ text: expect.stringContaining("y") });
    expect(JSON.stringify(page.events[0]).length).toBeLessThan(2048);
    // Over the limit in bytes, not in characters: 600 "é" are 1,200 bytes in about 700 characters.
    await limited.recordEvent({ level: "info", type: "wide", message: "wide", detail: { text: "é".repeat(600) } });
    for (let i = 0; i < 10; i++) await limited.recordEvent({ level: "info", type: "small", message: `t${i}`, detail: { i } });
    const wide = (await limited.queryEvents({ type: "wide" })).events[0]!;
    expect(wide.detail).toMatchObject({ truncated: true });
    for (const query of [{ after: 0, limit: 3 }, { after: 0, limit: 3, type: "big" }, { after: wide.seq - 1, limit: 2 }]) {
      expect((await limited.queryEventJson(query)).lines.map((l) => l.json)).toEqual((await limited.queryEvents(query)).events.map((e) => JSON.stringify(e)));
    }
    expect((await limited.queryEventJson({ after: wide.seq - 1, limit: 1 })).lines[0]!.json).toBe(JSON.stringify(wide));
  });

  it("keeps the batch after one that failed and could not be cut off: its first event is not lost in the torn line", async () => {
    const temp = await tempState();
    temps.push(temp);
    const path = join(temp.dir, "events.jsonl");
    const log = new EventLog({ path, maxBytes: 64 * 1024 * 1024, keepFiles: 2, readCacheBytes: 0 });
    await log.open();
    const line = (seq: number) => JSON.stringify({ seq, createdAt: new Date(seq).toISOString(), level: "info", type: "t", message: `m${seq}`, detail: { n: seq } });
    const batch = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => `${line(from + k)}\n`).join("");
    await log.append(batch(1, 10));
    // The disk fills mid-write and the cut fails too: half of the batch stays in the file.
    const handle = (log as unknown as { handle: FileHandle }).handle;
    const { write, truncate } = handle;
    handle.write = (async (data: Buffer, offset: number, length: number) => {
      await (write as (b: Buffer, o: number, l: number) => Promise<unknown>).call(handle, data, offset, Math.floor(length / 2) + 7);
      throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
    }) as unknown as typeof handle.write;
    handle.truncate = (async () => {
      throw Object.assign(new Error("i/o error"), { code: "EIO" });
    }) as unknown as typeof handle.truncate;
    await expect(log.append(batch(11, 20))).rejects.toMatchObject({ code: "ENOSPC", partial: true });
    handle.write = write;
    handle.truncate = truncate;
    // The store never uses a torn batch's seqs again.
    await log.append(batch(21, 30));
    const expected = [...Array.from({ length: 10 }, (_, k) => 1 + k), ...(await fullScan(path)).map((e) => e.seq).filter((seq) => seq > 10 && seq < 21), ...Array.from({ length: 10 }, (_, k) => 21 + k)];
    expect((await log.readAfter(0, 100, () => true)).map((e) => e.seq)).toEqual(expected);
    expect(await log.readJsonAfter(0, 100, Infinity)).toEqual(expected.map((seq) => ({ seq, json: line(seq) })));
    expect(expected.slice(-10)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    // Cursors inside the batch after the torn one, and the writer's count of bytes is the file's again.
    for (const after of [21, 25, 29]) expect((await log.readJsonAfter(after, 2, Infinity)).map((l) => l.seq)).toEqual([after + 1, after + 2].filter((seq) => seq <= 30));
    await log.append(batch(31, 31));
    expect((log as unknown as { size: number }).size).toBe((await readFile(path)).length);
    await log.close();
  });
});

describe("the daemon's uptime", () => {
  it("does not go back, nor below zero, when the wall clock is set back", { timeout: 120_000 }, async () => {
    const { startInProcessDaemon } = await import("../helpers/in-process-daemon.js");
    const { statusBody } = await import("../../src/status-view.js");
    const d = await startInProcessDaemon();
    try {
      const uptime = () => JSON.parse(statusBody(d.daemon).toString("utf8")).daemon.uptimeMs as number;
      const before = uptime();
      const wall = Date.now();
      const clock = vi.spyOn(Date, "now").mockReturnValue(wall - 3_600_000);
      try {
        expect(uptime()).toBeGreaterThanOrEqual(before);
        expect(d.daemon.uptimeMs).toBeGreaterThanOrEqual(before);
      } finally {
        clock.mockRestore();
      }
    } finally {
      await d.close();
    }
  });
});

describe("GET /v1/status from kept parts", () => {
  it("is the status object, with counts that follow every write", { timeout: 120_000 }, async () => {
    const { startInProcessDaemon } = await import("../helpers/in-process-daemon.js");
    const { buildStatus, statusBody } = await import("../../src/status-view.js");
    // A node id not in ASCII: the text before the uptime is longer in bytes than in characters.
    const d = await startInProcessDaemon({ CODEXD_TOKEN: "secret-token-value-123", CODEXD_NODE_ID: "nœud-進捗-🚀" });
    try {
      const { store } = d.daemon;
      const same = () => {
        const fromParts = JSON.parse(statusBody(d.daemon).toString("utf8"));
        const object = JSON.parse(JSON.stringify(buildStatus(d.daemon)));
        delete fromParts.daemon.uptimeMs;
        delete object.daemon.uptimeMs;
        expect(fromParts).toEqual(object);
        expect(JSON.stringify(fromParts)).not.toContain("secret-token-value-123");
        return fromParts;
      };
      const recount = (records: Array<{ status: string }>) => {
        const out: Record<string, number> = {};
        for (const r of records) out[r.status] = (out[r.status] ?? 0) + 1;
        return out;
      };
      const countsFollow = () => {
        const counts = same().counts;
        expect(counts.runs).toMatchObject(recount(store.listRuns()));
        expect(counts.sessions).toMatchObject(recount(store.listSessions()));
        return counts;
      };
      countsFollow();
      const now = new Date().toISOString();
      // Terminal statuses only: a queued run would be picked up by the executor meanwhile.
      await store.upsertRun({ runId: "r1", status: "cancelled", createdAt: now, updatedAt: now });
      await store.upsertSession({ sessionId: "s1", status: "failed", currentTurnId: null, updatedAt: now, createdAt: now });
      expect(countsFollow()).toMatchObject({ runs: { cancelled: 1 }, sessions: { failed: 1 } });
      await store.upsertRun({ runId: "r1", status: "completed", createdAt: now, updatedAt: now });
      await store.closeSession("s1");
      expect(countsFollow()).toMatchObject({ runs: { cancelled: 0, completed: 1 }, sessions: { failed: 0, closed: 1 } });

      // The text kept between reads: the clock moves in it, and every other part follows its state.
      const clock = vi.spyOn(performance, "now");
      try {
        const at = performance.now();
        clock.mockReturnValue(at);
        const first = JSON.parse(statusBody(d.daemon).toString("utf8")).daemon.uptimeMs as number;
        clock.mockReturnValue(at + 5_000);
        const polled = statusBody(d.daemon);
        expect(JSON.parse(polled.toString("utf8")).daemon.uptimeMs).toBe(first + 5_000);
        // Polls within one millisecond share a body, until the state changes within it.
        expect(statusBody(d.daemon)).toBe(polled);
        await store.updateChildState({ lastError: "changed within the millisecond" });
        const changed = statusBody(d.daemon);
        expect(changed).not.toBe(polled);
        expect(same().child.lastError).toBe("changed within the millisecond");
        expect(JSON.parse(polled.toString("utf8")).child.lastError).not.toBe("changed within the millisecond");
        // A body already handed out stays as it was when the clock moves on.
        const sent = Buffer.from(changed);
        clock.mockReturnValue(at + 5_001);
        expect(JSON.parse(statusBody(d.daemon).toString("utf8")).daemon.uptimeMs).toBe(first + 5_001);
        expect(changed.equals(sent)).toBe(true);
      } finally {
        clock.mockRestore();
      }
      // Not ASCII after the uptime too: the kept bytes are UTF-8.
      await store.updateChildState({ lastError: "kept bytes must not hide this: café, 進捗, 🚀" });
      expect(same().child.lastError).toBe("kept bytes must not hide this: café, 進捗, 🚀");
      const account = { request: async () => ({ account: { type: "apiKey", planType: "pro" }, requiresOpenaiAuth: true }) };
      await d.daemon.child.account.refresh(account as never, 1_000);
      expect(same().codex.account).toMatchObject({ signedIn: true, authMode: "apiKey", planType: "pro" });
      const signedOut = { request: async () => ({ account: null, requiresOpenaiAuth: true }) };
      await d.daemon.child.account.refresh(signedOut as never, 1_000);
      const notSignedIn = same();
      expect(notSignedIn.codex.account.signedIn).toBe(false);
      expect(notSignedIn.daemon.notReadyReasons).toContain("codex is not signed in");
      const lastSeq = notSignedIn.events.lastSeq as number;
      await store.recordEvent({ level: "info", type: "test.note", message: "one more event" });
      expect(same().events.lastSeq).toBeGreaterThan(lastSeq);
      // The event log's rotation failing, then working again, with nothing else changed (set here as the log sets it).
      const log = (store as unknown as { eventLog: EventLog }).eventLog;
      log.rotationFault = Object.freeze({ cause: "EACCES", reason: "EACCES: permission denied, rename", since: now });
      expect(same().events.rotation).toEqual({ status: "failing", cause: "EACCES", reason: "EACCES: permission denied, rename", since: now });
      log.rotationFault = null;
      expect(same().events.rotation).toEqual({ status: "ok", cause: null, reason: null, since: null });
      await d.daemon.stop("status after stop");
      expect(same().daemon.ready).toBe(false);
    } finally {
      await d.close();
    }
  });
});
