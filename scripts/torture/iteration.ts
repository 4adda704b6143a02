/**
 * One iteration: start the daemon on the state dir, drive the mixed load, kill -9 it at a seeded
 * moment, check the disk as it was left, restart on the same dir, check everything acknowledged
 * through the API and the disk, let the queued work finish, resume the streams across the kill,
 * stop the daemon gracefully and check the disk once more.
 */
import { join } from "node:path";
import { checkJsonFiles, checkLifecycles, scanEvents, type EventScan } from "./disk.js";
import type { Ledger } from "./ledger.js";
import { approver, reader, runCreator, sessionWorker, type LoadContext } from "./load.js";
import { childGroups, liveGroupMembers, sleep, startDaemon, type DaemonProcess } from "./proc.js";
import { Rng } from "./rng.js";
import { startReaders } from "./sse.js";
import { checkIdempotency, checkNamedByEvents, checkRecords, settle, type Findings } from "./verify.js";

export interface IterationSetup {
  index: number;
  seed: number;
  /** Work dir of the chain: the daemon's cwd; state in `state/`. */
  workDir: string;
  tag: string;
  ledger: Ledger;
}

export interface IterationResult {
  findings: Findings;
  summary: string;
}

const SHARED_SESSIONS = 3;

export function daemonEnv(workDir: string): Record<string, string> {
  return {
    CODEXD_LOG_LEVEL: process.env.TORTURE_LOG_LEVEL ?? "warn",
    // The load changes things far faster than the default 600 per minute allows.
    CODEXD_RATE_LIMIT_PER_MINUTE: "0",
    // Small limits, so retention, archive, rotation and replay from disk all happen.
    CODEXD_RUN_RETENTION: "25",
    CODEXD_EVENT_CACHE_SIZE: "200",
    CODEXD_EVENT_LOG_MAX_BYTES: String(256 * 1024),
    CODEXD_EVENT_LOG_KEEP_FILES: "1000",
    CODEXD_RUN_CONCURRENCY: "6",
    CODEXD_APPROVAL_TIMEOUT_MS: "2000",
    CODEXD_SSE_HEARTBEAT_MS: "1000",
    CODEXD_CHILD_CWD: workDir,
    // The fake leaves a grandchild in its group that ignores stdin EOF: the orphan check has teeth.
    FAKE_APP_SERVER_FAULTS: "grandchild",
    FAKE_STATE_DIR: join(workDir, "fake-threads"),
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

async function childState(d: DaemonProcess): Promise<{ pgid: number | null; status: string }> {
  const reply = await d.api.get("/v1/child");
  return { pgid: (reply.body?.pgid as number | null) ?? null, status: String(reply.body?.status) };
}

export async function runIteration(setup: IterationSetup, started: (d: DaemonProcess) => void): Promise<IterationResult> {
  const { workDir, tag, ledger } = setup;
  const stateDir = join(workDir, "state");
  const rng = new Rng(setup.seed);
  ledger.iteration = setup.index;
  const f: Findings = { problems: [], dirty: [], notes: [], forget: new Set() };
  const phases: string[] = [];
  let lastMark = Date.now();
  const mark = (name: string) => {
    phases.push(`${name} ${Date.now() - lastMark}`);
    lastMark = Date.now();
  };
  const env = daemonEnv(workDir);
  // Mostly mid-load; sometimes right at the start of it, sometimes late.
  const killAt = rng.chance(0.1) ? rng.int(0, 150) : rng.int(300, 2500);

  mark("start1");
  const d1 = await startDaemon({ stateDir, cwd: workDir, tag, env });
  started(d1);
  const ready = await d1.api.post("/v1/child/wait?condition=ready&timeoutMs=10000");
  if (ready.body?.matched !== true) f.problems.push(`child not ready before the load: ${JSON.stringify(ready.body).slice(0, 300)}`);
  const before = await childState(d1);
  const killedBoot = ((await d1.api.get("/v1/status")).body as { daemon: { bootId: string } }).daemon.bootId;
  const streamedBefore = ledger.streamed.size;
  const runsBefore = ledger.runs.size;
  for (let open = ledger.sharedSessions().length; open < SHARED_SESSIONS; open++) {
    const reply = await d1.api.post("/v1/sessions", { metadata: { torture: `shared-${setup.index}-${open}` } });
    if (reply.status === 201) Object.assign(ledger.session(reply.body.sessionId, true), { durable: true });
    else f.problems.push(`POST /v1/sessions (shared): ${reply.status}`);
  }

  mark("ready");
  // ---- load, then kill -9 ----
  let stopped = false;
  const ctx: LoadContext = { api: d1.api, ledger, rng: rng.fork("load"), label: `i${setup.index}`, stopped: () => stopped, anomalies: [], counts: new Map() };
  const streams = startReaders(d1.api, ledger, rng.fork("streams"), () => stopped);
  const workers = Promise.all([runCreator(ctx, 0), runCreator(ctx, 1), runCreator(ctx, 2), reader(ctx), sessionWorker(ctx), approver(ctx)]);
  await sleep(killAt);
  const groups = new Set([before.pgid, ...childGroups(d1.pid)].filter((g): g is number => typeof g === "number" && g > 1));
  stopped = true;
  d1.kill("SIGKILL");
  mark("killed");
  await d1.exited;
  for (const r of streams.readers) r.stop();
  const drained = await Promise.race([Promise.all([workers, streams.done]).then(() => true), sleep(15_000).then(() => false)]);
  if (!drained) f.problems.push("the load did not stop within 15 s of the kill");
  mark("drained");
  await d1.api.close();
  f.problems.push(...ctx.anomalies.map((a) => `before the kill: ${a}`));
  ledger.applyStreamed();

  // ---- the disk as the killed daemon left it ----
  await checkJsonFiles(stateDir, f.problems, "at the kill", true);
  const atKill = await scanEvents(stateDir, true, f.problems, "at the kill");
  checkStreamedOnDisk(ledger, atKill, f, "at the kill");
  const orphansAtKill = [...groups].flatMap((g) => liveGroupMembers(g));

  mark("diskA");
  // ---- restart on the same dir ----
  const d2 = await startDaemon({ stateDir, cwd: workDir, tag, env });
  started(d2);
  const now = await childState(d2);
  for (const g of groups) {
    if (g === now.pgid) continue;
    const members = liveGroupMembers(g);
    if (members.length > 0) f.problems.push(`old child group ${g} still has live processes ${members.join(", ")} once the new daemon is up`);
  }
  mark("start2");
  const status = (await d2.api.get("/v1/status")).body as { daemon: { bootId: string } };
  const bootId = status.daemon.bootId;
  await checkRecords(d2.api, ledger, f);
  await checkNamedByEvents(d2.api, atKill.events.filter((e) => e.bootId === killedBoot), f);
  const replays = await checkIdempotency(d2.api, ledger, f);

  mark("records");
  // Queued runs go on; manual approvals are decided (or expire) meanwhile.
  let settling = true;
  const ctx2: LoadContext = { ...ctx, api: d2.api, rng: rng.fork("settle"), stopped: () => !settling, anomalies: [] };
  const deciding = approver(ctx2);
  const settleMs = await settle(d2.api, ledger, f, 20_000);
  settling = false;
  await deciding;
  f.problems.push(...ctx2.anomalies.map((a) => `after the restart: ${a}`));

  mark("settled");
  // Every stream resumes from its last seq across the kill, without a gap.
  const target = ((await d2.api.get("/v1/status")).body as { events: { lastSeq: number } }).events.lastSeq;
  await Promise.all(streams.readers.map((r) => r.resumeTo(d2.api, target, 10_000)));
  for (const r of streams.readers) f.problems.push(...r.problems);

  mark("resumed");
  // ---- graceful stop, then the disk once more ----
  const last = await childState(d2);
  d2.kill("SIGTERM");
  const exit = await Promise.race([d2.exited, sleep(20_000).then(() => null)]);
  if (!exit) {
    f.problems.push("the restarted daemon did not exit within 20 s of SIGTERM");
    d2.kill("SIGKILL");
    await d2.exited;
  } else if (exit.code !== 0) f.problems.push(`the restarted daemon exited with ${exit.code ?? exit.signal} on SIGTERM`);
  await d2.api.close();
  if (last.pgid && liveGroupMembers(last.pgid).length > 0) f.problems.push(`child group ${last.pgid} still alive after a graceful stop: ${liveGroupMembers(last.pgid).join(", ")}`);

  mark("stopped");
  await checkJsonFiles(stateDir, f.problems, "after the restart", false);
  const after = await scanEvents(stateDir, false, f.problems, "after the restart");
  for (const e of atKill.events) {
    if (after.bySeq.get(e.seq)?.line !== e.line) {
      f.problems.push(`seq ${e.seq} (${e.type}) on disk at the kill is ${after.bySeq.has(e.seq) ? "different" : "gone"} after the restart`);
      break;
    }
  }
  const newBoot = after.events.filter((e) => e.bootId === bootId);
  if (newBoot.length === 0) f.problems.push(`no event of the new boot ${bootId} on disk`);
  else if (newBoot[0]!.seq <= atKill.maxSeq) f.problems.push(`the new boot's first seq ${newBoot[0]!.seq} is not above the last seq before the kill ${atKill.maxSeq}`);
  checkStreamedOnDisk(ledger, after, f, "after the restart");
  checkDecisions(ledger, after, f);
  checkLifecycles(after, new Set([killedBoot, bootId]), f.problems, f.forget);
  for (const runId of f.forget) ledger.forget(runId);
  const orphanKills = newBoot.filter((e) => e.type === "child.orphan_killed").length;

  mark("diskB");
  const counts = [
    `kill@${killAt}ms`,
    `${[...ctx.counts.values()].reduce((a, b) => a + b, 0)} answers`,
    plural(ledger.runs.size - runsBefore, "run"),
    `${ledger.sessions.size} sessions`,
    `${ledger.currentTurns().length} turns`,
    `${ledger.decisions.size} decisions`,
    `${ledger.streamed.size - streamedBefore} streamed`,
    `${replays} keys replayed`,
    `seq ${atKill.maxSeq}${atKill.tornBytes ? ` (+${atKill.tornBytes}B torn)` : ""} -> ${newBoot[0]?.seq ?? "?"}`,
    `orphans ${orphansAtKill.length} (killed ${orphanKills})`,
    `settled in ${(settleMs / 1000).toFixed(1)}s`,
  ];
  if (process.env.TORTURE_PHASES) counts.push(`phases ms: ${phases.join(" ")}`);
  return { findings: f, summary: counts.join(", ") };
}

/** Every event delivered on a stream is on disk, byte for byte. */
function checkStreamedOnDisk(ledger: Ledger, scan: EventScan, f: Findings, where: string): void {
  let missing = 0;
  for (const [seq, data] of ledger.streamed) {
    const line = scan.bySeq.get(seq)?.line;
    if (line === data) continue;
    if (missing++ < 5) f.problems.push(`${where}: event seq ${seq} was delivered on a stream but is ${line === undefined ? "not on disk" : "different on disk"}`);
  }
  if (missing > 5) f.problems.push(`${where}: ${missing} delivered events in all are not on disk as delivered`);
}

/** Every decision acknowledged through the API is an approval.decided event on disk. */
function checkDecisions(ledger: Ledger, scan: EventScan, f: Findings): void {
  const decided = new Map<string, unknown>();
  for (const e of scan.events) {
    if (e.type === "approval.decided" && e.detail && e.detail.decidedBy === "operator") decided.set(String(e.detail.approvalId), e.detail.decision);
  }
  for (const [approvalId, decision] of ledger.decisions) {
    if (!decided.has(approvalId)) f.problems.push(`approval ${approvalId}: decision ${JSON.stringify(decision)} acknowledged, no approval.decided event on disk`);
    else if (JSON.stringify(decided.get(approvalId)) !== JSON.stringify(decision)) f.problems.push(`approval ${approvalId}: acknowledged ${JSON.stringify(decision)}, on disk ${JSON.stringify(decided.get(approvalId))}`);
  }
}
