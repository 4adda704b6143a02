/** Small pieces every benchmark shares: output, statistics, temp dirs, the machine, the raw baseline. */
import { readFileSync } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { arch, cpus, release, tmpdir, totalmem, type as osType } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig, type ResolvedConfig } from "../../src/config.js";
import type { EventInput } from "../../src/state/store.js";

export const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const log = (line = "") => process.stdout.write(`${line}\n`);
export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
/** The p-th percentile of an ascending array, by nearest rank (every benchmark uses this one). */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
export const percentile = (xs: readonly number[], p: number) => percentileOfSorted([...xs].sort((a, b) => a - b), p);

export async function withTempDir<T>(label: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `codexd-bench-${label}-`));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function configFor(dir: string, env: Record<string, string> = {}): ResolvedConfig {
  return loadConfig({ cwd: dir, env: { CODEXD_STATE_DIR: dir, ...env }, flags: {} });
}

export function machineInfo() {
  const cpuList = cpus();
  return {
    os: `${osType()} ${release()} ${arch()}`,
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? "unknown",
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    tmpdir: tmpdir(),
  };
}

/** The raw baseline: the same lines, the same batch boundaries, one write + one fdatasync per batch. Returns ms. */
export async function rawAppendBatches(file: string, lines: readonly string[], batches: readonly number[]): Promise<number> {
  const handle = await open(file, "a", 0o600);
  try {
    const t0 = performance.now();
    let at = 0;
    for (const n of batches) {
      const data = Buffer.from(lines.slice(at, at + n).join(""), "utf8");
      at += n;
      let written = 0;
      while (written < data.length) written += (await handle.write(data, written, data.length - written)).bytesWritten;
      await handle.datasync();
    }
    return performance.now() - t0;
  } finally {
    await handle.close();
  }
}

/** CPU time (user + system, ms) a process has used so far, from /proc (100 ticks a second); NaN without /proc. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** How a benchmark's stream of agent-message deltas spreads over sessions, items, runs and turns. */
export interface DeltaShape {
  text: string;
  sessions: number;
  /** Each delta carries text.slice(0, minChars + i % 60). */
  minChars: number;
  /** 2^shift consecutive deltas share an item, a run, a turn. */
  itemShift: number;
  runShift: number;
  turnShift: number;
}

/** The i-th agent-message delta as a busy child produces them, tied to a session, run and turn. */
export function agentDeltaEvent(i: number, shape: DeltaShape): EventInput {
  const session = `sess-${String(i % shape.sessions).padStart(4, "0")}`;
  return {
    level: "info",
    type: "item.agentMessage.delta",
    message: "agent message delta",
    detail: { itemId: `item-${i >> shape.itemShift}`, delta: shape.text.slice(0, shape.minChars + (i % 60)), index: i },
    sessionId: session,
    runId: `run-${session}-${i >> shape.runShift}`,
    turnId: `turn-${i >> shape.turnShift}`,
  };
}
