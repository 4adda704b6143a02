/**
 * The state-dir lock between real processes: several daemons starting at the same instant on a
 * directory whose lock was left by a killed one; never two holders at once.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/in-process-daemon.js";

const lockModule = pathToFileURL(join(repoRoot, "dist", "src", "state", "state-dir-lock.js")).href;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "codexd-lock-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A process that tries to take the lock at `startAt` (epoch ms), holds it 300 ms, and says how it went (and when it held it). */
function contender(stateDir: string, startAt: number): Promise<string> {
  const script = `
    const { acquireStateDirLock } = await import(${JSON.stringify(lockModule)});
    await new Promise((r) => setTimeout(r, ${startAt} - Date.now()));
    try {
      const lock = await acquireStateDirLock(${JSON.stringify(stateDir)}, { staleAfterMs: 500 });
      const from = Date.now();
      await new Promise((r) => setTimeout(r, 300));
      process.stdout.write("won " + from + " " + Date.now());
      await lock.release();
    } catch (error) {
      process.stdout.write(error.code === "CODEXD_STATE_DIR_LOCKED" ? "refused" : "error: " + error.message);
    }`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.once("error", reject);
    child.once("close", () => resolve(out));
  });
}

describe("state-dir lock", () => {
  it("of six starters racing for a lock a daemon elsewhere left, one holds it at a time, every round", async () => {
    for (let round = 0; round < 10; round++) {
      const stateDir = join(dir, `round-${round}`);
      await mkdir(stateDir);
      // The lock of a daemon that ran elsewhere and is gone: nobody touches it any more.
      const lock = join(stateDir, "codexd.lock");
      await writeFile(lock, JSON.stringify({ pid: 2 ** 22 + 7, startTicks: 1, host: "gone", bootId: null, pidNamespace: null, acquiredAt: "2026-01-01T00:00:00.000Z" }));
      const old = new Date(Date.now() - 60_000);
      await utimes(lock, old, old);
      const startAt = Date.now() + 400;
      const outcomes = await Promise.all([0, 1, 2, 3, 4, 5].map(() => contender(stateDir, startAt)));
      const held = outcomes.filter((o) => o.startsWith("won")).map((o) => o.split(" ").slice(1).map(Number) as [number, number]);
      expect(held.length, `round ${round}: ${outcomes.join(", ")}`).toBeGreaterThanOrEqual(1);
      expect(outcomes.every((o) => o.startsWith("won") || o === "refused"), outcomes.join(", ")).toBe(true);
      held.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < held.length; i++) expect(held[i]![0], `round ${round}: two holders at once`).toBeGreaterThanOrEqual(held[i - 1]![1]);
    }
  }, 60_000);
});

/**
 * A holder under `prlimit --nofile=LIMIT` that opens files until the kernel refuses (EMFILE),
 * stays out of descriptors across many heartbeats, then frees them. Prints `lost: <reason>` if it
 * let go of the lock, else `kept <failed checks seen>`, and whether the lock still names it.
 */
function starvedHolder(stateDir: string): Promise<string> {
  const script = `
    const { openSync, closeSync, readFileSync } = await import("node:fs");
    const { acquireStateDirLock } = await import(${JSON.stringify(lockModule)});
    let failed = 0;
    const lost = [];
    const lock = await acquireStateDirLock(${JSON.stringify(stateDir)}, {
      staleAfterMs: 500,
      onLost: (reason) => lost.push(reason),
      onCheckFailed: () => failed++,
    });
    const fds = [];
    try {
      for (;;) fds.push(openSync("/dev/null", "r"));
    } catch (error) {
      if (error.code !== "EMFILE") throw error;
    }
    // Out of descriptors for at least ten heartbeats (one every 100 ms).
    const until = Date.now() + 1500;
    while (lost.length === 0 && (Date.now() < until || failed < 3)) await new Promise((r) => setTimeout(r, 50));
    for (const fd of fds) closeSync(fd);
    await new Promise((r) => setTimeout(r, 500));
    const owner = JSON.parse(readFileSync(${JSON.stringify(join("STATE", "codexd.lock"))}.replace("STATE", ${JSON.stringify(stateDir)}), "utf8"));
    process.stdout.write(lost.length ? "lost: " + lost[0] : "kept " + failed + " " + (owner.pid === process.pid ? "mine" : "not mine"));
    await lock.release();`;
  return new Promise((resolve, reject) => {
    const child = spawn("prlimit", ["--nofile=64", process.execPath, "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.once("error", reject);
    child.once("close", () => resolve(out));
  });
}

describe("state-dir lock under descriptor exhaustion", () => {
  it("keeps the lock while checks fail with EMFILE, and says the checks failed", async () => {
    const stateDir = join(dir, "starved");
    await mkdir(stateDir);
    const outcome = await starvedHolder(stateDir);
    expect(outcome).toMatch(/^kept [1-9]\d* mine$/);
  }, 30_000);
});
