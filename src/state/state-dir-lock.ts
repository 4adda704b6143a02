import { readFileSync, readlinkSync } from "node:fs";
import { link, open, readFile, stat, unlink, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { isLiveProcess, processStartTicks } from "../child/process-group.js";
import { FILE_MODE } from "./durable-fs.js";

export const LOCK_FILE = "codexd.lock";
/** The owner touches its lock this often... */
const HEARTBEAT_MS = 2_000;
/** ...so a lock untouched for this long has no owner, wherever that owner ran. */
export const STALE_AFTER_MS = 10_000;
/** How long a start waits for another daemon's takeover of a stale lock to settle. */
const TAKEOVER_WAIT_MS = 3_000;

/** Who owns the lock, and enough of where it runs to tell whether its pid can be checked from here. */
interface LockOwner {
  pid: number;
  /** Start time of the owner (clock ticks since boot), so a recycled pid is not taken for it. */
  startTicks: number | null;
  host: string;
  /** The kernel's boot id: a lock from before a reboot has no owner. */
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
    readonly owner: LockOwner,
  ) {
    super(
      `${dir} is in use by another codexd (pid ${owner.pid} on ${owner.host}, since ${owner.acquiredAt}); stop it or choose another ` +
        `CODEXD_STATE_DIR (a lock whose owner is gone is taken over once it is ${STALE_AFTER_MS / 1000} s old)`,
    );
  }
}

export interface StateDirLock {
  release(): Promise<void>;
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

/**
 * One daemon per state directory: two would overwrite each other's files, and the second would
 * take the first one's child for an orphan and kill it. The lock file names its owner and is
 * touched every few seconds. A lock whose owner is provably gone (same machine and pid
 * namespace, pid not running: kill -9) is taken over at once; one written elsewhere (another
 * container on the same volume) only once it has not been touched for STALE_AFTER_MS.
 */
export async function acquireStateDirLock(dir: string): Promise<StateDirLock> {
  const path = join(dir, LOCK_FILE);
  const me = currentOwner();
  const deadline = Date.now() + TAKEOVER_WAIT_MS;
  for (;;) {
    if (await createComplete(path, me)) return heldLock(path, me);
    const found = await readLock(path);
    if (found === "missing") continue;
    if (found !== "unreadable" && ownerIsAlive(found.owner, found.ageMs, me)) throw new StateDirLockedError(dir, found.owner);
    // An unreadable lock cannot be torn (it is linked in complete): it is damage, judged by age alone.
    await takeOver(path, found === "unreadable" ? null : found.owner);
    if (Date.now() > deadline) {
      const last = await readLock(path);
      const owner = typeof last === "object" ? last.owner : { ...me, pid: -1, acquiredAt: "unknown" };
      throw new StateDirLockedError(dir, owner);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Write the owner record to a temp file and link it into place: the lock never exists half-written. */
async function createComplete(path: string, me: LockOwner): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${Date.now()}.new`;
  const handle = await open(tmp, "wx", FILE_MODE);
  try {
    await handle.writeFile(`${JSON.stringify(me)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return false;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

async function readLock(path: string): Promise<"missing" | "unreadable" | { owner: LockOwner; ageMs: number }> {
  let text: string;
  let ageMs: number;
  try {
    [text, ageMs] = await Promise.all([readFile(path, "utf8"), stat(path).then((s) => Date.now() - s.mtimeMs)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw error;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (Number.isInteger(owner.pid) && owner.pid > 0 && typeof owner.acquiredAt === "string") return { owner, ageMs };
  } catch {
    // fall through
  }
  return ageMs > STALE_AFTER_MS ? "unreadable" : { owner: { pid: -1, startTicks: null, host: "unknown", bootId: null, pidNamespace: null, acquiredAt: "unknown" }, ageMs };
}

function ownerIsAlive(owner: LockOwner, ageMs: number, me: LockOwner): boolean {
  if (owner.pid <= 0) return true; // unreadable but recent: someone may be writing it
  const sameKernel = owner.host === me.host && owner.bootId !== null && owner.bootId === me.bootId;
  if (owner.bootId !== null && me.bootId !== null && owner.host === me.host && owner.bootId !== me.bootId) return false; // rebooted
  if (sameKernel && owner.pidNamespace !== null && owner.pidNamespace === me.pidNamespace) {
    if (!isLiveProcess(owner.pid)) return false;
    const ticks = processStartTicks(owner.pid);
    return owner.startTicks === null || ticks === null || ticks === owner.startTicks;
  }
  // Its pid cannot be checked from here: trust the heartbeat.
  return ageMs <= STALE_AFTER_MS;
}

/**
 * Remove a stale lock, one starter at a time: under an exclusive `.takeover` file, and only if
 * the lock still names the owner judged gone (another starter may have replaced it meanwhile).
 */
async function takeOver(path: string, stale: LockOwner | null): Promise<void> {
  const mutex = `${path}.takeover`;
  if (!(await createComplete(mutex, currentOwner()))) {
    // Someone else is taking over; a takeover file left by a crash expires like a lock.
    const age = await stat(mutex).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > STALE_AFTER_MS) await unlink(mutex).catch(() => {});
    return;
  }
  try {
    const current = await readLock(path);
    const same = current === "unreadable" ? stale === null : typeof current === "object" && stale !== null && current.owner.pid === stale.pid && current.owner.acquiredAt === stale.acquiredAt;
    if (same) await unlink(path).catch(() => {});
  } finally {
    await unlink(mutex).catch(() => {});
  }
}

function heldLock(path: string, me: LockOwner): StateDirLock {
  const heartbeat = setInterval(() => {
    const now = new Date();
    void utimes(path, now, now).catch(() => {});
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    async release() {
      clearInterval(heartbeat);
      const current = await readLock(path).catch(() => "missing" as const);
      if (typeof current === "object" && current.owner.pid === me.pid && current.owner.acquiredAt === me.acquiredAt) await unlink(path).catch(() => {});
    },
  };
}
