/** A stretch of a file, from `start` up to (not including) `end`. */
interface Range {
  start: number;
  end: number;
}

/**
 * Byte ranges of event-log files whose lines were found whole and can no longer change, per
 * file (named by its first seq, as rotation's renames leave it). A page sent as stored text
 * checks each line's quotes and brackets (`isWholeObject`) before trusting it; remembering
 * where that check passed lets a reader coming back to a stretch of the log send it without
 * passing over its bytes again. Only bytes below the durable size may be added: above it, an
 * append that failed is cut off and written again. Touching ranges merge, so a file read end to
 * end is one range; past `maxRangesPerFile` scattered ones, new ranges are not kept.
 */
export class CheckedRanges {
  /** Per file, disjoint ranges that do not touch, in offset order. */
  private readonly files = new Map<number, Range[]>();

  constructor(private readonly maxRangesPerFile = 4096) {}

  /** Where the checked range holding the byte at `at` ends; `at` itself when none holds it. */
  checkedUntil(file: number, at: number): number {
    const ranges = this.files.get(file);
    if (!ranges) return at;
    const range = ranges[lastStartingAtOrBefore(ranges, at)];
    return range && range.end > at ? range.end : at;
  }

  /** Remember that the lines from `start` up to `end` (line boundaries) are whole. */
  add(file: number, start: number, end: number): void {
    if (end <= start) return;
    let ranges = this.files.get(file);
    if (!ranges) this.files.set(file, (ranges = []));
    // The ranges that overlap or touch [start, end] are replaced by one covering them all.
    let first = lastStartingAtOrBefore(ranges, start);
    if (first < 0 || ranges[first]!.end < start) first++;
    let last = first;
    while (last < ranges.length && ranges[last]!.start <= end) last++;
    if (last === first) {
      if (ranges.length < this.maxRangesPerFile) ranges.splice(first, 0, { start, end });
      return;
    }
    ranges.splice(first, last - first, { start: Math.min(start, ranges[first]!.start), end: Math.max(end, ranges[last - 1]!.end) });
  }

  /** Forget the files whose first seq is below `oldestSeq` (rotation removed them). */
  dropBefore(oldestSeq: number | null): void {
    for (const file of this.files.keys()) if (oldestSeq === null || file < oldestSeq) this.files.delete(file);
  }

  /** How many ranges are remembered for a file (for tests and the bound). */
  rangesOf(file: number): readonly Readonly<Range>[] {
    return this.files.get(file) ?? [];
  }
}

/** Index of the last range starting at or before `at` (-1 when none does). */
function lastStartingAtOrBefore(ranges: readonly Range[], at: number): number {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ranges[mid]!.start <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
