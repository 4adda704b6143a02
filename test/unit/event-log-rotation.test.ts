/**
 * A rotation that fails after a batch is durable: the batch stays acknowledged, the live file
 * stays the one appended to, the failure is reported once, and the next append tries again.
 * The obstacle is a real one: a directory where the newest rotated file must go.
 */
import { mkdir, rm, stat, writeFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EventLog, type EventLogOptions } from "../../src/state/event-log.js";
import { StateStore } from "../../src/state/store.js";
import { eventLines as batch, seqRange } from "../helpers/event-lines.js";
import { tempState, type TempState } from "../helpers/temp-config.js";

const temps: TempState[] = [];
afterEach(async () => {
  for (const t of temps.splice(0)) await t.cleanup();
});

/**
 * A non-empty directory where the live file is renamed to at rotation: the rename fails (EISDIR),
 * and the directory is not taken for a rotated file of the log either.
 */
async function blockRotation(path: string): Promise<void> {
  await mkdir(`${path}.1`);
  await writeFile(join(`${path}.1`, "keep"), "x");
}

/** An open log in a new state dir, its rotation failures collected; `before` runs before it opens. */
async function openLog(options: Omit<EventLogOptions, "path" | "readCacheBytes">, before?: (path: string) => Promise<void>) {
  const temp = await tempState();
  temps.push(temp);
  const path = join(temp.dir, "events.jsonl");
  const failures: NodeJS.ErrnoException[] = [];
  const recoveries: number[] = [];
  await before?.(path);
  const log = new EventLog({ path, readCacheBytes: 1024 * 1024, onRotationFailed: (error) => failures.push(error), onRotationRecovered: () => recoveries.push(failures.length), ...options });
  await log.open();
  return { log, path, failures, recoveries };
}

describe("event log rotation that fails", () => {
  it("keeps the durable batch acknowledged and the live file in use, reports once per streak, and rotates once it can", async () => {
    const { log, path, failures } = await openLog({ maxBytes: 10_000, keepFiles: 1, rotationRetryMs: 0 });
    await blockRotation(path);

    await expect(log.append(batch(1, 50))).resolves.toBeUndefined();
    expect(failures.map((e) => e.code)).toEqual(["EISDIR"]);
    // Still appending to the same live file, and every event reads back.
    await expect(log.append(batch(51, 10))).resolves.toBeUndefined();
    expect(failures).toHaveLength(1);
    expect((await stat(path)).size).toBeGreaterThan(10_000);
    expect((await log.readAfter(0, 100, () => true)).map((e) => e.seq)).toEqual(seqRange(1, 60));
    expect(log.oldestSeq).toBe(1);

    // The obstacle gone, the next append rotates: the old events move to .1, the new start the live file.
    await rm(`${path}.1`, { recursive: true });
    await expect(log.append(batch(61, 5))).resolves.toBeUndefined();
    expect(await log.files()).toEqual([`${path}.1`, path]);
    expect((await stat(path)).size).toBe(0);
    expect((await log.readAfter(55, 100, () => true)).map((e) => e.seq)).toEqual([56, 57, 58, 59, 60, 61, 62, 63, 64, 65]);
    await log.append(batch(66, 1));
    expect((await log.readAfter(64, 100, () => true)).map((e) => e.seq)).toEqual([65, 66]);
    // After a rotation that worked, a new failure is reported again (events 1-65 go with the file).
    await rm(`${path}.1`);
    await blockRotation(path);
    await expect(log.append(batch(67, 50))).resolves.toBeUndefined();
    expect(failures.map((e) => e.code)).toEqual(["EISDIR", "EISDIR"]);
    expect((await log.readAfter(0, 100, () => true)).map((e) => e.seq)).toEqual(seqRange(66, 116));
    await log.close();
  });
});

describe("a rotation failure whose report throws", () => {
  it("still acknowledges the batch", async () => {
    const onRotationFailed = () => {
      throw new Error("the report failed");
    };
    const { log, path } = await openLog({ maxBytes: 4_096, keepFiles: 1, onRotationFailed });
    await blockRotation(path);
    await expect(log.append(batch(1, 20))).resolves.toBeUndefined();
    expect((await log.readAfter(0, 100, () => true)).map((e) => e.seq)).toEqual(seqRange(1, 20));
    await log.close();
  });
});

describe("rotation tried again after a failure", () => {
  it("waits its retry interval: appends in between write to the live file and try nothing", async () => {
    const { log, path, failures } = await openLog({ maxBytes: 4_096, keepFiles: 2, rotationRetryMs: 3_600_000 });
    await blockRotation(path);
    await log.append(batch(1, 20));
    // The obstacle gone, but within the interval: no attempt, so no rotation yet.
    await rm(`${path}.1`, { recursive: true });
    await log.append(batch(21, 20));
    expect(failures).toHaveLength(1);
    expect(await log.files()).toEqual([path]);
    expect((await log.readAfter(0, 100, () => true)).map((e) => e.seq)).toEqual(seqRange(1, 40));
    await log.close();
  });
});

describe("the rotation's fault, for the status", () => {
  it("names the failure and since when while the live file stays in use past its size, and clears once a rotation works", async () => {
    const { log, path, recoveries } = await openLog({ maxBytes: 10_000, keepFiles: 1, rotationRetryMs: 0 });
    expect(log.rotationFault).toBeNull();
    await blockRotation(path);
    const before = Date.now();
    await log.append(batch(1, 50));
    const fault = log.rotationFault;
    expect(fault).toMatchObject({ cause: "EISDIR", reason: expect.stringContaining("EISDIR") });
    expect(Date.parse(fault!.since)).toBeGreaterThanOrEqual(before - 1);
    // The same streak: the same fault, since its first failure.
    await log.append(batch(51, 10));
    expect(log.rotationFault).toBe(fault);
    expect(recoveries).toEqual([]);

    await rm(`${path}.1`, { recursive: true });
    await log.append(batch(61, 5));
    expect(log.rotationFault).toBeNull();
    expect(recoveries).toEqual([1]);
    await log.append(batch(66, 1));
    expect(recoveries).toEqual([1]);

    // A second streak: a fault of its own, since its own first failure.
    await rm(`${path}.1`);
    await blockRotation(path);
    const again = Date.now();
    await log.append(batch(67, 80));
    expect(log.rotationFault).not.toBe(fault);
    expect(log.rotationFault).toMatchObject({ cause: "EISDIR" });
    expect(Date.parse(log.rotationFault!.since)).toBeGreaterThanOrEqual(again - 1);
    await log.close();
  });
});

describe("the retry interval's clock", () => {
  it("is the monotonic one: a wall clock set back does not postpone the next attempt", async () => {
    const { log, path, failures } = await openLog({ maxBytes: 4_096, keepFiles: 2, rotationRetryMs: 1_000 });
    await blockRotation(path);
    await log.append(batch(1, 20));
    expect(failures).toHaveLength(1);
    await rm(`${path}.1`, { recursive: true });
    // Two seconds pass, while the wall clock is set back an hour (by hand, or by NTP).
    const monotonic = performance.now();
    const wall = Date.now();
    const clocks = [vi.spyOn(performance, "now").mockReturnValue(monotonic + 2_000), vi.spyOn(Date, "now").mockReturnValue(wall - 3_600_000)];
    try {
      await log.append(batch(21, 20));
    } finally {
      for (const clock of clocks) clock.mockRestore();
    }
    expect(await log.files()).toEqual([`${path}.1`, path]);
    expect((await log.readAfter(0, 100, () => true)).map((e) => e.seq)).toEqual(seqRange(1, 40));
    await log.close();
  });
});

describe("readers across a rotation that failed", () => {
  /** What the test reaches inside the log: a reader's lease and the append handle's sync. */
  interface Inside {
    reads: { acquire: () => Promise<{ handles: FileHandle[]; generation: number; release: () => Promise<void> }> };
    handle: FileHandle & { datasync: () => Promise<void> };
  }

  it("a reader holding files listed before it still takes the live file as live: bytes not yet durable are never kept", async () => {
    const { log, path } = await openLog({ maxBytes: 2_000, keepFiles: 1, rotationRetryMs: 0 });
    const inside = log as unknown as Inside;
    await blockRotation(path);
    await log.append(batch(1, 10, "m"));
    const lease = await inside.reads.acquire();
    // Another failed rotation: the files were listed again, the live file is the same.
    await log.append(batch(11, 2, "m"));
    // An append written but not yet synced; its sync then fails, so it is cut off.
    const handle = inside.handle;
    const sync = handle.datasync.bind(handle);
    let failSync!: () => void;
    handle.datasync = () => new Promise((_, reject) => (failSync = () => reject(Object.assign(new Error("EIO: i/o error"), { code: "EIO" }))));
    const lost = log.append(batch(13, 3, "LOST"));
    await vi.waitUntil(() => failSync !== undefined);
    // The reader of the earlier listing reads the live file now (what a page read does).
    const reader = log as unknown as { readAndKeep: (place: object) => Promise<unknown> };
    await reader.readAndKeep({ handles: lease.handles, i: lease.handles.length - 1, generation: lease.generation, first: 1, at: 0 });
    failSync();
    await expect(lost).rejects.toThrow("EIO");
    handle.datasync = sync;
    await lease.release();
    // The same seqs written again: every read gives the new ones.
    await log.append(batch(13, 3, "REAL"));
    const events = await log.readAfter(0, 100, () => true);
    expect(events.map((e) => `${e.seq}:${e.message}`).slice(-4)).toEqual(["12:m", "13:REAL", "14:REAL", "15:REAL"]);
    await log.close();
  });
});

describe("event log rotation retried after a failure", () => {
  it("moves no rotated file again and removes none while it keeps failing", async () => {
    // Rotated files as an earlier daemon left them: events 1-20 in .3, 21-40 in .2; .1 is free.
    const { log, path, failures } = await openLog({ maxBytes: 10_000, keepFiles: 3, rotationRetryMs: 0 }, async (path) => {
      await writeFile(`${path}.3`, batch(1, 20));
      await writeFile(`${path}.2`, batch(21, 20));
    });
    await blockRotation(path);
    // Three appends past the size, three failed rotations: nothing older is lost.
    for (let i = 0; i < 3; i++) await log.append(batch(41 + i * 50, 50));
    expect(failures).toHaveLength(1);
    expect((await log.readAfter(0, 500, () => true)).map((e) => e.seq)).toEqual(seqRange(1, 190));
    expect(log.oldestSeq).toBe(1);
    // Once it can, the rotation fills the free place: nothing moves up, nothing is dropped.
    await rm(`${path}.1`, { recursive: true });
    await log.append(batch(191, 1));
    expect(await log.files()).toEqual([`${path}.3`, `${path}.2`, `${path}.1`, path]);
    expect((await log.readAfter(0, 500, () => true)).map((e) => e.seq)).toEqual(seqRange(1, 191));
    // The next rotation is a plain one again: the oldest file goes.
    await log.append(batch(192, 50));
    expect(await log.files()).toEqual([`${path}.3`, `${path}.2`, `${path}.1`, path]);
    expect(log.oldestSeq).toBe(21);
    await log.close();
  });
});

describe("a store whose event log cannot rotate", () => {
  it("acknowledges every event it wrote, stays writable, and says so once", async () => {
    const temp = await tempState({ CODEXD_EVENT_LOG_MAX_BYTES: "4096", CODEXD_EVENT_LOG_KEEP_FILES: "1" });
    temps.push(temp);
    const failures: string[] = [];
    const store = new StateStore(temp.config, { onEventLogRotationFailed: (error) => failures.push(error.code ?? "?") });
    await store.initialize();
    const path = temp.config.paths.structuredEventLogPath;
    await blockRotation(path);
    const recorded = [];
    for (let i = 0; i < 40; i++) recorded.push(await store.recordEvent({ level: "info", type: "test.note", message: `note ${i} ${"y".repeat(200)}` }));
    expect(failures).toEqual(["EISDIR"]);
    expect(store.storageFault).toBeNull();
    expect((await stat(path)).size).toBeGreaterThan(4096);
    const { events } = await store.queryEvents({ after: recorded[0]!.seq - 1, limit: 100, type: "test.note" });
    expect(events.map((e) => e.seq)).toEqual(recorded.map((e) => e.seq));
    await store.close();
  });
});
