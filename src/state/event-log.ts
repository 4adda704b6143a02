import { open, readdir, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { CodexdEvent } from "../../schemas/events.js";
import { FILE_MODE, fsyncDir, writeFileAtomic } from "./durable-fs.js";
import { findValidEnd } from "./jsonl-repair.js";
import { SnapshotCache } from "./log-snapshot.js";
import { CheckedRanges } from "./checked-ranges.js";
import { frozenSegment, lineSeq, parseEvent, readLogLines, readSegment, SegmentCache, type LogLine, type PartialRead, type Segment } from "./log-segments.js";
import { jsonOf } from "./record-json.js";

export interface EventLogOptions {
  path: string;
  maxBytes: number;
  keepFiles: number;
  /** Budget of the parsed-segment cache, in bytes of the file read (0: none kept). */
  readCacheBytes: number;
  /**
   * A rotation failed (the first of a streak; reported again after one that works). The batch
   * before it is durable and acknowledged. `stuck`: the live file stays in use, past its size,
   * and a later append retries; otherwise the files had moved and a step after that failed.
   */
  onRotationFailed?: (error: NodeJS.ErrnoException, stuck: boolean) => void;
  /** Rotations work again after failures that kept the live file in use past its size. */
  onRotationRecovered?: () => void;
  /** How long after a failed rotation the next one is tried (default 1 s). */
  rotationRetryMs?: number;
}

/** Why the live file stays in use past its size: the rotation that failed first, and when. */
export interface RotationFault {
  /** errno code of the failure, e.g. EACCES, ENOSPC; null when it had none. */
  readonly cause: string | null;
  readonly reason: string;
  /** RFC 3339, UTC. */
  readonly since: string;
}

export interface TailRepair {
  file: string;
  cutBytes: number;
  /** Where the cut bytes were kept when they held complete lines (records that failed validation). */
  movedTo: string | null;
}

/**
 * The structured event log: one JSON event per line, appended in batches with one write and
 * one fdatasync per batch, rotated by size into `<name>.1` (newest) .. `<name>.<keep>`.
 */
export class EventLog {
  private handle: FileHandle | null = null;
  private size = 0;
  /** The last append failed and could not be cut off: part of it may end the file. */
  private tornTail = false;
  /** The last rotation failed: the live file is past its size and appends try again (spaced out). */
  private rotationFailing = false;
  /** When a rotation that failed is tried again at the earliest (performance.now() ms). */
  private rotationRetryAt = 0;
  /** While rotations fail and the live file stays in use past its size: why, since when (frozen; a new object on each change). */
  rotationFault: RotationFault | null = null;
  /**
   * The generation from which the live file is the one appended to now: a snapshot of an earlier
   * generation holds it as a rotated file. Moves only when the live file changes (a rotation that
   * failed before that leaves it as it was, though the generation moved on).
   */
  private liveSince = 0;
  /** The live file moved away and no new one could be opened: the next append opens it. */
  private liveMissing = false;
  /** Seq of the oldest event still on disk (live or rotated), kept current across rotations. */
  oldestSeq: number | null = null;
  /** Bumped when a change of files starts and when it ends (odd during it), so a reader can tell its list of files is not a consistent one. */
  private generation = 0;
  /** The change of files under way (or the last one): readers listing during it wait for it. */
  private filesChange: Promise<void> = Promise.resolve();
  /** Seq of the live file's first event (null while it is empty). */
  private liveFirstSeq: number | null = null;
  /**
   * Known (seq, offset of its line) points per file, keyed by the file's first seq, which stays
   * the same when rotation renames the file. Appends add one point per PROBE bytes; each cursor
   * search adds the points it probed. In memory only: a fresh start learns them again.
   */
  private readonly points = new Map<number, SeqPoints>();
  /** First seq of each file of a snapshot, by its place in the list; valid for one generation. */
  private firstSeqs: { generation: number; seqs: Map<number, number | null> } = { generation: -1, seqs: new Map() };

  /** Read handles kept open between reads while no rotation happens. */
  private readonly reads = new SnapshotCache(
    () => this.openSnapshotOf(),
    () => this.generation,
  );

  /** Parsed stretches of the files, shared by readers catching up from about the same place. */
  private readonly segments: SegmentCache;
  /** Where lines read as text were found whole: each stretch is checked once, not at every read. */
  private readonly checked = new CheckedRanges();

  constructor(private readonly options: EventLogOptions) {
    this.segments = new SegmentCache(options.readCacheBytes);
  }

  /** Open for appending; cut a torn or NUL-filled tail back to the last complete record. */
  async open(): Promise<{ lastSeq: number; repair: TailRepair | null }> {
    this.handle = await open(this.options.path, "a+", FILE_MODE);
    const { size } = await this.handle.stat();
    const found = await findValidEnd(this.handle, size, eventSeq);
    let repair: TailRepair | null = null;
    if (found.end < size) {
      const movedTo = await this.keepCutLines(found.end, size);
      await this.handle.truncate(found.end);
      await this.handle.datasync();
      repair = { file: this.options.path, cutBytes: size - found.end, movedTo };
    }
    this.size = found.end;
    this.liveFirstSeq = found.end > 0 ? await firstSeq(this.handle) : null;
    let lastSeq = found.last ?? 0;
    if (lastSeq === 0) lastSeq = await this.lastSeqOfRotated();
    this.oldestSeq = await this.findOldestSeq();
    return { lastSeq, repair };
  }

  /**
   * A torn last line is what a crash leaves: cut, nothing to keep. Complete lines in the cut part
   * are records that failed validation (a seq that is not a safe integer, a garbled record):
   * kept in `<name>.corrupt-<ts>` for inspection.
   */
  private async keepCutLines(end: number, size: number): Promise<string | null> {
    const cut = Buffer.alloc(size - end);
    await this.handle!.read(cut, 0, cut.length, end);
    const lastNl = cut.lastIndexOf(0x0a);
    if (lastNl <= 0 || cut.subarray(0, lastNl).toString("utf8").replace(/\0/g, "").trim() === "") return null;
    const movedTo = `${this.options.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    await writeFileAtomic(movedTo, cut, false);
    return movedTo;
  }

  /** Append pre-serialized lines (each ending in "\n") durably. */
  async append(text: string): Promise<void> {
    if (this.liveMissing) await this.openMissingLive();
    const handle = this.requireOpen();
    // After a batch that could not be cut off, a newline first: its torn last line stays a line
    // of its own (left out by readers) instead of running into this batch's first.
    const torn = this.tornTail;
    const data = Buffer.from(torn ? `\n${text}` : text, "utf8");
    const before = this.size;
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written);
        written += bytesWritten;
      }
      await handle.datasync();
      // After a torn batch the writer's count missed its bytes: the file says how long it is.
      this.size = torn ? (await handle.stat()).size : this.size + data.length;
      this.tornTail = false;
      this.oldestSeq ??= firstSeqIn(text);
      const first = firstSeqIn(text);
      if (first !== null) {
        this.liveFirstSeq ??= first;
        const points = this.pointsOf(this.liveFirstSeq);
        // After a torn batch `before` was short of where this batch starts: no point from it.
        if (!torn && (points.lastOffset === null || before - points.lastOffset >= PROBE)) points.add(first, before);
      }
    } catch (error) {
      // Leave no partial batch behind: the records were not acknowledged. When even that fails,
      // say so: part of the batch may be on disk, and its seqs must not be used again.
      const cut = await handle.truncate(before).then(
        () => true,
        () => false,
      );
      if (!cut) this.tornTail = true;
      if (!cut && error && typeof error === "object") Object.assign(error, { partial: true });
      throw error;
    }
    if (this.size >= this.options.maxBytes) await this.rotateAfterAppend();
  }

  /**
   * Rotate, never failing the append it follows: that batch is durable whatever happens here.
   * After a failure the next attempt waits `rotationRetryMs` (each attempt lists and reopens the files).
   */
  private async rotateAfterAppend(): Promise<void> {
    // The monotonic clock: a wall clock set back would postpone the retry by as much.
    if (this.rotationFailing && performance.now() < this.rotationRetryAt) return;
    const liveBefore = this.liveSince;
    try {
      await this.rotate();
      this.rotationFailing = false;
    } catch (error) {
      const failure = error as NodeJS.ErrnoException;
      // Failing only after the live file moved (closing, syncing the directory) is reported, but
      // nothing is left to retry.
      const stuck = this.liveSince === liveBefore;
      const firstOfStreak = !this.rotationFailing;
      this.rotationFailing = stuck;
      this.rotationRetryAt = performance.now() + (this.options.rotationRetryMs ?? RETRY_ROTATION_MS);
      if (stuck && !this.rotationFault) this.rotationFault = Object.freeze({ cause: failure.code ?? null, reason: failure.message, since: new Date().toISOString() });
      if (firstOfStreak) report(() => this.options.onRotationFailed?.(failure, stuck));
    }
    if (!this.rotationFailing && this.rotationFault) {
      this.rotationFault = null;
      report(() => this.options.onRotationRecovered?.());
    }
  }

  /**
   * A new live file after a rotation moved the old one away but could not open its successor.
   * Like a rotation, readers wait while the file appears and list the files again after it.
   */
  private async openMissingLive(): Promise<void> {
    await this.changeFiles(async () => {
      const handle = await open(this.options.path, "a+", FILE_MODE);
      try {
        const size = (await handle.stat()).size;
        this.liveFirstSeq = size > 0 ? await firstSeq(handle) : null;
        this.size = size;
        this.handle = handle;
        this.liveMissing = false;
        this.liveFileChanged();
      } catch (error) {
        await handle.close().catch(() => {});
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.reads.close();
    await this.handle?.close();
    this.handle = null;
    this.liveMissing = false;
  }

  /** Files oldest first, the live file last. */
  async files(): Promise<string[]> {
    const dir = dirname(this.options.path);
    const name = basename(this.options.path);
    // Only files: a directory that happens to carry a rotated file's name is not part of the log.
    const rotated = (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map(({ name: f }) => ({ f, n: rotationIndex(name, f) }))
      .filter((x): x is { f: string; n: number } => x.n !== null)
      .sort((a, b) => b.n - a.n)
      .map((x) => join(dir, x.f));
    return [...rotated, this.options.path];
  }

  private async findOldestSeq(): Promise<number | null> {
    const handles = await this.openSnapshot();
    try {
      for (const handle of handles) {
        const seq = await firstSeq(handle);
        if (seq !== null) return seq;
      }
      return null;
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  }

  /**
   * Open every file, oldest first, as one consistent set: a rotation between listing and opening
   * renames files under our feet, so then list and open again. Open handles survive later renames.
   */
  private async openSnapshot(): Promise<FileHandle[]> {
    return (await this.openSnapshotOf()).handles;
  }

  /** The files, and the generation in which they were the consistent set. */
  private async openSnapshotOf(): Promise<{ handles: FileHandle[]; generation: number }> {
    for (;;) {
      if (this.generation % 2 === 1) await this.filesChange.catch(() => {});
      const generation = this.generation;
      const files = await this.files();
      const handles = (await Promise.all(files.map((f) => open(f, "r").catch(() => null)))).filter((h): h is FileHandle => h !== null);
      if (generation === this.generation) return { handles, generation };
      await Promise.all(handles.map((h) => h.close()));
    }
  }

  /**
   * Events with seq in (after, through], in order, up to limit, that pass the filter. Seqs grow
   * along the files, so the cursor is found by bisecting byte offsets (about log2(size / 16 KiB)
   * small reads per file) instead of reading from the start: the cost of a page does not grow
   * with history. `through` (the durable seq) also ends the walk: nothing past it is read.
   */
  readAfter(after: number, limit: number, keep: (e: CodexdEvent) => boolean, through = Infinity): Promise<CodexdEvent[]> {
    return this.collect(after, limit, through, keep, async (place, part) => {
      const segment = await this.segmentAt(place, part);
      return segment && { end: segment.end, items: segment.events };
    });
  }

  /**
   * The JSON lines of the events with seq in (after, through], in order, up to limit: what
   * `readAfter` reads without a filter, as text. A place no reader asked for lately is not parsed
   * at all (the text is what a page sends); a kept segment gives the text its events were parsed from.
   */
  readJsonAfter(after: number, limit: number, through: number): Promise<LogLine[]> {
    return this.collect(after, limit, through, () => true, async (place, part) => {
      const kept = this.segments.covering(place.first, place.at) ?? (this.segments.admit(place.first, place.at) ? await this.readAndKeep(place) : undefined);
      if (kept === undefined) {
        const checked = { ranges: this.checked, file: place.first, durableEnd: this.durableEndOf(place) };
        const read = await readLogLines(place.handles[place.i]!, place.at, READ_CHUNK, this.segments.nextStart(place.first, place.at), part, checked);
        return read && { end: read.end, items: read.lines };
      }
      return kept && { end: kept.end, items: textOf(kept.events, part) };
    });
  }

  /**
   * The walk both reads share: from the file holding the cursor, one stretch of lines after
   * another (`read`), each item taken while its seq is above what was seen, until `limit` are in
   * or a seq is past `through`.
   */
  private async collect<T extends { readonly seq: number }>(
    after: number,
    limit: number,
    through: number,
    keep: (item: T) => boolean,
    read: (place: Place, part: PartialRead) => Promise<{ end: number; items: readonly T[] } | null>,
  ): Promise<T[]> {
    const lease = await this.reads.acquire();
    const { handles, generation } = lease;
    try {
      const out: T[] = [];
      let seen = after;
      let start = 0;
      // Skip whole files that end before the cursor: the newest file starting at or before after+1 holds it.
      for (let i = handles.length - 1; i > 0; i--) {
        const first = await this.firstSeqOf(handles, i, generation);
        if (first !== null && first <= after + 1) {
          start = i;
          break;
        }
      }
      for (let i = start; i < handles.length; i++) {
        const first = await this.firstSeqOf(handles, i, generation);
        if (first === null) continue;
        let at = i === start ? await offsetAfter(handles[i]!, after, this.pointsOf(first), await this.sizeOf(handles, i, generation)) : 0;
        for (;;) {
          const stretch = await read({ handles, i, generation, first, at }, { skipThrough: seen, maxEvents: limit - out.length });
          if (stretch === null) break;
          // A kept segment may start before `at`: its lines before `at` were read already or are
          // at or before the cursor. Seqs grow along a file, so those are the ones not above `seen`.
          for (const item of stretch.items) {
            if (item.seq <= seen) continue;
            if (item.seq > through) return out;
            seen = item.seq;
            if (!keep(item)) continue;
            out.push(item);
            if (out.length >= limit) return out;
          }
          at = stretch.end;
        }
      }
      return out;
    } finally {
      await lease.release();
    }
  }

  /**
   * The lines of a file of a snapshot from the line starting at `at`: a kept segment holding
   * that line; else, on a first read from there, what `part` asks for; else read whole and kept.
   */
  private async segmentAt(place: Place, part: PartialRead): Promise<Segment | null> {
    const kept = this.segments.covering(place.first, place.at);
    if (kept) return kept;
    if (this.segments.admit(place.first, place.at)) return this.readAndKeep(place);
    // A first read from here: only the lines this reader needs, parsed for it alone.
    return (await readSegment(place.handles[place.i]!, place.at, READ_CHUNK, this.segments.nextStart(place.first, place.at), part))?.segment ?? null;
  }

  /**
   * The lines from `at` read and parsed whole, and kept when their bytes can no longer change: a
   * rotated file's, or the live file's below the durable size (an append that fails is cut off,
   * and its seqs are written again).
   */
  private async readAndKeep(place: Place): Promise<Segment | null> {
    const { handles, i, first, at } = place;
    const live = this.isLive(place);
    const durableEnd = this.durableEndOf(place);
    const read = await readSegment(handles[i]!, at, READ_CHUNK, this.segments.nextStart(first, at));
    if (read === null) return null;
    const { segment, final } = read;
    // A short read at the live file's end is not kept: the next one from `at` reads further.
    if ((final || !live) && segment.end <= durableEnd) this.segments.set(first, frozenSegment(segment));
    return segment;
  }

  /** Whether a file of a snapshot is the one appends still go to. */
  private isLive({ handles, i, generation }: Pick<Place, "handles" | "i" | "generation">): boolean {
    return i === handles.length - 1 && generation >= this.liveSince && !this.liveMissing;
  }

  /** Up to where a file of a snapshot can no longer change: the live file's durable size; all of a rotated one. */
  private durableEndOf(place: Place): number {
    return this.isLive(place) ? this.size : Infinity;
  }

  /** The newest `count` events across the live and rotated files, oldest first. Reads backwards. */
  async readTail(count: number): Promise<CodexdEvent[]> {
    const lease = await this.reads.acquire();
    const { handles } = lease;
    try {
      let collected: CodexdEvent[] = [];
      for (let i = handles.length - 1; i >= 0 && collected.length < count; i--) {
        collected = [...(await readLastEvents(handles[i]!, count - collected.length)), ...collected];
      }
      return collected;
    } finally {
      await lease.release();
    }
  }

  private async rotate(): Promise<void> {
    const changes = { liveMoved: false, dropped: false };
    try {
      await this.changeFiles(() => this.renameFiles(changes));
    } finally {
      // After a failure only when a file went: otherwise what the log holds is as it was.
      if (changes.liveMoved || changes.dropped) await this.forgetBeforeOldest();
    }
  }

  /**
   * Rename, remove or create files of the log while readers wait: the generation is odd during
   * the change, and a listing made before it is not taken for a current one after.
   */
  private async changeFiles(change: () => Promise<void>): Promise<void> {
    this.generation++;
    this.filesChange = change();
    try {
      await this.filesChange;
    } finally {
      this.generation++;
    }
  }

  /** Inside a change: from its end on, the live file is another one (listings before take the old one as rotated). */
  private liveFileChanged(): void {
    this.liveSince = this.generation + 1;
  }

  private async forgetBeforeOldest(): Promise<void> {
    this.oldestSeq = await this.findOldestSeq();
    // Points of files rotation dropped are of no more use.
    for (const first of this.points.keys()) if (this.oldestSeq === null || first < this.oldestSeq) this.points.delete(first);
    this.segments.dropBefore(this.oldestSeq);
    this.checked.dropBefore(this.oldestSeq);
  }

  /**
   * Bytes of the i-th file of a snapshot: the live file's are the writer's own count while no
   * rotation has happened since; a rotated file never changes, so its size is asked once.
   */
  private async sizeOf(handles: readonly FileHandle[], i: number, generation: number): Promise<number> {
    const handle = handles[i]!;
    if (this.isLive({ handles, i, generation })) return this.size;
    if (i === handles.length - 1) return (await handle.stat()).size;
    let size = rotatedSizes.get(handle);
    if (size === undefined) rotatedSizes.set(handle, (size = (await handle.stat()).size));
    return size;
  }

  private pointsOf(first: number): SeqPoints {
    let points = this.points.get(first);
    if (!points) this.points.set(first, (points = new SeqPoints()));
    return points;
  }

  /**
   * First seq of the i-th file of a snapshot taken in `generation`: known (the live file) or
   * remembered while no rotation has happened since; else read from the file itself.
   */
  private async firstSeqOf(handles: readonly FileHandle[], i: number, generation: number): Promise<number | null> {
    if (generation !== this.generation) return firstSeq(handles[i]!);
    if (this.isLive({ handles, i, generation })) return this.liveFirstSeq;
    if (i === handles.length - 1) return firstSeq(handles[i]!);
    if (this.firstSeqs.generation !== generation) this.firstSeqs = { generation, seqs: new Map() };
    const known = this.firstSeqs.seqs.get(i);
    if (known !== undefined) return known;
    const seq = await firstSeq(handles[i]!);
    if (this.firstSeqs.generation === generation && generation === this.generation) this.firstSeqs.seqs.set(i, seq);
    return seq;
  }

  /**
   * Shift the rotated files up, then the live file to `.1`, and open a new live file. The live
   * file's handle stays open until its successor is: a failure before that leaves it the file
   * appended to (a rotated file may have moved or gone; their order holds).
   */
  private async renameFiles(changes: { liveMoved: boolean; dropped: boolean }): Promise<void> {
    const { path, keepFiles } = this.options;
    const rotated = (await this.files()).slice(0, -1).map((file) => ({ file, n: rotationIndex(basename(path), basename(file))! }));
    // Make room at `.1`: only the files from `.1` up to the first free number move up one. After
    // a rotation that failed past this step `.1` is free already, so a retry moves and drops nothing.
    const taken = new Set(rotated.map(({ n }) => n));
    let free = 1;
    while (taken.has(free)) free++;
    // Oldest first, so that `.n` has moved to `.n+1` before `.n-1` takes its name.
    for (const { file, n } of rotated) {
      const to = n < free ? n + 1 : n;
      if (to > keepFiles) changes.dropped = (await unlink(file).then(() => true, () => false)) || changes.dropped;
      else if (to !== n) await rename(file, `${path}.${to}`);
    }
    const moved = keepFiles > 0 ? `${path}.1` : null;
    if (moved) await rename(path, moved);
    else await unlink(path);
    let next: FileHandle;
    try {
      next = await open(path, "a+", FILE_MODE);
    } catch (error) {
      // Put the live file back; when that cannot be done, appends would go to a rotated or an
      // unlinked file: the next append opens a new live file instead.
      const back = moved ? await rename(moved, path).then(() => true, () => false) : false;
      if (!back) {
        changes.liveMoved = true;
        this.liveFileChanged();
        this.dropLiveHandle();
      }
      throw error;
    }
    const previous = this.handle;
    this.handle = next;
    this.size = 0;
    this.liveFirstSeq = null;
    changes.liveMoved = true;
    this.liveFileChanged();
    await previous?.close().catch(() => {});
    await fsyncDir(dirname(path));
  }

  /** No live file to append to (it moved and could not be put back): the next append opens one. */
  private dropLiveHandle(): void {
    void this.handle?.close().catch(() => {});
    this.handle = null;
    this.size = 0;
    this.liveFirstSeq = null;
    this.liveMissing = true;
  }

  private async lastSeqOfRotated(): Promise<number> {
    const files = (await this.files()).slice(0, -1);
    const newest = files.at(-1);
    if (!newest) return 0;
    const handle = await open(newest, "r");
    try {
      return (await findValidEnd(handle, (await handle.stat()).size, eventSeq)).last ?? 0;
    } finally {
      await handle.close();
    }
  }

  private requireOpen(): FileHandle {
    if (!this.handle) throw new Error("event log is not open");
    return this.handle;
  }
}

function rotationIndex(base: string, file: string): number | null {
  if (!file.startsWith(`${base}.`)) return null;
  const rest = file.slice(base.length + 1);
  return /^[1-9]\d*$/.test(rest) ? Number(rest) : null;
}

function firstSeqIn(text: string): number | null {
  return eventSeq(text.slice(0, text.indexOf("\n")));
}

function eventSeq(line: string): number | null {
  return parseEvent(line)?.seq ?? null;
}

/** Where a read is in a snapshot of the files: the i-th file (first seq `first`), at a line start. */
interface Place {
  readonly handles: readonly FileHandle[];
  readonly i: number;
  readonly generation: number;
  readonly first: number;
  readonly at: number;
}

const READ_CHUNK = 64 * 1024;

/** The text of a kept segment's events a reader takes: after its cursor, as many as it wants. */
function textOf(events: readonly CodexdEvent[], part: PartialRead): LogLine[] {
  const lines: LogLine[] = [];
  for (const event of events) {
    if (event.seq <= part.skipThrough) continue;
    lines.push({ seq: event.seq, json: jsonOf(event) });
    if (lines.length >= part.maxEvents) break;
  }
  return lines;
}

const PROBE = 16 * 1024;
/** How long after a failed rotation the next one is tried. */
const RETRY_ROTATION_MS = 1_000;

/** Sizes of rotated files, by read handle: such a file is never written again. */
const rotatedSizes = new WeakMap<FileHandle, number>();

async function readLastEvents(handle: FileHandle, count: number): Promise<CodexdEvent[]> {
  let pos = (await handle.stat()).size;
  let carry = Buffer.alloc(0);
  const events: CodexdEvent[] = [];
  while (pos > 0 && events.length < count) {
    const start = Math.max(0, pos - 64 * 1024);
    const chunk = Buffer.alloc(pos - start);
    await handle.read(chunk, 0, chunk.length, start);
    pos = start;
    const buf = Buffer.concat([chunk, carry]);
    // The bytes before the first newline may be a partial line (cut mid-character even) unless
    // this chunk starts the file: keep them as bytes for the next round.
    const cut = pos > 0 ? buf.indexOf(0x0a) + 1 : 0;
    if (pos > 0 && cut === 0) {
      carry = buf;
      continue;
    }
    carry = buf.subarray(0, cut);
    const lines = buf.subarray(cut).toString("utf8").split("\n");
    for (let j = lines.length - 1; j >= 0 && events.length < count; j--) {
      const event = parseEvent(lines[j]!);
      if (event) events.push(event);
    }
  }
  return events.reverse();
}

/** The seq of a file's first event (its first line, unless that is not an event), or null when it holds none. */
async function firstSeq(handle: FileHandle): Promise<number | null> {
  for (let at = 0; ; ) {
    const read = await readSegment(handle, at, PROBE);
    if (read === null) return null;
    const first = read.segment.events[0];
    if (first) return first.seq;
    at = read.segment.end;
  }
}

/**
 * The offset of a line start at or before the first line with seq > after: every line before it
 * has seq <= after. Binary search over byte offsets; a line that does not parse ends the search
 * early (the caller's scan from the returned offset skips what is not after the cursor).
 */
export async function offsetAfter(handle: FileHandle, after: number, points?: SeqPoints, size?: number): Promise<number> {
  let lo = 0;
  let hi = size ?? (await handle.stat()).size;
  if (points) ({ lo, hi } = points.bounds(after, lo, hi));
  while (hi - lo > PROBE) {
    const line = await lineFrom(handle, lo + Math.floor((hi - lo) / 2), hi);
    if (line === null) break;
    const seq = lineSeq(line.text);
    if (seq === null) break;
    points?.add(seq, line.start);
    if (seq <= after) lo = line.end;
    else hi = line.start;
  }
  return lo;
}

/** The first complete line starting at or after `pos` and before `limit`: its text and where it starts and ends (after its newline). */
async function lineFrom(handle: FileHandle, pos: number, limit: number): Promise<{ text: string; start: number; end: number } | null> {
  // Read from pos - 1: if that byte is a newline, a line starts exactly at pos.
  let at = pos - 1;
  let buf = Buffer.alloc(0);
  let start = -1;
  const chunk = Buffer.alloc(PROBE);
  for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, at + buf.length);
    if (bytesRead === 0) return null;
    buf = Buffer.concat([buf, chunk.subarray(0, bytesRead)]);
    if (start < 0) {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) {
        if (at + buf.length >= limit) return null;
        at += buf.length;
        buf = Buffer.alloc(0);
        continue;
      }
      start = nl + 1;
      if (at + start >= limit) return null;
    }
    const end = buf.indexOf(0x0a, start);
    if (end >= 0) return { text: buf.toString("utf8", start, end), start: at + start, end: at + end + 1 };
  }
}


/** Known line starts of one file, sorted by seq: they narrow a cursor search before any read. */
export class SeqPoints {
  private readonly seqs: number[] = [];
  private readonly offsets: number[] = [];

  get lastOffset(): number | null {
    return this.offsets.at(-1) ?? null;
  }

  add(seq: number, offset: number): void {
    let at = this.seqs.length;
    if (at > 0 && this.seqs[at - 1]! >= seq) at = this.indexAbove(seq - 1);
    if (this.seqs[at] === seq) return;
    this.seqs.splice(at, 0, seq);
    this.offsets.splice(at, 0, offset);
  }

  /** Narrow [lo, hi]: from the line of the last known seq <= after to the line of the first known seq > after. */
  bounds(after: number, lo: number, hi: number): { lo: number; hi: number } {
    const above = this.indexAbove(after);
    if (above > 0) lo = Math.max(lo, this.offsets[above - 1]!);
    if (above < this.seqs.length) hi = Math.min(hi, this.offsets[above]!);
    return { lo, hi };
  }

  /** Index of the first seq > after. */
  private indexAbove(after: number): number {
    let lo = 0;
    let hi = this.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Tell a listener of the rotation: one that throws must not take back the durable batch. */
function report(call: () => void): void {
  try {
    call();
  } catch {
    // nothing to do: the batch is durable whatever a listener does
  }
}
