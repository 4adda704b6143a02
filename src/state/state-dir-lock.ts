import { open, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { isLiveProcess, processStartTicks } from "../child/process-group.js";
import { FILE_MODE } from "./durable-fs.js";

export const LOCK_FILE = "codexd.lock";

interface LockOwner {
  pid: number;
  /** Start time of the owner (clock ticks since boot), so a recycled pid is not taken for it. */
  startTicks: number | null;
  acquiredAt: string;
}

/** Another live daemon owns the state directory. */
export class StateDirLockedError extends Error {
  readonly code = "CODEXD_STATE_DIR_LOCKED";
  constructor(
    readonly dir: string,
    readonly owner: LockOwner,
  ) {
    super(`${dir} is in use by another codexd (pid ${owner.pid}, since ${owner.acquiredAt}); stop it or choose another CODEXD_STATE_DIR`);
  }
}

export interface StateDirLock {
  release(): Promise<void>;
}

/**
 * One daemon per state directory: two would overwrite each other's files, and the second would
 * take the first one's child for an orphan and kill it. The lock file names its owner; a lock
 * whose owner is gone (kill -9, power loss) is taken over, a live owner makes this call fail.
 */
export async function acquireStateDirLock(dir: string): Promise<StateDirLock> {
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, startTicks: processStartTicks(process.pid), acquiredAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, "wx", FILE_MODE);
      try {
        await handle.writeFile(`${JSON.stringify(me)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return { release: () => releaseIfOurs(path, me) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = await readOwner(path);
    if (owner && isAlive(owner)) throw new StateDirLockedError(dir, owner);
    // Stale: move it aside rather than unlink, so of two daemons taking over at once only one
    // removes it (the other's rename finds nothing) before both race on the exclusive create.
    await rename(path, `${path}.stale-${process.pid}`).then(
      () => unlink(`${path}.stale-${process.pid}`),
      (e: NodeJS.ErrnoException) => {
        if (e.code !== "ENOENT") throw e;
      },
    );
  }
  const owner = await readOwner(path);
  throw new StateDirLockedError(dir, owner ?? { pid: -1, startTicks: null, acquiredAt: "unknown" });
}

async function readOwner(path: string): Promise<LockOwner | null> {
  try {
    const value = JSON.parse(await readFile(path, "utf8")) as Partial<LockOwner>;
    return typeof value.pid === "number" ? { pid: value.pid, startTicks: value.startTicks ?? null, acquiredAt: value.acquiredAt ?? "unknown" } : null;
  } catch {
    return null; // missing, empty or torn: nobody can be shown to own it
  }
}

function isAlive(owner: LockOwner): boolean {
  if (!isLiveProcess(owner.pid)) return false;
  const ticks = processStartTicks(owner.pid);
  return owner.startTicks === null || ticks === null || ticks === owner.startTicks;
}

async function releaseIfOurs(path: string, me: LockOwner): Promise<void> {
  const owner = await readOwner(path);
  if (owner?.pid === me.pid && owner.acquiredAt === me.acquiredAt) await unlink(path).catch(() => {});
}
