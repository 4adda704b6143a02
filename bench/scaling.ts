/**
 * Scaling benchmark: does the cost of a read, a start and a stop grow with history?
 *
 *   npm run bench -- scaling
 *
 * A template state is made by a real daemon (fake app-server child): TEMPLATE_RUNS runs, their
 * sessions and events. From it, for each size N in SIZES (1,000, 10,000, 50,000 runs) a state
 * dir is written directly (much faster than running N runs): N finished runs (the newest 1,000
 * in run-registry.json, the rest in the run archive, as retention leaves them), the sessions
 * retention leaves (1,000 idle, 1,000 closed), and 20 N events (20,000, 200,000, 1,000,000) in
 * event-log files rotated at the default 64 MiB (keepFiles raised so that none is dropped).
 * Every record is a template record with its own ids, seq and times.
 *
 * For each size, on a daemon started on that state:
 *   start     spawn to GET /readyz 200 (store loaded, child ready), START_REPEATS times; and
 *             SIGTERM to exit (graceful stop: settle runs, stop the child, flush state)
 *   cursor    GET /v1/events?after=X&limit=100 for X = last-100 (the cached tail), last-1000,
 *             the middle of the log and the oldest seq (read from disk): SEQ_REQUESTS sequential
 *             requests each (p50 / p99), and autocannon 50 connections for CANNON_S each (req/s)
 *   lists     GET /v1/runs?limit=50, its second page, GET /v1/sessions?limit=50: autocannon
 * Targets: a cursor read from disk within 2x of the cached tail (req/s >= 0.5x) at every size;
 * start, stop and list pages at 50k within 2x of 1k.
 *
 * SCALING_BENCH_SIZES (e.g. "1000,10000"), _CANNON_S (3), _SEQ_REQUESTS (200) change the sizes;
 * LOAD_BENCH_DAEMON_CLI runs another build of the daemon (to compare with an older one).
 */
import { createWriteStream, writeFileSync, type WriteStream } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { request } from "undici";
import { fmt, log, machineInfo, percentile, round, withTempDir } from "./lib/common.js";
import { CLI, http, loadAverage, measure, runMain, seedRuns, startDaemon, stop, warm, type Server } from "./lib/http-load.js";

const env = (name: string) => process.env[`SCALING_BENCH_${name}`];
const SIZES = (env("SIZES") ?? "1000,10000,50000").split(",").map(Number);
const CANNON_S = Number(env("CANNON_S") ?? 3);
const SEQ_REQUESTS = Number(env("SEQ_REQUESTS") ?? 200);
const START_REPEATS = 2;
const TEMPLATE_RUNS = 20;
const EVENTS_PER_RUN = 20;
const RETAINED_RUNS = 1000;
const RETAINED_SESSIONS = 1000;
const LOG_MAX_BYTES = 64 * 1024 * 1024;
const DAEMON_ENV = { CODEXD_EVENT_LOG_KEEP_FILES: "100" };

interface Template {
  run: Record<string, unknown>;
  session: Record<string, unknown>;
  events: Array<Record<string, unknown>>;
  identity: string;
  daemonState: Record<string, unknown>;
}

/** A few real runs by a real daemon: the records every generated one copies. */
async function makeTemplate(): Promise<Template> {
  return withTempDir("scaling-template", async (dir) => {
    const { server } = await startDaemon(dir);
    try {
      await seedRuns(server.url, TEMPLATE_RUNS, (i) => `[reply:ok] template ${i}`, 5);
    } finally {
      await stop(server);
    }
    const state = join(dir, "state");
    const runs = JSON.parse(await readFile(join(state, "run-registry.json"), "utf8")).runs as Array<Record<string, unknown>>;
    const run = runs.find((r) => r.status === "completed")!;
    const sessions = JSON.parse(await readFile(join(state, "session-registry.json"), "utf8")).sessions as Array<Record<string, unknown>>;
    const session = sessions.find((s) => s.sessionId === run.sessionId) ?? sessions[0]!;
    const lines = (await readFile(join(state, "events.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const events = lines.filter((e) => e.runId === run.runId || e.sessionId === run.sessionId).slice(0, EVENTS_PER_RUN);
    while (events.length < EVENTS_PER_RUN) events.push(events[events.length % Math.max(1, events.length)]!);
    return {
      run,
      session,
      events,
      identity: await readFile(join(state, "identity.json"), "utf8"),
      daemonState: JSON.parse(await readFile(join(state, "daemon-state.json"), "utf8")),
    };
  });
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Write the state dir for `n` runs and 20 n events; returns the last seq. */
async function writeState(dir: string, n: number, t: Template): Promise<number> {
  const state = join(dir, "state");
  await mkdir(state, { recursive: true, mode: 0o700 });
  const base = Date.parse("2026-01-01T00:00:00Z");
  const runOf = (k: number) => ({
    ...t.run,
    runId: `run-${k}`,
    sessionId: `sess-${k}`,
    threadId: `thread-${k}`,
    turnId: `turn-${k}`,
    createdAt: iso(base + k * 1000),
    startedAt: iso(base + k * 1000 + 5),
    finishedAt: iso(base + k * 1000 + 50),
    updatedAt: iso(base + k * 1000 + 50),
    metadata: { seed: k },
    idempotencyKey: null,
  });
  const archive = createWriteStream(join(state, "run-archive.jsonl"), { mode: 0o600 });
  for (let k = 0; k < n - RETAINED_RUNS; k++) await write(archive, `${JSON.stringify(runOf(k))}\n`);
  await end(archive);
  const retained = Array.from({ length: Math.min(n, RETAINED_RUNS) }, (_, j) => runOf(Math.max(0, n - RETAINED_RUNS) + j));
  await writeFile(join(state, "run-registry.json"), `${JSON.stringify({ updatedAt: iso(base + n * 1000), runs: retained })}\n`, { mode: 0o600 });
  const sessions = [];
  for (let k = Math.max(0, n - 2 * RETAINED_SESSIONS); k < n; k++) {
    const closed = k < n - RETAINED_SESSIONS;
    sessions.push({
      ...t.session,
      sessionId: `sess-${k}`,
      threadId: `thread-${k}`,
      status: closed ? "closed" : "idle",
      currentTurnId: null,
      createdAt: iso(base + k * 1000),
      updatedAt: iso(base + k * 1000 + 50),
      ...(closed ? { closedAt: iso(base + k * 1000 + 60) } : {}),
      metadata: { runId: `run-${k}` },
    });
  }
  await writeFile(join(state, "session-registry.json"), `${JSON.stringify({ updatedAt: iso(base + n * 1000), sessions })}\n`, { mode: 0o600 });
  await writeFile(join(state, "identity.json"), t.identity, { mode: 0o600 });

  // Events oldest first into files of up to 64 MiB; then named as rotation names them (.1 newest rotated).
  const total = n * EVENTS_PER_RUN;
  const files: string[] = [];
  let stream: WriteStream | null = null;
  let bytes = 0;
  for (let seq = 1; seq <= total; seq++) {
    const k = Math.floor((seq - 1) / EVENTS_PER_RUN);
    const tpl = t.events[(seq - 1) % EVENTS_PER_RUN]!;
    const event = { ...tpl, seq, createdAt: iso(base + k * 1000 + ((seq - 1) % EVENTS_PER_RUN)), runId: `run-${k}`, sessionId: `sess-${k}`, ...(tpl.turnId ? { turnId: `turn-${k}` } : {}) };
    const line = `${JSON.stringify(event)}\n`;
    if (!stream || bytes + line.length > LOG_MAX_BYTES) {
      if (stream) await end(stream);
      const file = join(state, `part-${files.length}`);
      files.push(file);
      stream = createWriteStream(file, { mode: 0o600 });
      bytes = 0;
    }
    bytes += Buffer.byteLength(line);
    await write(stream, line);
  }
  if (stream) await end(stream);
  for (let i = 0; i < files.length; i++) {
    const fromNewest = files.length - 1 - i;
    await rename(files[i]!, join(state, fromNewest === 0 ? "events.jsonl" : `events.jsonl.${fromNewest}`));
  }
  writeFileSync(join(state, "daemon-state.json"), `${JSON.stringify({ ...t.daemonState, lastEventSeq: total, started: false, pid: null }, null, 2)}\n`, { mode: 0o600 });
  return total;
}

function write(stream: WriteStream, text: string): Promise<void> {
  return stream.write(text) ? Promise.resolve() : new Promise((r) => stream.once("drain", () => r()));
}
function end(stream: WriteStream): Promise<void> {
  return new Promise((r, j) => stream.end((e?: Error | null) => (e ? j(e) : r())));
}

async function sequential(url: string, count: number): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const res = await request(url);
    await res.body.arrayBuffer();
    if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
    times.push(performance.now() - t0);
  }
  return { p50: round(percentile(times, 50), 2), p99: round(percentile(times, 99), 2) };
}

interface SizeResult {
  runs: number;
  events: number;
  logFiles: number;
  writeStateS: number;
  startMs: number[];
  stopMs: number[];
  cursor: Array<{ name: string; after: number; p50: number; p99: number; rps: number }>;
  lists: Array<{ name: string; path: string; rps: number; p50: number; p99: number }>;
}

async function measureSize(n: number, t: Template): Promise<SizeResult> {
  return withTempDir(`scaling-${n}`, async (dir) => {
    const t0 = performance.now();
    const last = await writeState(dir, n, t);
    const writeStateS = round((performance.now() - t0) / 1000, 1);
    const logFiles = Math.ceil((last * 400) / LOG_MAX_BYTES);
    log(`\n${fmt(n)} runs, ${fmt(last)} events (state written in ${writeStateS} s; load average ${loadAverage()})`);
    const startMs: number[] = [];
    const stopMs: number[] = [];
    let server: Server | null = null;
    for (let i = 0; i < START_REPEATS; i++) {
      const started = await startDaemon(dir, DAEMON_ENV);
      startMs.push(round(started.readyMs, 1));
      if (i < START_REPEATS - 1) stopMs.push(round(await stop(started.server), 1));
      else server = started.server;
    }
    const s = server!;
    try {
      // Work the daemon does after a start (resuming idle sessions records events, and every read
      // waits for pending flushes) is not the reads being measured: wait until no event is recorded for 2 s.
      const settleStarted = performance.now();
      for (let seen = -1, quietSince = performance.now(); ; ) {
        const seq = (await http("GET", `${s.url}/v1/status`)).body.events.lastSeq as number;
        if (seq !== seen) [seen, quietSince] = [seq, performance.now()];
        else if (performance.now() - quietSince >= 2000) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      log(`  settled (no new event for 2 s) ${fmt((performance.now() - settleStarted) / 1000, 1)} s after ready`);
      const status = (await http("GET", `${s.url}/v1/status`)).body;
      const lastSeq = status.events.lastSeq as number;
      const oldest = status.events.oldestSeq as number;
      log(`  start to ready: ${startMs.map((x) => `${fmt(x)} ms`).join(", ")}; events ${fmt(oldest)}..${fmt(lastSeq)}`);
      const cursors = [
        { name: "tail (cache)", after: lastSeq - 100 },
        { name: "last-1000", after: lastSeq - 1000 },
        { name: "middle", after: Math.floor((oldest + lastSeq) / 2) },
        { name: "oldest", after: oldest - 1 },
      ];
      const cursor: SizeResult["cursor"] = [];
      for (const c of cursors) {
        const path = `/v1/events?after=${c.after}&limit=100`;
        const seq = await sequential(`${s.url}${path}`, SEQ_REQUESTS);
        const target = { name: c.name, server: s, method: "GET" as const, path };
        await warm(target, 1, 50);
        const m = await measure(target, CANNON_S, 50, true);
        cursor.push({ name: c.name, after: c.after, p50: seq.p50, p99: seq.p99, rps: Math.round(m.rps) });
        log(`  GET /v1/events after ${c.name.padEnd(12)} sequential p50 ${fmt(seq.p50, 2)} ms p99 ${fmt(seq.p99, 2)} ms; 50 connections ${fmt(m.rps)} req/s (p99 ${m.p99} ms)`);
      }
      const runsPage = (await http("GET", `${s.url}/v1/runs?limit=50`)).body;
      const lists = [
        { name: "runs", path: "/v1/runs?limit=50" },
        { name: "runs page 2", path: `/v1/runs?limit=50&cursor=${runsPage.nextCursor}` },
        { name: "sessions", path: "/v1/sessions?limit=50" },
        { name: "status", path: "/v1/status" },
      ];
      const listResults: SizeResult["lists"] = [];
      for (const l of lists) {
        const target = { name: l.name, server: s, method: "GET" as const, path: l.path };
        await warm(target, 1, 50);
        const m = await measure(target, CANNON_S, 50, true);
        listResults.push({ name: l.name, path: l.path, rps: Math.round(m.rps), p50: m.p50, p99: m.p99 });
        log(`  GET ${l.name.padEnd(12)} 50 connections ${fmt(m.rps)} req/s p50 ${m.p50} ms p99 ${m.p99} ms`);
      }
      stopMs.push(round(await stop(s), 1));
      log(`  graceful stop (SIGTERM to exit): ${stopMs.map((x) => `${fmt(x)} ms`).join(", ")}`);
      return { runs: n, events: last, logFiles, writeStateS, startMs, stopMs, cursor, lists: listResults };
    } finally {
      await stop(s);
    }
  });
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const loadAtStart = loadAverage();
  log(`scaling benchmark: ${machine.cpus} x ${machine.cpuModel}, node ${machine.node}; daemon ${CLI}; load average ${loadAtStart}`);
  log(`making the template: ${TEMPLATE_RUNS} runs on a real daemon ...`);
  const template = await makeTemplate();
  const results: SizeResult[] = [];
  for (const n of SIZES) results.push(await measureSize(n, template));

  log("\ncurves (the ratio is to the smallest size; cursor ratio is req/s from disk over req/s of the cached tail):");
  const first = results[0]!;
  const verdicts: Array<{ what: string; met: boolean }> = [];
  for (const r of results) {
    const tail = r.cursor[0]!;
    const cursorRatios = r.cursor.slice(1).map((c) => ({ name: c.name, ratio: c.rps / tail.rps }));
    const worst = Math.min(...cursorRatios.map((c) => c.ratio));
    verdicts.push({ what: `cursor at ${r.events} events`, met: worst >= 0.5 });
    const startRatio = Math.min(...r.startMs) / Math.min(...first.startMs);
    const stopRatio = Math.min(...r.stopMs) / Math.min(...first.stopMs);
    const listRatio = Math.min(...r.lists.map((l) => l.rps / first.lists.find((f) => f.name === l.name)!.rps));
    if (r !== first) verdicts.push({ what: `start/stop/lists at ${r.runs} runs`, met: startRatio <= 2 && stopRatio <= 2 && listRatio >= 0.5 });
    log(
      `  ${fmt(r.runs).padStart(6)} runs / ${fmt(r.events).padStart(9)} events: start ${fmt(Math.min(...r.startMs))} ms (x${fmt(startRatio, 2)}), stop ${fmt(Math.min(...r.stopMs))} ms (x${fmt(stopRatio, 2)}); ` +
        `cursor from disk / cached tail: ${cursorRatios.map((c) => `${c.name} ${fmt(c.ratio, 2)}`).join(", ")} (${worst >= 0.5 ? "met" : "MISSED"}); ` +
        `lists: ${r.lists.map((l) => `${l.name} ${fmt(l.rps)}/s`).join(", ")} (worst x${fmt(listRatio, 2)} of the smallest)`,
    );
  }
  log(JSON.stringify({ benchmark: "scaling", machine, daemon: CLI, loadAverage: { start: loadAtStart, end: loadAverage() }, results, verdicts, allTargetsMet: verdicts.every((v) => v.met) }));
}

runMain("scaling", main);
