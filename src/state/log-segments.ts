import type { FileHandle } from "node:fs/promises";
import type { CodexdEvent } from "../../schemas/events.js";
import { deepFreeze } from "./deep-freeze.js";
import { rememberJson } from "./record-json.js";

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
 * A file's segments do not overlap: a read is cut where the next kept segment starts.
 */
export class SegmentCache {
  /** Per file, its segments in offset order. */
  private readonly files = new Map<number, Entry[]>();
  /** Every entry in use order: a Set iterates in insertion order, and a hit is moved to the end. */
  private readonly used = new Set<Entry>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

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
 * lines follow, so a later read from `start` would end in the same place).
 */
export async function readSegment(handle: FileHandle, start: number, chunkBytes: number, stopAt = Infinity): Promise<{ segment: Segment; final: boolean } | null> {
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
  if (lastNl < 0) return null;
  const events: CodexdEvent[] = [];
  let lineStart = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0 && nl <= lastNl; nl = buf.indexOf(0x0a, lineStart)) {
    const event = parseEvent(buf.toString("utf8", lineStart, nl));
    lineStart = nl + 1;
    if (event) events.push(event);
  }
  return { segment: { start, end: start + lastNl + 1, events }, final: !eof };
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
