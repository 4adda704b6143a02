import { ProblemError } from "./errors.js";

type Key = readonly [string, string];

export interface PageOrder<T> {
  /** Sort key: creation time first, the id to break ties. */
  key: (item: T) => Key;
  newestFirst: boolean;
}

export interface Page<T> {
  page: T[];
  nextCursor: string | null;
}

const compare = (a: Key, b: Key) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

const encodeCursor = (key: Key) => Buffer.from(JSON.stringify(key), "utf8").toString("base64url");

/**
 * Keyset pagination: the cursor holds the sort key of the last item of the previous page, and the
 * next page starts right after that key. It stays valid when that item leaves the list (filtered
 * out, archived) or items are added, so paging never skips or repeats an item.
 * This one sorts what it is given; lists read on every request keep a CreationOrder instead.
 */
export function paginate<T>(items: readonly T[], order: PageOrder<T>, limit: number, cursor?: string): Page<T> {
  const direction = order.newestFirst ? -1 : 1;
  const sorted = [...items].sort((a, b) => direction * compare(order.key(a), order.key(b)));
  let rest = sorted;
  if (cursor !== undefined) {
    const after = decodeCursor(cursor);
    rest = sorted.filter((item) => direction * compare(order.key(item), after) > 0);
  }
  const page = rest.slice(0, limit);
  const more = rest.length > limit;
  return { page, nextCursor: more ? encodeCursor(order.key(page.at(-1)!)) : null };
}

function decodeCursor(cursor: string): Key {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "string")) return value as [string, string];
  } catch {
    // fall through
  }
  throw new ProblemError(400, "CODEXD_INVALID_CURSOR", "Invalid cursor", "Pass the nextCursor of a previous page unchanged");
}

/** Lists ordered by creation, with the id breaking ties. */
export const byCreation = <T extends { createdAt?: string }>(id: (item: T) => string, newestFirst: boolean): PageOrder<T> => ({
  key: (item) => [item.createdAt ?? "", id(item)],
  newestFirst,
});

/**
 * Records kept sorted by (createdAt, id) as they are written, so a page is a binary search for
 * the cursor and a walk of at most the page (plus what a filter skips), never a sort of them all.
 * Records are mostly created in time order, so an insert is usually an append.
 */
export class CreationOrder<T extends { createdAt?: string }> {
  private keys: Key[] = [];
  private items: T[] = [];

  constructor(private readonly id: (item: T) => string) {}

  get size(): number {
    return this.items.length;
  }

  private keyOf(item: T): Key {
    return [item.createdAt ?? "", this.id(item)];
  }

  /** Index of the first key >= `key`. */
  private lowerBound(key: Key): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Insert `next`, or put it in the place of `previous` (the record it replaces, if any). */
  set(next: T, previous?: T | null): void {
    const key = this.keyOf(next);
    if (previous) {
      const old = this.keyOf(previous);
      const at = this.lowerBound(old);
      if (at < this.keys.length && compare(this.keys[at]!, old) === 0) {
        if (compare(old, key) === 0) {
          this.items[at] = next;
          return;
        }
        this.keys.splice(at, 1);
        this.items.splice(at, 1);
      }
    }
    const last = this.keys.at(-1);
    const at = last === undefined || compare(last, key) < 0 ? this.keys.length : this.lowerBound(key);
    if (at < this.keys.length && compare(this.keys[at]!, key) === 0) {
      this.items[at] = next;
      return;
    }
    this.keys.splice(at, 0, key);
    this.items.splice(at, 0, next);
  }

  delete(item: T): void {
    const key = this.keyOf(item);
    const at = this.lowerBound(key);
    if (at < this.keys.length && compare(this.keys[at]!, key) === 0) {
      this.keys.splice(at, 1);
      this.items.splice(at, 1);
    }
  }

  /** Everything, oldest first. */
  values(): readonly T[] {
    return this.items;
  }

  /** The same page `paginate` would give for these records, without sorting or copying them. */
  page(newestFirst: boolean, limit: number, cursor?: string, keep?: (item: T) => boolean): Page<T> {
    const n = this.items.length;
    let i: number;
    if (cursor === undefined) i = newestFirst ? n - 1 : 0;
    else {
      const after = decodeCursor(cursor);
      const at = this.lowerBound(after);
      const exact = at < n && compare(this.keys[at]!, after) === 0;
      i = newestFirst ? at - 1 : exact ? at + 1 : at;
    }
    const step = newestFirst ? -1 : 1;
    const page: T[] = [];
    for (; i >= 0 && i < n; i += step) {
      const item = this.items[i]!;
      if (keep && !keep(item)) continue;
      if (page.length === limit) return { page, nextCursor: encodeCursor(this.keyOf(page.at(-1)!)) };
      page.push(item);
    }
    return { page, nextCursor: null };
  }
}
