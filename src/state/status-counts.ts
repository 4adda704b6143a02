/**
 * How many records are in each status, kept up to date as records are written and removed, so a
 * status read copies a few numbers instead of counting every record.
 */
export class StatusCounts {
  private readonly counts = new Map<string, number>();
  /** Bumped on every change of a count: a reader that kept text made from the counts knows when to redo it. */
  version = 0;

  /** `next` replaces `previous` (either may be absent: a new record, a removed one). */
  change(previous: { status: string } | null | undefined, next: { status: string } | null | undefined): void {
    if (previous?.status === next?.status) return;
    this.version++;
    if (previous) this.counts.set(previous.status, (this.counts.get(previous.status) ?? 0) - 1);
    if (next) this.counts.set(next.status, (this.counts.get(next.status) ?? 0) + 1);
  }

  /** One entry per given status (0 when none), in the given order. */
  of<K extends string>(statuses: readonly K[]): Record<K, number> {
    const out = {} as Record<K, number>;
    for (const s of statuses) out[s] = this.counts.get(s) ?? 0;
    return out;
  }
}
