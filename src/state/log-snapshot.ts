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
    const got = await this.shared();
    if ("own" in got) {
      const { own } = got;
      return { ...own, release: () => closeAll(own.handles) };
    }
    const { shared } = got;
    shared.readers++;
    return { handles: shared.handles, generation: shared.generation, release: () => this.release(shared) };
  }

  /** Close the kept handles (the log is closing); leases still out close theirs on release. */
  async close(): Promise<void> {
    const shared = this.current ?? (await this.opening?.catch(() => null)) ?? null;
    this.current = null;
    if (shared) await this.retire(shared);
  }

  /** The kept snapshot, or (for a log of more than `maxKept` files) one opened for this reader alone. */
  private async shared(): Promise<{ shared: Shared } | { own: Snapshot }> {
    for (;;) {
      const current = this.current;
      if (current && current.generation === this.generationNow()) return { shared: current };
      if (current) {
        this.current = null;
        await this.retire(current);
      }
      this.opening ??= this.openSnapshot().then((s) => ({ ...s, readers: 0, retired: false }));
      const opening = this.opening;
      const opened = await opening.finally(() => {
        if (this.opening === opening) this.opening = null;
      });
      if (this.current === opened) return { shared: opened };
      if (this.current === null && opened.generation === this.generationNow() && !opened.retired) {
        // Too many files to keep open: the set goes to one reader (others waiting open their own).
        if (opened.handles.length > this.maxKept) {
          opened.retired = true;
          return { own: opened };
        }
        this.current = opened;
        return { shared: opened };
      }
      // Opened across a rotation, or beside a set another reader made current: not kept.
      if (!opened.retired) await this.retire(opened);
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
