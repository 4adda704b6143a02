import { readFileSync, readlinkSync } from "node:fs";
import { link, open, readFile, readdir, stat, unlink, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { isLiveProcess, processStartTicks } from "../child/process-group.js";
import { FILE_MODE } from "./durable-fs.js";

export const LOCK_FILE = "codexd.lock";
/** A lock whose owner cannot be checked by pid is alive while its heartbeat moves within this window. */
export const DEFAULT_STALE_AFTER_MS = 10_000;

/** Who owns the lock, and enough of where it runs to tell whether its pid can be checked from here. */
interface LockOwner {
  pid: number;
  /** Start time of the owner (clock ticks since boot), so a recycled pid is not taken for it. */
  startTicks: number | null;
  host: string;
  /** The kernel's boot id. */
  bootId: string | null;
  /** The owner's pid namespace: a pid means something only in the same one (containers). */
  pidNamespace: string | null;
  acquiredAt: string;
}

/** Another live daemon owns the state directory. */
export class StateDirLockedError extends Error {
  readonly code = "CODEXD_STATE_DIR_LOCKED";
  constructor(
    readonly dir: string,
    readonly owner: LockOwner | null,
  ) {
    super(
      owner
        ? `${dir} is in use by another codexd (pid ${owner.pid} on ${owner.host}, since ${owner.acquiredAt}); stop it or choose another CODEXD_STATE_DIR`
        : `${dir} is locked by ${LOCK_FILE}, which is unreadable and still being touched; stop whatever uses the directory or choose another CODEXD_STATE_DIR`,
    );
  }
}

export interface StateDirLock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** Called once if the lock file names another owner (another daemon took it over). */
  onLost?: (reason: string) => void;
  /**
   * A heartbeat could not check or restore the lock (EMFILE, ENFILE, EIO, an unreadable record,
   * a removed file): not proof of another owner, so the lock is kept and checked again next beat.
   */
  onCheckFailed?: (reason: string, error?: NodeJS.ErrnoException) => void;
  /** The first heartbeat that checked the lock fine again after failed ones. */
  onCheckRecovered?: (failedChecks: number) => void;
  staleAfterMs?: number;
}

const readOr = (read: () => string): string | null => {
  try {
    return read().trim();
  } catch {
    return null;
  }
};

function currentOwner(): LockOwner {
  return {
    pid: process.pid,
    startTicks: processStartTicks(process.pid),
    host: hostname(),
    bootId: readOr(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8")),
    pidNamespace: readOr(() => readlinkSync("/proc/self/ns/pid")),
    acquiredAt: new Date().toISOString(),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sameOwner = (a: LockOwner | null, b: LockOwner | null) => a !== null && b !== null && a.pid === b.pid && a.acquiredAt === b.acquiredAt;

/**
 * One daemon per state directory: two would overwrite each other's files, and the second would
 * take the first one's child for an orphan and kill it. The lock file names its owner and is
 * touched every few seconds. An owner on this kernel and in this pid namespace is checked by pid
 * (a kill -9 is noticed at once); any other owner (another container on the same volume, a
 * machine without /proc, an unreadable lock) is alive while its heartbeat moves: the start
 * watches the file for one stale window and takes it over only if nothing touched it.
 */
export async function acquireStateDirLock(dir: string, options: LockOptions = {}): Promise<StateDirLock> {
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const path = join(dir, LOCK_FILE);
  const me = currentOwner();
  await sweepLeftovers(dir, staleAfterMs);
  const deadline = performance.now() + 2 * staleAfterMs + 3_000;
  for (;;) {
    if (await createComplete(path, me)) return heldLock(path, me, staleAfterMs, options);
    const found = await readLock(path);
    if (found === null) continue; // released meanwhile
    const verdict = judge(found.owner, me);
    if (verdict === "alive") throw new StateDirLockedError(dir, found.owner);
    if (verdict === "unknown" && (await heartbeatMoves(path, found.mtimeMs, staleAfterMs))) throw new StateDirLockedError(dir, found.owner);
    await takeOver(path, found.owner, staleAfterMs);
    if (performance.now() > deadline) throw new StateDirLockedError(dir, (await readLock(path))?.owner ?? null);
    await sleep(50);
  }
}

/** "alive"/"dead" when the owner's pid can be checked from here, else "unknown". */
function judge(owner: LockOwner | null, me: LockOwner): "alive" | "dead" | "unknown" {
  if (!owner) return "unknown";
  const checkable = owner.host === me.host && owner.bootId !== null && owner.bootId === me.bootId && owner.pidNamespace !== null && owner.pidNamespace === me.pidNamespace;
  if (!checkable) return "unknown";
  if (!isLiveProcess(owner.pid)) return "dead";
  const ticks = processStartTicks(owner.pid);
  if (owner.startTicks === null || ticks === null) return "unknown"; // pid alive but maybe recycled: ask the heartbeat
  return ticks === owner.startTicks ? "alive" : "dead";
}

/** Whether the lock's mtime changes (or the file is replaced) within one stale window. */
async function heartbeatMoves(path: string, mtimeMs: number, staleAfterMs: number): Promise<boolean> {
  const until = performance.now() + staleAfterMs;
  while (performance.now() < until) {
    await sleep(Math.min(250, staleAfterMs / 8));
    const now = await stat(path).catch(() => null);
    if (!now || now.mtimeMs !== mtimeMs) return true;
  }
  return false;
}

/** Write the record to a temp file and link it into place: a lock never exists half-written. */
async function createComplete(path: string, record: LockOwner): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.new`;
  try {
    const handle = await open(tmp, "wx", FILE_MODE);
    try {
      await handle.writeFile(`${JSON.stringify(record)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return false;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

async function readLock(path: string): Promise<{ owner: LockOwner | null; mtimeMs: number } | null> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, mtimeMs] = await Promise.all([readFile(path, "utf8"), stat(path).then((s) => s.mtimeMs)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (Number.isInteger(owner.pid) && owner.pid > 0 && typeof owner.acquiredAt === "string") return { owner, mtimeMs };
  } catch {
    // unreadable: judged by its heartbeat alone
  }
  return { owner: null, mtimeMs };
}

/**
 * Remove a lock judged gone, one starter at a time (under an exclusive `.takeover` file), and
 * only if it still names that owner: another starter may have replaced it meanwhile.
 */
async function takeOver(path: string, gone: LockOwner | null, staleAfterMs: number): Promise<void> {
  const mutex = `${path}.takeover`;
  if (!(await createComplete(mutex, currentOwner()))) {
    // Another starter is taking over; a takeover file a crash left behind expires.
    const age = await stat(mutex).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > staleAfterMs) await unlink(mutex).catch(() => {});
    return;
  }
  try {
    const current = await readLock(path);
    if (current && (current.owner === null ? gone === null : sameOwner(current.owner, gone))) await unlink(path).catch(() => {});
  } finally {
    await unlink(mutex).catch(() => {});
  }
}

/** Temp files of lock writes a crash interrupted. */
async function sweepLeftovers(dir: string, staleAfterMs: number): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith(`${LOCK_FILE}.`) && n.endsWith(".new"))) {
    const file = join(dir, name);
    const age = await stat(file).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > staleAfterMs) await unlink(file).catch(() => {});
  }
}

/**
 * The heartbeat: touch the lock while it names this process. Only proof of another owner (a
 * complete record naming someone else) gives the lock up; a check that fails for any other reason
 * (out of descriptors, an I/O error, the file removed or garbled) is reported and retried, and a
 * removed file is put back, so a daemon under load does not leave its directory for nothing.
 */
function heldLock(path: string, me: LockOwner, staleAfterMs: number, options: LockOptions): StateDirLock {
  let lost = false;
  let released = false;
  let beating: Promise<void> | null = null;
  let failedChecks = 0;
  const failed = (reason: string, error?: NodeJS.ErrnoException) => {
    failedChecks++;
    options.onCheckFailed?.(reason, error);
  };
  const beat = async () => {
    let current: Awaited<ReturnType<typeof readLock>>;
    try {
      current = await readLock(path);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      return failed(`cannot read ${LOCK_FILE}: ${e.code ?? e.message}`, e);
    }
    if (current?.owner && !sameOwner(current.owner, me)) {
      lost = true;
      clearInterval(heartbeat);
      options.onLost?.(`taken over by pid ${current.owner.pid} on ${current.owner.host}`);
      return;
    }
    if (released) return;
    if (current === null) {
      // Removed by something that is not a daemon (a daemon's takeover leaves its own record):
      // put the record back; if another starter linked its own meanwhile, the next beat sees it.
      const restored = await createComplete(path, me).catch((error: NodeJS.ErrnoException) => error);
      if (restored !== true) return failed(`${LOCK_FILE} was removed and cannot be put back${restored instanceof Error ? `: ${restored.code ?? restored.message}` : ""}`, restored instanceof Error ? restored : undefined);
      return failed(`${LOCK_FILE} was removed; put back`);
    }
    const now = new Date();
    const touched = await utimes(path, now, now).then(() => true as const, (error: NodeJS.ErrnoException) => error);
    if (touched !== true) return failed(`cannot touch ${LOCK_FILE}: ${touched.code ?? touched.message}`, touched);
    if (current.owner === null) return failed(`${LOCK_FILE} holds an unreadable record; kept and touched`);
    if (failedChecks > 0) {
      options.onCheckRecovered?.(failedChecks);
      failedChecks = 0;
    }
  };
  const heartbeat = setInterval(() => {
    if (beating || lost || released) return;
    beating = beat()
      .catch((error: unknown) => failed(`lock check failed: ${(error as Error).message}`))
      .finally(() => (beating = null));
  }, Math.max(50, Math.floor(staleAfterMs / 5)));
  heartbeat.unref();
  return {
    async release() {
      released = true;
      clearInterval(heartbeat);
      // A beat under way must not put back the file this removes.
      await beating;
      if (lost) return;
      const current = await readLock(path).catch(() => null);
      if (current && sameOwner(current.owner, me)) await unlink(path).catch(() => {});
    },
  };
}
