/**
 * Crash durability of the state store, with real processes: test/fixtures/store-writer.mjs runs a
 * burst of concurrent mutations on the built store and prints a line per acknowledged mutation;
 * the test kill -9s it at a random moment mid-burst (after a random 200..3000 acknowledgements),
 * eight times on the same state dir, and checks that nothing acknowledged was lost.
 *
 * Each round checks:
 *  1. the disk as the killed process left it (a process crash: the page cache survives), reopened
 *     by the store: every acknowledged event, run, session and child state is there, JSON files
 *     parse, the next seq passes every earlier one;
 *  2. a power-loss model built from the writer's trace of fsync/fdatasync/rename calls: an
 *     append-only file keeps only what a completed sync covered; a JSON file keeps the newest
 *     version whose rename was followed by a completed fsync of its directory (and reads as empty
 *     if its temp file was not synced before the rename). The model is evaluated
 *     (a) at every acknowledgement: what was acknowledged must already be durable then, and
 *     (b) at the kill: the modelled dir is reopened by the store and checked like the real one.
 * A store that acknowledges before its data is synced passes 1 (kill -9 cannot tell) but fails 2.
 * Rounds vary the mix (events only, records only, both) and add random latency to every sync, so
 * that an acknowledgement racing its own sync is seen too.
 * Needs a build (`npm run build`; `npm test` builds first).
 */
import { randomInt } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CodexdEvent } from "../../schemas/events.js";
import { loadConfig } from "../../src/config.js";
import { StateStore } from "../../src/state/store.js";
import { repoRoot } from "../helpers/in-process-daemon.js";
import { killAll, spawnTracked } from "../helpers/processes.js";

const writer = join(repoRoot, "test", "fixtures", "store-writer.mjs");
/** Five crashes as asked, plus three more where an acknowledgement racing its sync is likeliest to show. */
const ROUND_PLAN = [
  { mix: "mixed", jitterMs: 0 },
  { mix: "events", jitterMs: 0 },
  { mix: "mixed", jitterMs: 2 },
  { mix: "records", jitterMs: 2 },
  { mix: "events", jitterMs: 2 },
  { mix: "records", jitterMs: 2 },
  { mix: "mixed", jitterMs: 2 },
  { mix: "records", jitterMs: 2 },
] as const;
const ROUNDS = ROUND_PLAN.length;
const RUN_RANK: Record<string, number> = { queued: 0, running: 1, completed: 2 };
/** Must match the writer's CODEXD_RUN_RETENTION and CODEXD_SESSION_RETENTION, so the store opens the same way. */
const RUN_RETENTION = "3";
const SESSION_RETENTION = "1000000";

let work: string;

beforeAll(async () => {
  if (!existsSync(join(repoRoot, "dist", "src", "state", "store.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  work = await mkdtemp(join(tmpdir(), "codexd-crash-"));
});
afterEach(async () => {
  await killAll();
});
afterAll(async () => {
  await killAll();
  if (work) await rm(work, { recursive: true, force: true });
});

/** What the writer acknowledged, accumulated over the rounds. */
interface Acks {
  events: Set<number>;
  runs: Map<string, number>;
  sessions: Map<string, number>;
  child: number;
  count: number;
}

/** A traced file-system call, as the writer prints it after "fs ". */
type FsLine =
  | { op: "sync"; path: string; size: number }
  | { op: "dirsync"; path: string; after: number }
  | { op: "rename"; from: string; to: string; snapshot: string | null };
/** ... and with the index of its line in the writer's output. */
type FsOp = FsLine & { i: number };

function recordAck(acks: Acks, line: string): void {
  const [, kind, a, b] = line.split(" ");
  if (kind === "event") acks.events.add(Number(a));
  else if (kind === "run") acks.runs.set(a!, Math.max(acks.runs.get(a!) ?? -1, RUN_RANK[b!]!));
  else if (kind === "session") acks.sessions.set(a!, Math.max(acks.sessions.get(a!) ?? -1, Number(b)));
  else if (kind === "child") acks.child = Math.max(acks.child, Number(a));
  else throw new Error(`unknown ack line ${JSON.stringify(line)}`);
  acks.count++;
}

/** Run the writer until `killAfter` acks arrived, then SIGKILL it; returns every complete line it printed. */
async function burstAndKill(
  stateDir: string,
  tag: string,
  plan: (typeof ROUND_PLAN)[number],
  killAfter: number,
  acks: Acks,
): Promise<{ lines: string[]; acked: number }> {
  const proc = spawnTracked(process.execPath, [writer, stateDir, tag, join(work, `snapshots-${tag}`)], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, STORE_WRITER_MIX: plan.mix, STORE_WRITER_JITTER_MS: String(plan.jitterMs) },
  });
  const lines: string[] = [];
  let partial = "";
  let acked = 0;
  let killed = false;
  proc.child.stdout!.on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if (!line.startsWith("ack ")) continue;
      recordAck(acks, line);
      acked++;
    }
    if (!killed && acked >= killAfter) {
      killed = true;
      proc.child.kill("SIGKILL");
    }
  });
  const exit = await proc.waitExit(20_000);
  // A partial last line was never fully written: it acknowledges nothing.
  expect(killed, `the writer ended before it was killed (exit ${JSON.stringify(exit)}):\n${proc.stderr()}`).toBe(true);
  expect(exit.signal).toBe("SIGKILL");
  expect(proc.stderr()).toBe("");
  return { lines, acked };
}

/** Seqs of the complete lines of a JSONL event log; a torn last line (no newline) is allowed. */
function eventSeqs(text: string, where: string): number[] {
  const pieces = text.split("\n");
  pieces.pop(); // "" after the final newline, or a torn tail the store will cut
  const seqs: number[] = [];
  for (const [n, line] of pieces.entries()) {
    let event: CodexdEvent;
    try {
      event = JSON.parse(line) as CodexdEvent;
    } catch {
      throw new Error(`${where}: line ${n + 1} of ${pieces.length} is not JSON: ${line.slice(0, 120)}`);
    }
    seqs.push(event.seq);
  }
  for (let i = 1; i < seqs.length; i++) {
    if (!(seqs[i]! > seqs[i - 1]!)) throw new Error(`${where}: seq ${seqs[i]} follows ${seqs[i - 1]} (duplicate or out of order)`);
  }
  return seqs;
}

const summarize = (label: string, items: string[], noun = "lost") => `${label}: ${items.length} ${noun}, e.g.\n  ${items.slice(0, 8).join("\n  ")}`;

/** Every acknowledged event seq is in events.jsonl (exactly once: the seqs are strictly increasing). */
async function checkEventLog(stateDir: string, acks: Acks, where: string): Promise<number> {
  const path = join(stateDir, "events.jsonl");
  const seqs = eventSeqs(existsSync(path) ? await readFile(path, "utf8") : "", where);
  const present = new Set(seqs);
  const missing = [...acks.events].filter((s) => !present.has(s)).map(String);
  expect(missing, summarize(`${where}: acknowledged events`, missing)).toEqual([]);
  return seqs.at(-1) ?? 0;
}

/** Open the store (recovering as at a daemon start) and check every acknowledged record and the next seq. */
async function checkReopenedStore(stateDir: string, acks: Acks, seqsBefore: number, where: string): Promise<void> {
  const config = loadConfig({ cwd: stateDir, env: { CODEXD_STATE_DIR: stateDir, CODEXD_RUN_RETENTION: RUN_RETENTION, CODEXD_SESSION_RETENTION: SESSION_RETENTION }, flags: {} });
  const store = new StateStore(config);
  await store.initialize();
  try {
    const lostRuns: string[] = [];
    for (const [runId, rank] of acks.runs) {
      const run = await store.getRun(runId);
      if (!run || (RUN_RANK[run.status] ?? -1) < rank) lostRuns.push(`${runId}:${run?.status ?? "missing"}<${Object.keys(RUN_RANK)[rank]}`);
    }
    expect(lostRuns, summarize(`${where}: acknowledged run states`, lostRuns)).toEqual([]);

    const lostSessions: string[] = [];
    for (const [sessionId, version] of acks.sessions) {
      const session = store.getSession(sessionId);
      if (!session || (session.turnCount ?? -1) < version) lostSessions.push(`${sessionId}:${session?.turnCount ?? "missing"}<${version}`);
    }
    expect(lostSessions, summarize(`${where}: acknowledged session versions`, lostSessions)).toEqual([]);

    expect(store.getChildState().restartCount ?? 0, `${where}: acknowledged child state`).toBeGreaterThanOrEqual(acks.child);

    // Damage to a JSON file would mean a non-atomic write. Expected after a kill: a torn
    // event-log tail, and the temp files of atomic writes the kill interrupted.
    const recovered = await store.queryEvents({ after: seqsBefore, limit: 1000, type: "state.recovered" });
    const unexpected = recovered.events.filter((e) => e.detail?.problem !== "torn-tail" && e.detail?.problem !== "abandoned-temp-files");
    expect(unexpected.map((e) => e.message), `${where}: recoveries`).toEqual([]);

    const maxAcked = Math.max(0, ...acks.events);
    const next = await store.recordEvent({ level: "info", type: "crash.probe", message: `after ${where}` });
    expect(next.seq, `${where}: the next seq must pass every seq before the kill (${seqsBefore}) and every acknowledged one (${maxAcked})`).toBeGreaterThan(
      Math.max(seqsBefore, maxAcked),
    );
  } finally {
    await store.close();
  }
}

/** Every JSON state file (and its .bak) parses; no file had to be moved aside. */
async function checkJsonFiles(stateDir: string, where: string): Promise<void> {
  const names = await readdir(stateDir);
  expect(names.filter((n) => n.includes(".corrupt-")), `${where}: files moved aside`).toEqual([]);
  const json = names.filter((n) => !n.startsWith(".") && /\.json(\.bak)?$/.test(n));
  expect(json).toEqual(expect.arrayContaining(["identity.json", "daemon-state.json", "session-registry.json", "run-registry.json"]));
  for (const name of json) {
    const text = await readFile(join(stateDir, name), "utf8");
    expect(() => JSON.parse(text), `${where}: ${name} parses`).not.toThrow();
  }
}

/** For each complete line of a JSONL file: its key and the byte offset just past its newline. */
function lineEnds(buf: Buffer, key: (record: Record<string, unknown>) => unknown): { ends: Map<unknown, number>; completeEnd: number } {
  const ends = new Map<unknown, number>();
  let start = 0;
  let completeEnd = 0;
  for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
    try {
      ends.set(key(JSON.parse(buf.toString("utf8", start, nl)) as Record<string, unknown>), nl + 1);
      completeEnd = nl + 1;
    } catch {
      /* not a record: the store would cut it */
    }
    start = nl + 1;
  }
  return { ends, completeEnd };
}

const readIfExists = async (path: string) => (existsSync(path) ? await readFile(path) : Buffer.alloc(0));

/**
 * The state dir as a power loss right at the kill would leave it, given the trace: start from the
 * state at the beginning of the round (assumed durable) and apply only what the traced syncs made
 * durable.
 */
async function powerLossModel(stateDir: string, baseline: string, lines: string[], model: string): Promise<void> {
  const ops: FsOp[] = [];
  lines.forEach((line, i) => {
    if (line.startsWith("fs ")) ops.push({ i, ...(JSON.parse(line.slice(3)) as FsLine) });
  });
  await cp(baseline, model, { recursive: true });

  for (const name of ["events.jsonl", "run-archive.jsonl"]) {
    const real = join(stateDir, name);
    const lastSync = ops.filter((o): o is Extract<FsOp, { op: "sync" }> => o.op === "sync" && o.path === real).at(-1);
    // Without a sync this round, what the store kept at open (the baseline cut to its last complete line).
    const durable = lastSync ? lastSync.size : lineEnds(await readIfExists(join(baseline, name)), (r) => r.seq ?? r.runId).completeEnd;
    await writeFile(join(model, name), (await readIfExists(real)).subarray(0, durable));
  }

  const renames = ops.filter((o): o is Extract<FsOp, { op: "rename" }> => o.op === "rename" && o.snapshot !== null && dirname(o.to) === stateDir);
  for (const target of new Set(renames.map((r) => r.to))) {
    const durable = renames
      .filter((r) => r.to === target && ops.some((o) => o.op === "dirsync" && o.path === stateDir && o.after > r.i))
      .at(-1);
    if (!durable) continue; // no rename of it reached the disk for sure: the baseline version stands
    const snapshot = await readFile(durable.snapshot!);
    const synced = ops.some((o) => o.op === "sync" && o.path === durable.from && o.i < durable.i && o.size === snapshot.length);
    await writeFile(join(model, basename(target)), synced ? snapshot : Buffer.alloc(0));
  }
}

const MAX_VIOLATIONS = 200;

/**
 * The power-loss model evaluated at every moment of the round, walking the writer's output in
 * order: when a mutation is acknowledged it must already be durable, and from then on it must stay
 * durable whenever the durable state changes (a run leaving run-registry.json must be in the
 * synced part of the archive first, a new registry version must not drop or regress a record).
 * `before` holds what earlier rounds acknowledged. Returns the violations found.
 */
async function durabilityViolations(stateDir: string, baseline: string, lines: string[], before: Acks): Promise<string[]> {
  const eventsPath = join(stateDir, "events.jsonl");
  const archivePath = join(stateDir, "run-archive.jsonl");
  const runsPath = join(stateDir, "run-registry.json");
  const sessionsPath = join(stateDir, "session-registry.json");
  const daemonPath = join(stateDir, "daemon-state.json");
  const events = lineEnds(await readIfExists(eventsPath), (r) => r.seq);
  const archive = lineEnds(await readIfExists(archivePath), (r) => r.runId);
  // The store cuts a torn tail back to the last complete line at open; that much is durable from the start.
  let eventsDurable = lineEnds(await readIfExists(join(baseline, "events.jsonl")), (r) => r.seq).completeEnd;
  let archiveDurable = lineEnds(await readIfExists(join(baseline, "run-archive.jsonl")), (r) => r.runId).completeEnd;

  // The durable version of each JSON file, parsed and indexed: records by id, or null when it may read as empty.
  type Version = { i: number; records: Map<string, Record<string, unknown>> | null; doc: Record<string, unknown> | null };
  const load = async (i: number, file: string | null, listKey?: string, idKey?: string): Promise<Version> => {
    if (file === null || !existsSync(file)) return { i, records: null, doc: null };
    const doc = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    const records = listKey && idKey ? new Map((doc[listKey] as Record<string, unknown>[]).map((r) => [r[idKey] as string, r])) : null;
    return { i, records, doc };
  };
  const shape: Record<string, [string, string] | []> = { [runsPath]: ["runs", "runId"], [sessionsPath]: ["sessions", "sessionId"], [daemonPath]: [] };
  const durable = new Map<string, Version>();
  for (const target of Object.keys(shape)) durable.set(target, await load(-1, join(baseline, basename(target)), ...shape[target]!));

  const runs = new Map(before.runs);
  const sessions = new Map(before.sessions);
  let child = before.child;
  const violations: string[] = [];
  const report = (i: number, what: string) => {
    if (violations.length < MAX_VIOLATIONS) violations.push(`line ${i}: ${what}`);
  };

  const runProblem = (runId: string, rank: number): string | null => {
    const run = durable.get(runsPath)!.records?.get(runId);
    if (run && (RUN_RANK[run.status as string] ?? -1) >= rank) return null;
    const end = archive.ends.get(runId);
    if (end !== undefined && end <= archiveDurable) return null;
    return `durable registry has ${run ? String(run.status) : "no such run"}, and it is not in the synced archive`;
  };
  const sessionProblem = (sessionId: string, version: number): string | null => {
    const session = durable.get(sessionsPath)!.records?.get(sessionId);
    if (session && ((session.turnCount as number | undefined) ?? -1) >= version) return null;
    return `durable registry has ${session ? `version ${String(session.turnCount)}` : "no such session"}`;
  };
  const childCount = () => {
    const doc = durable.get(daemonPath)!.doc;
    return ((doc?.child as Record<string, unknown> | undefined)?.restartCount as number | undefined) ?? 0;
  };
  const recheck = (i: number, target: string) => {
    if (target === runsPath) {
      for (const [runId, rank] of runs) {
        const problem = runProblem(runId, rank);
        if (problem) report(i, `acknowledged run ${runId} (${Object.keys(RUN_RANK)[rank]}) lost: ${problem}`);
      }
    } else if (target === sessionsPath) {
      for (const [sessionId, version] of sessions) {
        const problem = sessionProblem(sessionId, version);
        if (problem) report(i, `acknowledged session ${sessionId} (version ${version}) lost: ${problem}`);
      }
    } else if (childCount() < child) report(i, `acknowledged child restartCount ${child} lost: durable daemon-state.json has ${childCount()}`);
  };

  const syncedTmp = new Map<string, number>();
  const pending: { i: number; from: string; to: string; snapshot: string }[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.startsWith("fs ")) {
      const op = JSON.parse(line.slice(3)) as FsLine;
      if (op.op === "sync") {
        if (op.path === eventsPath) eventsDurable = op.size;
        else if (op.path === archivePath) {
          const shrank = op.size < archiveDurable;
          archiveDurable = op.size;
          if (shrank) recheck(i, runsPath);
        } else syncedTmp.set(op.path, op.size);
      } else if (op.op === "rename") {
        if (op.snapshot && op.to in shape) pending.push({ i, from: op.from, to: op.to, snapshot: op.snapshot });
      } else if (op.path === stateDir) {
        // Renames that completed before this directory fsync began are now durable; the newest wins.
        const covered = pending.filter((p) => p.i < op.after);
        for (const r of covered) pending.splice(pending.indexOf(r), 1);
        for (const target of new Set(covered.map((r) => r.to))) {
          const newest = covered.filter((r) => r.to === target).at(-1)!;
          if (durable.get(target)!.i > newest.i) continue;
          const synced = syncedTmp.get(newest.from) === (await readFile(newest.snapshot)).length;
          durable.set(target, await load(newest.i, synced ? newest.snapshot : null, ...shape[target]!));
          recheck(i, target);
        }
      }
      continue;
    }
    if (!line.startsWith("ack ")) continue;
    const [, kind, a, b] = line.split(" ") as [string, string, string, string | undefined];
    if (kind === "event") {
      const end = events.ends.get(Number(a));
      if (end === undefined || end > eventsDurable) report(i, `"${line}" before it was durable: ${end === undefined ? "not in events.jsonl" : `ends at byte ${end}, synced up to ${eventsDurable}`}`);
    } else if (kind === "run") {
      const rank = Math.max(runs.get(a) ?? -1, RUN_RANK[b!]!);
      runs.set(a, rank);
      const problem = runProblem(a, rank);
      if (problem) report(i, `"${line}" before it was durable: ${problem}`);
    } else if (kind === "session") {
      const version = Math.max(sessions.get(a) ?? -1, Number(b));
      sessions.set(a, version);
      const problem = sessionProblem(a, version);
      if (problem) report(i, `"${line}" before it was durable: ${problem}`);
    } else if (kind === "child") {
      child = Math.max(child, Number(a));
      if (childCount() < child) report(i, `"${line}" before it was durable: durable daemon-state.json has restartCount ${childCount()}`);
    }
  }
  return violations;
}

const cloneAcks = (acks: Acks): Acks => ({ ...acks, events: new Set(acks.events), runs: new Map(acks.runs), sessions: new Map(acks.sessions) });

describe("state store under kill -9", () => {
  // Eight rounds of real processes, each writing thousands of durable mutations: on a machine
  // whose cores are all busy (`stress --cpu 2` beside the suite) that took over two minutes, so
  // the limit is only there to catch a hang.
  it(`keeps every acknowledged mutation through ${ROUNDS} crashes at random moments`, { timeout: 900_000 }, async () => {
    const stateDir = join(work, "state");
    const acks: Acks = { events: new Set(), runs: new Map(), sessions: new Map(), child: 0, count: 0 };
    const targets: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const plan = ROUND_PLAN[round - 1]!;
      const killAfter = randomInt(200, 3000);
      targets.push(killAfter);
      const where = `round ${round} (${plan.mix}, sync jitter ${plan.jitterMs} ms, killed after ${killAfter} acks; targets so far ${targets.join(",")})`;

      const baseline = join(work, `baseline-${round}`);
      if (existsSync(stateDir)) await cp(stateDir, baseline, { recursive: true });
      else await mkdir(baseline, { recursive: true });

      const before = cloneAcks(acks);
      const { lines, acked } = await burstAndKill(stateDir, `c${round}`, plan, killAfter, acks);
      expect(acked).toBeGreaterThanOrEqual(killAfter);
      expect(lines.some((l) => l.startsWith("fs ")), "the writer traced no file-system calls").toBe(true);

      // 1) The disk as the killed process left it.
      await checkJsonFiles(stateDir, `${where}, on disk`);
      const seqsBefore = await checkEventLog(stateDir, acks, `${where}, on disk`);

      // 2a) The power-loss model at every moment of the round.
      const violations = await durabilityViolations(stateDir, baseline, lines, before);
      expect(violations, summarize(`${where}: power-loss model during the burst`, violations, "violations")).toEqual([]);

      // 2b) The power-loss model at the kill (built before the real dir is reopened, which repairs and appends).
      const model = join(work, `model-${round}`);
      await powerLossModel(stateDir, baseline, lines, model);
      const modelSeqs = await checkEventLog(model, acks, `${where}, power-loss model`);
      await checkReopenedStore(model, acks, modelSeqs, `${where}, power-loss model`);

      await checkReopenedStore(stateDir, acks, seqsBefore, `${where}, on disk`);

      await rm(model, { recursive: true, force: true });
      await rm(baseline, { recursive: true, force: true });
      await rm(join(work, `snapshots-c${round}`), { recursive: true, force: true });
    }
    expect(acks.events.size).toBeGreaterThan(ROUNDS * 100);
    expect(acks.runs.size).toBeGreaterThan(0);
    expect(acks.sessions.size).toBeGreaterThan(0);
    expect(acks.child).toBeGreaterThan(0);
  });
});
