import { readFileSync } from "node:fs";

/**
 * The open-file limit of this process (soft RLIMIT_NOFILE, which Node raises to the hard limit at
 * start), read from /proc; null where /proc is not available.
 */
export function openFileLimit(limitsText?: string): number | null {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/limits", "utf8");
    } catch {
      return null;
    }
  }
  const match = /^Max open files\s+(\S+)/m.exec(text);
  if (!match) return null;
  return match[1] === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(match[1]);
}

/** Assumed where the limit cannot be read (the common default soft limit). */
const UNKNOWN_LIMIT = 1024;

/**
 * Descriptors kept out of reach of HTTP connections: the state files and the event log, the
 * child's three pipes, the lock's checks, git processes of workspaces, the loggers. An eighth of
 * the limit, and never less than 64.
 */
export const descriptorHeadroom = (limit: number) => Math.max(64, Math.ceil(limit / 8));

/** The most connections the daemon accepts at once under `limit` open files (at least 1). */
export function connectionCapFor(limit: number | null = openFileLimit()): number {
  const n = limit ?? UNKNOWN_LIMIT;
  return Math.max(1, Math.min(n - descriptorHeadroom(n), 1_000_000));
}
