import { readFileSync, readdirSync } from "node:fs";

/** Send a signal to every process in a group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

interface ProcStat {
  pid: number;
  state: string;
  pgrp: number;
  startTicks: number;
}

function readStat(pid: number | string): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may contain spaces: parse from the last ')'.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { pid: Number(pid), state: fields[0]!, pgrp: Number(fields[2]), startTicks: Number(fields[19]) };
  } catch {
    return null;
  }
}

const hasProc = (() => {
  try {
    readdirSync("/proc/self");
    return true;
  } catch {
    return false;
  }
})();

/**
 * Live (non-zombie) members of a process group. Zombies count as gone: they hold no resources
 * and, once reparented, are reaped by whoever is PID 1, which may take its time.
 */
export function liveGroupMembers(pgid: number): number[] {
  if (!hasProc) return signalGroup(pgid, 0) ? [pgid] : [];
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat && stat.pgrp === pgid && stat.state !== "Z" && stat.state !== "X") members.push(stat.pid);
  }
  return members;
}

/** Whether a pid names a running process: zombies (exited, not yet reaped) count as gone. */
export function isLiveProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const state = hasProc ? readStat(pid)?.state : undefined;
  return state !== "Z" && state !== "X";
}

/** Start time of a process in clock ticks since boot, to tell a recycled pid from ours. */
export function processStartTicks(pid: number): number | null {
  return hasProc ? (readStat(pid)?.startTicks ?? null) : null;
}

/** Poll until the group has no live members or the deadline passes. */
export async function waitForGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (liveGroupMembers(pgid).length === 0) return true;
    if (performance.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}
