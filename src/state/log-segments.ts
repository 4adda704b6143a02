import type { FileHandle } from "node:fs/promises";
import type { CodexdEvent } from "../../schemas/events.js";
import type { CheckedRanges } from "./checked-ranges.js";
import { deepFreeze } from "./deep-freeze.js";
import { jsonOf, rememberJson } from "./record-json.js";

/** The complete lines of one stretch of an event-log file, parsed: `start` is a line start, `end` follows the last newline. */
export interface Segment {
  readonly start: number;
  readonly end: number;
  readonly events: readonly CodexdEvent[];
}

interface Entry {
  readonly file: number;
  readonly segment: Segment;
}

/**
 * Parsed stretches of event-log files that no longer change, by file and byte range, kept
 * within a budget of the bytes they were read from; the least recently used go first. Readers
 * catching up from about the same place (a consumer paging behind the live tail, streams
 * replaying after a reconnect) then share one read and one `JSON.parse` per line instead of
 * each doing both. A file is named by its first seq, which rotation's renames do not change.
 * A file's segments do not overlap: a read is cut where the next kept segment starts. A place is
 * kept from its second read on (`admit`).
 */
export class SegmentCache {
  /** Per file, its segments in offset order. */
  private readonly files = new Map<number, Entry[]>();
  /** Every entry in use order: a Set iterates in insertion order, and a hit is moved to the end. */
  private readonly used = new Set<Entry>();
  private bytes = 0;
  /** Places read once lately and not kept, oldest first; a second read from one keeps what it reads. */
  private readonly seen = new Set<string>();
  private readonly maxSeen: number;

  constructor(
    private readonly maxBytes: number,
    segmentBytes = 64 * 1024,
  ) {
    // About as many places as the budget holds segments: a place read again within that many
    // other first reads is worth keeping.
    this.maxSeen = maxBytes > 0 ? Math.max(16, Math.floor(maxBytes / segmentBytes)) : 0;
  }

  /**
   * Whether a read from this place should be parsed whole and kept: only when the same place was
   * read a little earlier. A reader passing through once (cursors all over the log) then parses
   * only the lines it needs and does not push out what readers catching up together share.
   */
  admit(file: number, at: number): boolean {
    if (this.maxSeen === 0) return false;
    const key = `${file}:${at}`;
    if (this.seen.delete(key)) return true;
    this.seen.add(key);
    if (this.seen.size > this.maxSeen) this.seen.delete(this.seen.values().next().value!);
    return false;
  }

  /** The kept segment holding the line that starts at `at`. */
  covering(file: number, at: number): Segment | undefined {
    const entries = this.files.get(file);
    if (!entries) return undefined;
    const entry = entries[lastStartingAtOrBefore(entries, at)];
    if (!entry || entry.segment.end <= at) return undefined;
    this.used.delete(entry);
    this.used.add(entry);
    return entry.segment;
  }

  /** Where the first kept segment after `at` starts: a read from `at` need not go past it. */
  nextStart(file: number, at: number): number {
    const entries = this.files.get(file);
    const next = entries?.[lastStartingAtOrBefore(entries, at) + 1];
    return next ? next.segment.start : Infinity;
  }

  /** Keep a segment that overlaps no kept one; its events must be frozen (every reader gets them). */
  set(file: number, segment: Segment): void {
    const bytes = segment.end - segment.start;
    if (bytes > this.maxBytes || bytes === 0) return;
    let entries = this.files.get(file);
    if (!entries) this.files.set(file, (entries = []));
    const at = lastStartingAtOrBefore(entries, segment.start) + 1;
    const before = entries[at - 1];
    const after = entries[at];
    if ((before && before.segment.end > segment.start) || (after && after.segment.start < segment.end)) return;
    const entry = { file, segment };
    entries.splice(at, 0, entry);
    this.used.add(entry);
    this.bytes += bytes;
    for (const oldest of this.used) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(oldest);
    }
  }

  /** Forget the segments of files whose first seq is below `oldestSeq` (rotation removed them). */
  dropBefore(oldestSeq: number | null): void {
    for (const [file, entries] of this.files) if (oldestSeq === null || file < oldestSeq) for (const entry of [...entries]) this.remove(entry);
  }

  /** Bytes of the file stretches held (what the budget counts). */
  get heldBytes(): number {
    return this.bytes;
  }

  private remove(entry: Entry): void {
    const entries = this.files.get(entry.file)!;
    entries.splice(entries.indexOf(entry), 1);
    if (entries.length === 0) this.files.delete(entry.file);
    this.used.delete(entry);
    this.bytes -= entry.segment.end - entry.segment.start;
  }
}

/** Index of the last entry starting at or before `at` (-1 when none does). */
function lastStartingAtOrBefore(entries: readonly Entry[], at: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.segment.start <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * The complete lines from `start` (a line start): one read of `chunkBytes` (or up to `stopAt`),
 * more while no line ends in it, parsed; lines that are not events are left out. Null at the end of the file (or
 * when only a partial line follows). `final`: the read did not reach the end of the file (more
 * lines follow, so a later read from `start` would end in the same place). With `part`, only what
 * one reader needs: lines up to the cursor are passed over unparsed and the parse stops once
 * `maxEvents` are in (`end` then follows the last line parsed); such a segment is not for keeping.
 */
export async function readSegment(handle: FileHandle, start: number, chunkBytes: number, stopAt = Infinity, part?: PartialRead): Promise<{ segment: Segment; final: boolean } | null> {
  const chunk = await readLines(handle, start, chunkBytes, stopAt);
  if (chunk === null) return null;
  const { buf, lastNl, eof } = chunk;
  const events: CodexdEvent[] = [];
  let lineStart = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0 && nl <= lastNl; nl = buf.indexOf(0x0a, lineStart)) {
    const known = part ? seqPrefix(buf, lineStart, nl) : null;
    const event = known !== null && known <= part!.skipThrough ? null : parseEvent(buf.toString("utf8", lineStart, nl));
    lineStart = nl + 1;
    if (event) events.push(event);
    if (part && events.length >= part.maxEvents) return { segment: { start, end: start + lineStart, events }, final: true };
  }
  return { segment: { start, end: start + lastNl + 1, events }, final: !eof };
}

/** One line of the log as its seq and its JSON text, not parsed. */
export interface LogLine {
  readonly seq: number;
  readonly json: string;
}

/**
 * Where a read of lines as text takes place, for remembering which lines were found whole: the
 * file (its first seq), the ranges known so far, and the durable end (bytes past it may change).
 */
export interface CheckedPlace {
  readonly ranges: CheckedRanges;
  readonly file: number;
  readonly durableEnd: number;
}

/**
 * What `readSegment` with `part` reads, as the lines' text instead of parsed events: the seq
 * comes from the line's first bytes (`{"seq":N,`, as the store writes every line), so a page
 * that is sent as it was stored costs no `JSON.parse`. A line of another shape is parsed (and
 * left out when it is not an event), as `readSegment` does. With `checked`, a line inside a
 * range already found whole is not passed over again, and the lines found whole are added.
 */
export async function readLogLines(handle: FileHandle, start: number, chunkBytes: number, stopAt: number, part: PartialRead, checked?: CheckedPlace): Promise<{ end: number; lines: LogLine[] } | null> {
  const chunk = await readLines(handle, start, chunkBytes, stopAt);
  if (chunk === null) return null;
  const { buf, lastNl } = chunk;
  const lines: LogLine[] = [];
  // Lines before this offset lie in a range found whole; looked up again past its end.
  let knownUntil = start;
  // The lines found whole one after another since the last that was not: [runStart, runEnd).
  let runStart = -1;
  let runEnd = -1;
  const endRun = () => {
    if (checked && runStart >= 0) checked.ranges.add(checked.file, runStart, Math.min(runEnd, checked.durableEnd));
    runStart = -1;
  };
  let lineStart = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0 && nl <= lastNl; nl = buf.indexOf(0x0a, lineStart)) {
    const from = lineStart;
    lineStart = nl + 1;
    let seq = seqPrefix(buf, from, nl);
    if (seq !== null && seq <= part.skipThrough) {
      endRun();
      continue;
    }
    if (checked && start + from >= knownUntil) knownUntil = checked.ranges.checkedUntil(checked.file, start + from);
    let json: string;
    if (seq !== null && seq >= 1 && Number.isSafeInteger(seq) && (start + lineStart <= knownUntil || isWholeObject(buf, from, nl))) {
      json = buf.toString("utf8", from, nl);
      if (runStart < 0) runStart = start + from;
      runEnd = start + lineStart;
    } else {
      endRun();
      const event = parseEvent(buf.toString("utf8", from, nl));
      if (!event || event.seq <= part.skipThrough) continue;
      ({ seq } = event);
      json = jsonOf(event);
    }
    lines.push({ seq, json });
    if (lines.length >= part.maxEvents) {
      endRun();
      return { end: start + lineStart, lines };
    }
  }
  endRun();
  return { end: start + lastNl + 1, lines };
}

/**
 * One read from `start` (a line start) of `chunkBytes` (or up to `stopAt`), more while no line
 * ends in it: the bytes, where the last complete line ends, and whether the end of the file was
 * reached. Null at the end of the file (or when only a partial line follows).
 */
async function readLines(handle: FileHandle, start: number, chunkBytes: number, stopAt: number): Promise<{ buf: Buffer; lastNl: number; eof: boolean } | null> {
  // Unzeroed: only the bytes the reads fill are looked at. `stopAt` is a line start, so a read
  // cut there ends on a newline.
  let buf = Buffer.allocUnsafe(Math.max(1, Math.min(chunkBytes, stopAt - start)));
  let filled = 0;
  let lastNl = -1;
  let eof = false;
  while (lastNl < 0 && !eof) {
    if (filled === buf.length) {
      const grown = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(grown, 0, 0, filled);
      buf = grown;
    }
    const { bytesRead } = await handle.read(buf, filled, buf.length - filled, start + filled);
    const from = filled;
    filled += bytesRead;
    // A positional read of a regular file comes back short only at its end.
    eof = filled < buf.length;
    lastNl = filled > from ? buf.lastIndexOf(0x0a, filled - 1) : -1;
  }
  return lastNl < 0 ? null : { buf, lastNl, eof };
}

export interface PartialRead {
  /** Lines whose seq is at most this are passed over without parsing. */
  skipThrough: number;
  /** Stop once this many events are parsed. */
  maxEvents: number;
}

const SEQ_PREFIX = Buffer.from('{"seq":');

/**
 * The seq of a line the store wrote (`{"seq":<digits>,...`) read from its bytes, without parsing
 * the line; null for any other shape (a leading zero included: that is not JSON).
 */
function seqPrefix(buf: Buffer, start: number, end: number): number | null {
  if (end - start < SEQ_PREFIX.length + 2 || buf.compare(SEQ_PREFIX, 0, SEQ_PREFIX.length, start, start + SEQ_PREFIX.length) !== 0) return null;
  if (buf[start + SEQ_PREFIX.length] === 0x30) return null;
  let seq = 0;
  for (let i = start + SEQ_PREFIX.length; i < end && i < start + SEQ_PREFIX.length + 16; i++) {
    const byte = buf[i]!;
    if (byte === 0x2c) return seq;
    if (byte < 0x30 || byte > 0x39) return null;
    seq = seq * 10 + (byte - 0x30);
  }
  return null;
}

/**
 * Whether the bytes from `start` to `end` are one whole JSON object as far as its quotes and
 * brackets tell: the outermost bracket closes on the last byte and every string ends. Not a full
 * parse; it catches what damage leaves in a log (a line cut short, the rest of a torn batch run
 * into the next line) at a fraction of the cost: one pass over the bytes, nothing allocated.
 */
export function isWholeObject(buf: Buffer, start: number, end: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    if (inString) {
      if (byte === 0x5c) i++; // an escape: the next byte is part of it
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) depth++;
    else if (byte === 0x7d || byte === 0x5d) {
      depth--;
      if (depth <= 0) return depth === 0 && i === end - 1;
    } else if (depth === 0) return false;
  }
  return false;
}

/** The seq of one line: from its first bytes when the store wrote it, else parsed (null when it is not an event). */
export function lineSeq(line: string): number | null {
  const buf = Buffer.from(line, "utf8");
  return seqPrefix(buf, 0, buf.length) ?? parseEvent(line)?.seq ?? null;
}

/** A segment's events frozen, so that one parse can be handed to every reader. */
export function frozenSegment(segment: Segment): Segment {
  for (const event of segment.events) deepFreeze(event);
  return segment;
}

/** One line of the log as an event, or null for anything else (a torn line, a garbled record). */
export function parseEvent(line: string): CodexdEvent | null {
  try {
    const value = JSON.parse(line) as Partial<CodexdEvent> | null;
    // A seq beyond 2^53 (`1e300`) would stop seqs increasing: such a record is not valid.
    if (!value || typeof value !== "object" || !Number.isSafeInteger(value.seq) || value.seq! < 1) return null;
    rememberJson(value, line);
    return value as CodexdEvent;
  } catch {
    return null;
  }
}
