import { describe, expect, it } from "vitest";
import { CheckedRanges } from "../../src/state/checked-ranges.js";

/** The reference: the set of checked bytes, one by one. */
function bytesOf(ranges: CheckedRanges, file: number): Set<number> {
  const out = new Set<number>();
  for (const { start, end } of ranges.rangesOf(file)) for (let b = start; b < end; b++) out.add(b);
  return out;
}

describe("checked ranges of event-log files", () => {
  it("merge what overlaps or touches, keep the rest apart and in order, and say where a checked stretch ends", () => {
    const ranges = new CheckedRanges();
    ranges.add(1, 100, 200);
    ranges.add(1, 300, 400);
    expect(ranges.rangesOf(1)).toEqual([{ start: 100, end: 200 }, { start: 300, end: 400 }]);
    expect(ranges.checkedUntil(1, 150)).toBe(200);
    expect(ranges.checkedUntil(1, 200)).toBe(200); // the end itself is not checked
    expect(ranges.checkedUntil(1, 250)).toBe(250);
    expect(ranges.checkedUntil(2, 150)).toBe(150); // another file
    ranges.add(1, 200, 300); // touches both: one range
    expect(ranges.rangesOf(1)).toEqual([{ start: 100, end: 400 }]);
    ranges.add(1, 50, 120);
    ranges.add(1, 390, 450);
    ranges.add(1, 10, 20);
    expect(ranges.rangesOf(1)).toEqual([{ start: 10, end: 20 }, { start: 50, end: 450 }]);
    ranges.add(1, 0, 0); // empty: nothing
    expect(ranges.rangesOf(1)).toHaveLength(2);
  });

  it("hold exactly the bytes added, whatever the order (against a byte-by-byte reference)", () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const ranges = new CheckedRanges();
    const reference = new Set<number>();
    for (let k = 0; k < 400; k++) {
      const start = random(2000);
      const end = start + random(60);
      ranges.add(3, start, end);
      for (let b = start; b < end; b++) reference.add(b);
    }
    const list = ranges.rangesOf(3);
    expect(list.every((r, j) => r.end > r.start && (j === 0 || r.start > list[j - 1]!.end))).toBe(true); // apart, in order
    expect(bytesOf(ranges, 3)).toEqual(reference);
    // From any byte, checkedUntil covers only checked bytes, and the byte where it stops is not one.
    const wrong: number[] = [];
    for (let at = 0; at < 2100; at++) {
      const until = ranges.checkedUntil(3, at);
      for (let b = at; b < until; b++) if (!reference.has(b)) wrong.push(b);
      if (reference.has(until)) wrong.push(until);
    }
    expect(wrong).toEqual([]);
  });

  it("keep no more scattered ranges than the bound, still merging into the ones kept, and forget rotated-away files", () => {
    const ranges = new CheckedRanges(3);
    for (const start of [0, 100, 200, 300]) ranges.add(5, start, start + 10);
    expect(ranges.rangesOf(5)).toEqual([{ start: 0, end: 10 }, { start: 100, end: 110 }, { start: 200, end: 210 }]);
    ranges.add(5, 110, 150);
    expect(ranges.rangesOf(5)[1]).toEqual({ start: 100, end: 150 });
    ranges.add(9, 0, 10);
    ranges.dropBefore(9);
    expect(ranges.rangesOf(5)).toEqual([]);
    expect(ranges.rangesOf(9)).toHaveLength(1);
    ranges.dropBefore(null);
    expect(ranges.rangesOf(9)).toEqual([]);
  });
});
