/**
 * Crash torture: start the real daemon (`node dist/src/cli.js serve`, the fake app-server as its
 * child), drive a mixed load at it, kill -9 it at a seeded random moment, restart it on the same
 * state dir and check that nothing it acknowledged was lost (see scripts/torture/iteration.ts).
 *
 *   npm run torture -- [--iterations N] [--seed S] [--chain K] [--keep]
 *
 * --iterations  how many kill/restart cycles (default 30)
 * --seed        the seed of the whole run (default: random, printed); iteration i uses a seed
 *               derived from it, so `--seed S --iterations i` replays the same plan up to i
 *               (timing still varies: the kill lands at the same offset, not the same instruction)
 * --chain       iterations sharing one state dir before a fresh one is made (default 5), so
 *               later iterations recover a dir that has been through earlier kills
 * --keep        keep the state dirs (they are kept anyway when an iteration failed)
 * --lenient-reads  only warn when state seen through a plain read (GET /v1/runs,
 *               GET /v1/runs/{id}) was lost or changed by the kill; by default that fails the
 *               iteration, since a read answers only once what it shows is durable
 *
 * The load (scripts/torture/load.ts, sse.ts): runs with and without Idempotency-Key (fast,
 * [delay:MS], [approval:command] with policy accept/decline/manual, on shared sessions, timing
 * out, failing), replays of keys, cancels; sessions, turns, steers, interrupts, closes; manual
 * approvals decided through the API; reads and long-polls; three event streams (after=0, live
 * tail, resuming with Last-Event-ID). Every 2xx answer and every delivered event is recorded.
 *
 * Checked after each kill -9 (scripts/torture/disk.ts, verify.ts, iteration.ts):
 *  - on disk as the killed daemon left it: every JSON state file parses (none moved aside), the
 *    run archive parses, events.jsonl plus rotated files hold strictly increasing, gap-free seqs
 *    (only the live file may end in a torn record), every delivered event is there byte for byte;
 *  - the old child's process group (noted at the kill) has no live process once the new daemon
 *    is up (the fake leaves a grandchild that ignores stdin EOF, so this has teeth);
 *  - through the restarted daemon: every acknowledged run exists, terminal ones with the same
 *    status, running ones ended; every acknowledged session (closed ones closed, turnCount not
 *    behind) and turn exists; every run, session and turn an event of the killed daemon names
 *    exists; every acknowledged Idempotency-Key + body gives the same run again;
 *  - queued runs go on: every run and turn ends within 20 s;
 *  - every stream resumes from its last seq across the kill without a gap;
 *  - the restarted daemon stops on SIGTERM with exit 0 and leaves no child process; then on disk:
 *    nothing of the old log changed, the new boot's first seq is above every seq before the
 *    kill, every decision acknowledged is an approval.decided event, and every run's history in
 *    the log is legal (one end, never two).
 *
 * Prints one line per iteration and last `N passed, N failed`; exits 0 only if all passed.
 * TORTURE_PHASES=1 adds the time of each phase to the iteration lines; TORTURE_LOG_LEVEL sets
 * the daemons' log level (default warn; their output is shown when an iteration throws).
 * Every process it starts is killed on exit, also on Ctrl-C.
 */
import { randomInt, randomUUID } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runIteration } from "./torture/iteration.js";
import { Ledger } from "./torture/ledger.js";
import { cliPath, killTaggedSync, type DaemonProcess } from "./torture/proc.js";
import { Rng } from "./torture/rng.js";

const { values } = parseArgs({
  options: {
    iterations: { type: "string", default: "30" },
    seed: { type: "string" },
    chain: { type: "string", default: "5" },
    keep: { type: "boolean", default: false },
    "lenient-reads": { type: "boolean", default: false },
  },
});
const positive = (name: string, text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`torture: --${name} must be a positive integer, not ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return n;
};
const iterations = positive("iterations", values.iterations!);
const chain = positive("chain", values.chain!);
const seed = values.seed === undefined ? randomInt(1, 2 ** 31) : positive("seed", values.seed);

const tag = randomUUID();
const workDirs: string[] = [];
const keptDirs = new Set<string>();

function cleanupSync(): void {
  killTaggedSync(tag);
}
process.on("exit", cleanupSync);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    process.stdout.write(`\ntorture: ${signal}, killing everything it started\n`);
    cleanupSync();
    for (const dir of workDirs) if (!keptDirs.has(dir) && !values.keep) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}

const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

async function main(): Promise<number> {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run npm run build first`);
  process.stdout.write(`torture: ${iterations} iterations, seed ${seed}, ${chain} per state dir\n`);
  const seeds = new Rng(seed);
  const t0 = Date.now();
  let passed = 0;
  let failed = 0;
  let workDir = "";
  let ledger = new Ledger();
  for (let i = 1; i <= iterations; i++) {
    const iterationSeed = seeds.int(1, 2 ** 31 - 1);
    if ((i - 1) % chain === 0) {
      if (workDir && !keptDirs.has(workDir) && !values.keep) await rm(workDir, { recursive: true, force: true });
      workDir = await mkdtemp(join(tmpdir(), "codexd-torture-"));
      workDirs.push(workDir);
      ledger = new Ledger();
    }
    const started = Date.now();
    const daemons: DaemonProcess[] = [];
    const label = `[${String(i).padStart(String(iterations).length)}/${iterations}] seed ${iterationSeed}`;
    let lines: string[];
    let ok: boolean;
    try {
      const { findings, summary } = await runIteration({ index: i, seed: iterationSeed, workDir, tag, ledger }, (d) => daemons.push(d));
      const strict = values["lenient-reads"] !== true;
      ok = findings.problems.length === 0 && (!strict || findings.dirty.length === 0);
      lines = [
        `${label}: ${ok ? (findings.dirty.length > 0 ? "ok (with warnings)" : "ok") : "FAIL"} in ${elapsed(started)}: ${summary}`,
        ...findings.problems.slice(0, 15).map((p) => `    problem: ${p}`),
        ...(findings.problems.length > 15 ? [`    ... and ${findings.problems.length - 15} more problems`] : []),
        ...findings.dirty.slice(0, 10).map((p) => `    ${strict ? "problem" : "warning"}: read of state not yet durable: ${p}`),
        ...findings.notes.slice(0, 3).map((n) => `    note: ${n}`),
      ];
    } catch (error) {
      ok = false;
      lines = [`${label}: FAIL in ${elapsed(started)}: ${(error as Error).stack ?? String(error)}`];
      for (const d of daemons) lines.push(`    daemon ${d.pid} output (tail):\n${d.output().slice(-2000)}`);
    }
    for (const d of daemons) d.kill("SIGKILL");
    await Promise.all(daemons.map((d) => d.exited));
    if (ok) passed++;
    else {
      failed++;
      keptDirs.add(workDir);
      lines.push(`    state dir kept: ${workDir}`);
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  killTaggedSync(tag);
  for (const dir of workDirs) if (!keptDirs.has(dir) && !values.keep) await rm(dir, { recursive: true, force: true });
  process.stdout.write(`torture: seed ${seed}, ${elapsed(t0)}\n`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`torture: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
