import { ProblemError } from "../errors.js";

/** Why the state directory cannot take a write: out of space, or not writable at all. */
export interface StorageFault {
  kind: "full" | "unavailable";
  /** The errno code (ENOSPC, EROFS, ...), or a word when the failure had none. */
  cause: string;
  /** What the cause means, in words; never a path or a raw errno message. */
  reason: string;
  stateDir: string;
  /** When the store first failed to write, ISO time. */
  since: string;
}

const FULL: Record<string, string> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is exhausted",
  EFBIG: "a file grew past the file system's limit",
};

const UNAVAILABLE: Record<string, string> = {
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EIO: "an input/output error",
  ENOENT: "a state file or the directory disappeared",
  ENOTDIR: "a path component is not a directory",
  EMFILE: "too many open files in the daemon",
  ENFILE: "too many open files in the system",
  ESTALE: "a stale file handle",
  EBUSY: "the file system is busy",
};

/** The fault a failed write of the state dir stands for. */
export function classifyStorageError(error: unknown, stateDir: string, since: string): StorageFault {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code === "string" && FULL[code]) return { kind: "full", cause: code, reason: FULL[code], stateDir, since };
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
    return { kind: "unavailable", cause: code, reason: UNAVAILABLE[code] ?? "a write failed", stateDir, since };
  }
  const lockLost = error instanceof Error && /lock lost/.test(error.message);
  return lockLost
    ? { kind: "unavailable", cause: "LOCK_LOST", reason: "lock lost: another daemon took the state directory over", stateDir, since }
    : { kind: "unavailable", cause: "EUNKNOWN", reason: "a write failed", stateDir, since };
}

export const storageProblemCode = (fault: StorageFault) => (fault.kind === "full" ? "CODEXD_STORAGE_FULL" : "CODEXD_STORAGE_UNAVAILABLE");

/** Seconds a client is told to wait before trying a refused write again. */
const RETRY_AFTER_SECONDS = "5";

/**
 * A change the store could not make durable, and so did not make: 507 when the state directory
 * is full, 503 when it cannot be written. Names the directory and the cause, not the file.
 */
export class StorageError extends ProblemError {
  constructor(readonly fault: StorageFault) {
    const full = fault.kind === "full";
    super(
      full ? 507 : 503,
      storageProblemCode(fault),
      full ? "The state directory is full" : "The state directory cannot be written",
      `State directory ${fault.stateDir}: ${fault.cause} (${fault.reason}). The change was not made; codexd retries by itself and accepts writes again once the directory is writable.`,
      { stateDir: fault.stateDir, cause: fault.cause, since: fault.since },
      { "retry-after": RETRY_AFTER_SECONDS },
    );
  }
}
