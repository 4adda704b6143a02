import type { CodexdEvent } from "../../schemas/events.js";

/** The in-memory cache of the newest events, in seq order, bounded by `capacity`. */
export class RecentEvents {
  private items: CodexdEvent[] = [];

  constructor(readonly capacity: number) {}

  push(event: CodexdEvent): void {
    this.items.push(event);
    // Trim in bulk so pushing stays amortised O(1).
    if (this.items.length >= this.capacity * 2) this.items = this.items.slice(-this.capacity);
  }

  /** Forget the events with seq above `seq` (newest last): they were taken back, never written. */
  dropAfter(seq: number): void {
    while (this.items.length > 0 && this.items.at(-1)!.seq > seq) this.items.pop();
  }

  /** Newest `capacity` events, oldest first. */
  list(): CodexdEvent[] {
    return this.items.length > this.capacity ? this.items.slice(-this.capacity) : this.items.slice();
  }

  get oldestSeq(): number | null {
    const all = this.items;
    return all.length === 0 ? null : all[Math.max(0, all.length - this.capacity)]!.seq;
  }

  get lastSeq(): number {
    return this.items.at(-1)?.seq ?? 0;
  }

  /** Whether every event after `after` is in the cache. */
  covers(after: number): boolean {
    const oldest = this.oldestSeq;
    return oldest === null || after >= oldest - 1;
  }

  /** Up to `limit` cached events with seq > after that pass `keep`. */
  after(after: number, limit: number, keep: (e: CodexdEvent) => boolean): CodexdEvent[] {
    const all = this.items;
    let lo = Math.max(0, all.length - this.capacity);
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (all[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    const out: CodexdEvent[] = [];
    for (let i = lo; i < all.length && out.length < limit; i++) {
      if (keep(all[i]!)) out.push(all[i]!);
    }
    return out;
  }
}
