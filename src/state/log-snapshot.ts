import type { FileHandle } from "node:fs/promises";

/** Read handles on the event log's files (oldest first, live last), consistent for one rotation generation. */
export interface Snapshot {
  handles: FileHandle[];
  generation: number;
}

export interface Lease extends Snapshot {
  release(): Promise<void>;
}

interface Shared extends Snapshot {
  readers: number;
  retired: boolean;
}

/**
 * Keeps one snapshot of read handles open between reads while no rotation happens: a page read
 * from disk then costs its positional reads only, not a readdir, an open and a close per file
 * (each a trip through libuv's thread pool, which queues under concurrent readers). A rotation
 * retires the snapshot; its handles close when its last reader is done. Logs of more than
 * `maxKept` files are opened per read, so a large `keepFiles` does not pin that many descriptors.
 */
export class SnapshotCache {
  private current: Shared | null = null;
  private opening: Promise<Shared> | null = null;

  constructor(
    private readonly openSnapshot: () => Promise<Snapshot>,
    private readonly generationNow: () => number,
    private readonly maxKept = 16,
  ) {}

  async acquire(): Promise<Lease> {
    const shared = await this.shared();
    if (shared === null) {
      const own = await this.openSnapshot();
      return { ...own, release: () => closeAll(own.handles) };
    }
    shared.readers++;
    return { handles: shared.handles, generation: shared.generation, release: () => this.release(shared) };
  }

  /** Close the kept handles (the log is closing); leases still out close theirs on release. */
  async close(): Promise<void> {
    const shared = this.current ?? (await this.opening?.catch(() => null)) ?? null;
    this.current = null;
    if (shared) await this.retire(shared);
  }

  private async shared(): Promise<Shared | null> {
    for (;;) {
      const current = this.current;
      if (current && current.generation === this.generationNow()) return current;
      if (current) {
        this.current = null;
        await this.retire(current);
      }
      this.opening ??= this.openSnapshot().then((s) => ({ ...s, readers: 0, retired: false }));
      const opened = await this.opening.finally(() => (this.opening = null));
      if (opened.handles.length > this.maxKept) {
        await closeAll(opened.handles);
        return null;
      }
      if (this.current === null && opened.generation === this.generationNow()) this.current = opened;
      if (this.current === opened) return opened;
      // Opened across a rotation or beside another set: not the current one.
      if (this.current !== opened) await closeAll(opened.handles);
    }
  }

  private async release(shared: Shared): Promise<void> {
    shared.readers--;
    if (shared.retired && shared.readers === 0) await closeAll(shared.handles);
  }

  private async retire(shared: Shared): Promise<void> {
    if (shared.retired) return;
    shared.retired = true;
    if (shared.readers === 0) await closeAll(shared.handles);
  }
}

async function closeAll(handles: readonly FileHandle[]): Promise<void> {
  await Promise.all(handles.map((h) => h.close().catch(() => {})));
}
