/**
 * A rotation that moved the live file and then could neither open its successor nor move it
 * back: the batch stays acknowledged, the moved file reads as a rotated one, and the next append
 * opens a new live file (readers wait while it appears). The two failures no real obstacle can
 * produce one after the other are injected into node:fs/promises.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { eventLines as batch, seqRange as seqs } from "../helpers/event-lines.js";

const faults = vi.hoisted(() => ({ openForAppend: false, moveBack: false, heldStat: null as null | Promise<void> }));
vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  const errno = (code: string, what: string) => Object.assign(new Error(`${code}: ${what}`), { code });
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      if (args[1] === "a+" && faults.openForAppend) throw errno("EMFILE", "too many open files, open");
      const handle = await real.open(...args);
      const held = faults.heldStat;
      if (args[1] === "a+" && held) {
        faults.heldStat = null;
        const stat = handle.stat.bind(handle);
        handle.stat = (async (...a: Parameters<typeof stat>) => (await held, stat(...a))) as typeof handle.stat;
      }
      return handle;
    },
    rename: async (from: string, to: string) => {
      if (faults.moveBack && from.endsWith(".1") && !to.endsWith(".2")) throw errno("EIO", "i/o error, rename");
      return real.rename(from, to);
    },
  };
});
const { EventLog } = await import("../../src/state/event-log.js");

const dirs: string[] = [];
afterEach(async () => {
  Object.assign(faults, { openForAppend: false, moveBack: false, heldStat: null });
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A log whose first rotation moved the live file to .1 and left no live file. */
async function logWithoutLiveFile() {
  const dir = await mkdtemp(join(tmpdir(), "codexd-live-missing-"));
  dirs.push(dir);
  const path = join(dir, "events.jsonl");
  const failures: (NodeJS.ErrnoException & { stuck?: boolean })[] = [];
  const log = new EventLog({ path, maxBytes: 2_000, keepFiles: 2, readCacheBytes: 1024 * 1024, rotationRetryMs: 0, onRotationFailed: (error, stuck) => failures.push(Object.assign(error, { stuck })) });
  await log.open();
  Object.assign(faults, { openForAppend: true, moveBack: true });
  await expect(log.append(batch(1, 10))).resolves.toBeUndefined();
  Object.assign(faults, { openForAppend: false, moveBack: false });
  return { log, path, failures };
}

describe("event log without a live file after a failed rotation", () => {
  it("keeps the batch, reads the moved file as rotated, and opens a new live file at the next append", async () => {
    const { log, path, failures } = await logWithoutLiveFile();
    // The files moved: the failure is not a live file stuck past its size, and no fault stays for the status.
    expect(failures.map((e) => [e.code, e.stuck])).toEqual([["EMFILE", false]]);
    expect(log.rotationFault).toBeNull();
    expect(await log.files()).toEqual([`${path}.1`, path]);
    expect(log.oldestSeq).toBe(1);
    expect((await log.readAfter(4, 100, () => true)).map((e) => e.seq)).toEqual(seqs(5, 10));
    expect((await log.readTail(3)).map((e) => e.seq)).toEqual([8, 9, 10]);
    await log.append(batch(11, 2));
    expect((await log.readAfter(0, 100, () => true)).map((e) => e.seq)).toEqual(seqs(1, 12));
    expect((await log.readAfter(10, 100, () => true)).map((e) => e.seq)).toEqual([11, 12]);
    await log.close();
  });

  it("makes a read asked while the new live file appears wait for it, then answer from both files", async () => {
    const { log } = await logWithoutLiveFile();
    let release!: () => void;
    faults.heldStat = new Promise<void>((resolve) => (release = resolve));
    const appending = log.append(batch(11, 3));
    await vi.waitUntil(() => faults.heldStat === null);
    let answered: number[] | null = null;
    const reading = log.readAfter(8, 100, () => true).then((events) => (answered = events.map((e) => e.seq)));
    for (let turn = 0; turn < 100; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBeNull();
    release();
    await appending;
    await reading;
    // Listed once the new file was there: the old live file as rotated, then the new one.
    expect(answered!.slice(0, 2)).toEqual([9, 10]);
    expect((await log.readAfter(8, 100, () => true)).map((e) => e.seq)).toEqual(seqs(9, 13));
    await log.close();
  });
});
