/** Small pieces every benchmark shares: output, statistics, temp dirs, the machine, the raw baseline. */
import { mkdtemp, open, rm } from "node:fs/promises";
import { arch, cpus, release, tmpdir, totalmem, type as osType } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig, type ResolvedConfig } from "../../src/config.js";

export const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const log = (line = "") => process.stdout.write(`${line}\n`);
export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
export const percentile = (xs: readonly number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

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
