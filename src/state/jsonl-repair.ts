import type { FileHandle } from "node:fs/promises";

/**
 * Walk back from the end of a JSONL file to the last line that `accept` recognises as a complete
 * record. Everything after it (a half-written line, NUL fill left by a crash while the file was
 * being extended, a garbled record) is the torn tail. Returns where valid content ends and what
 * `accept` made of the last good line.
 */
export async function findValidEnd<T>(
  handle: FileHandle,
  size: number,
  accept: (line: string) => T | null,
): Promise<{ end: number; last: T | null }> {
  let end = size;
  let window = 64 * 1024;
  while (end > 0) {
    const start = Math.max(0, end - window);
    const buf = Buffer.alloc(end - start);
    await handle.read(buf, 0, buf.length, start);
    const lastNl = buf.lastIndexOf(0x0a);
    if (lastNl === -1) {
      if (start === 0) return { end: 0, last: null };
      window *= 2;
      continue;
    }
    if (start + lastNl + 1 !== end) {
      end = start + lastNl + 1;
      continue;
    }
    const prevNl = lastNl === 0 ? -1 : buf.lastIndexOf(0x0a, lastNl - 1);
    if (prevNl === -1 && start > 0) {
      window *= 2;
      continue;
    }
    const last = accept(buf.subarray(prevNl + 1, lastNl).toString("utf8"));
    if (last !== null) return { end, last };
    end = start + prevNl + 1;
  }
  return { end: 0, last: null };
}
