/**
 * HTTP load benchmark: the daemon's read routes beside bare Fastify routes sending the same
 * bytes, measured side by side in one run (the machine is shared: only ratios taken together count).
 *
 *   npm run bench -- load
 *
 * 1. State: a daemon (its own process, `node dist/src/cli.js serve`, fake app-server child,
 *    approval policy accept, run concurrency 16 for seeding) is given SEED_RUNS (1,000) runs, each
 *    on a new session, every 5th asking a command approval; all finish. That leaves 1,000
 *    finished runs in the registry, their sessions, 200 approvals and about 20,000 events.
 * 2. Baselines: a bare Fastify app (this file with `--bare-server <pages.json>`) serving
 *      hello       GET /hello                 `{"hello":"world"}`
 *      stringify   GET /stringify/<route>     the daemon's own answer for <route>, JSON.stringify'd per request
 *      bytes       GET /bytes/<route>         the same answer as bytes computed once
 * 3. Rounds (ROUNDS, default 5): in each, every target once for DURATION_S at 50 connections,
 *    bare and daemon interleaved (hello, status, then per list route: stringify, bytes, daemon).
 *    A ratio is taken within each round (targets measured one after the other) and the median of
 *    the rounds' ratios is judged; req/s and latencies shown are medians over the rounds. Each
 *    target's line says met or not:
 *      status                          >= 0.5 x hello, p99 < 10 ms (its ratio to bytes:status,
 *                                      the same bytes from the bare app, is printed beside)
 *      runs, sessions, events, approvals pages >= 1.0 x stringify (stretch >= 0.5 x bytes)
 *      events after an old cursor (read from disk) >= 0.5 x events of the cached tail, for one
 *      cursor asked again and again (events-old) and for 500 cursors all over the log (events-spread)
 *    No route may answer anything but 2xx.
 * 4. With LOAD_BENCH_PROFILE=1: the daemon restarted on the same state under `node --cpu-prof`,
 *    each read route for DURATION_S, self time by area and by function.
 * 5. Unless LOAD_BENCH_READS_ONLY=1: POST /v1/runs throughput (with and without an
 *    Idempotency-Key) and a soak at a steady mixed rate watching the daemon's memory.
 *
 * LOAD_BENCH_DURATION_S (10), _WARMUP_S (2), _ROUNDS (5), _SEED_RUNS (1000), _SOAK_S (60),
 * _SOAK_RATE (200) change the sizes; LOAD_BENCH_DAEMON_CLI runs another build of the daemon.
 * Prints lines for people, then one JSON summary line (the last line of output).
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Fastify from "fastify";
import { fmt, log, machineInfo, median, processCpuMs } from "./lib/common.js";
import {
  autocannon,
  CLI,
  drain,
  http,
  JSON_HEADERS,
  loadAverage,
  machineBusyMs,
  measure,
  READ_STATE_ENV,
  rssKiB,
  runMain,
  seedReadState,
  selfMs,
  startDaemon,
  startListening,
  stop,
  summarizeProfile,
  warm,
  type AutocannonRequest,
  type Measurement,
  type ProfileSummary,
  type Server,
  type Target,
} from "./lib/http-load.js";

const THIS = fileURLToPath(import.meta.url);
const CONNECTIONS = 50;
const setting = (name: string, fallback: number) => {
  const value = Number(process.env[`LOAD_BENCH_${name}`]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const DURATION_S = setting("DURATION_S", 10);
const WARMUP_S = setting("WARMUP_S", 2);
const ROUNDS = setting("ROUNDS", 5);
const SEED_RUNS = setting("SEED_RUNS", 1000);
/** Distinct cursors of the events-spread target. */
const SPREAD_CURSORS = 500;
const SOAK_S = setting("SOAK_S", 60);
const SOAK_RATE = setting("SOAK_RATE", 200);
const READS_ONLY = process.env.LOAD_BENCH_READS_ONLY === "1";
const PROFILE = process.env.LOAD_BENCH_PROFILE === "1";
const mib = (kib: number) => kib / 1024;

// =============================================================================================
// the baseline server (this file, started with --bare-server <pages.json>)
// =============================================================================================

async function bareServer(pagesFile: string): Promise<void> {
  const pages = JSON.parse(readFileSync(pagesFile, "utf8")) as Record<string, unknown>;
  const app = Fastify({ logger: false });
  app.get("/hello", async () => ({ hello: "world" }));
  for (const [name, page] of Object.entries(pages)) {
    const bytes = Buffer.from(JSON.stringify(page), "utf8");
    app.get(`/stringify/${name}`, async (_request, reply) => reply.type("application/json; charset=utf-8").send(JSON.stringify(page)));
    app.get(`/bytes/${name}`, async (_request, reply) => reply.type("application/json; charset=utf-8").send(bytes));
  }
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  process.stdout.write(`listening ${typeof address === "object" && address ? address.port : 0}\n`);
  process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
}

async function withDir<T>(label: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `codexd-bench-load-${label}-`));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// =============================================================================================
// reads side by side
// =============================================================================================

interface ListRoute {
  name: string;
  path: string;
}

interface Comparison {
  name: string;
  route: string;
  rps: number;
  p50: number;
  p99: number;
  baseline: string;
  baselineRps: number;
  ratio: number;
  target: string;
  met: boolean;
  stretch?: { baseline: string; baselineRps: number; ratio: number; target: string; met: boolean };
  /** A baseline shown for reading the figure, judged by nothing. */
  beside?: { baseline: string; baselineRps: number; ratio: number };
  bytes: number;
}

/** Build the state: SEED_RUNS runs on sessions of their own, every 5th with a command approval. */
async function buildState(url: string): Promise<{ seedMs: number; events: number; runs: number; sessions: number; approvals: number }> {
  const t0 = performance.now();
  await seedReadState(url, SEED_RUNS);
  const seedMs = performance.now() - t0;
  const status = (await http("GET", `${url}/v1/status`)).body;
  const sessions = Object.values(status.counts.sessions as Record<string, number>).reduce((a, b) => a + b, 0);
  const runs = Object.values(status.counts.runs as Record<string, number>).reduce((a, b) => a + b, 0);
  const approvals = (await http("GET", `${url}/v1/approvals?limit=500`)).body.approvals.length as number;
  return { seedMs, events: status.events.lastSeq as number, runs, sessions, approvals };
}

async function reads(dir: string): Promise<{ state: Awaited<ReturnType<typeof buildState>>; comparisons: Comparison[]; all: Measurement[][]; profiles: Record<string, ProfileSummary> }> {
  const { server: daemon } = await startDaemon(dir, READ_STATE_ENV);
  let bare: Server | null = null;
  try {
    log(`building the state: ${SEED_RUNS} runs (each on a new session, every 5th asking a command approval) ...`);
    const state = await buildState(daemon.url);
    log(`  ${fmt(state.runs)} runs in the registry, ${fmt(state.sessions)} sessions, ${fmt(state.approvals)} approvals, ${fmt(state.events)} events; built in ${fmt(state.seedMs / 1000, 1)} s`);
    const lastSeq = state.events;
    const lists: ListRoute[] = [
      { name: "runs", path: "/v1/runs?limit=50" },
      { name: "sessions", path: "/v1/sessions?limit=50" },
      { name: "events", path: "/v1/events?limit=100" },
      { name: "approvals", path: "/v1/approvals?limit=50" },
      { name: "events-tail", path: `/v1/events?after=${lastSeq - 100}&limit=100` },
      { name: "events-old", path: `/v1/events?after=${lastSeq - 1000}&limit=100` },
    ];
    // Cursors all over the log (before the cached tail), taken in a scattered order: requests in
    // flight read different places, and the daemon's cache of disk reads (4 MiB) holds part of
    // the log only, so many of these reads go to the file and parse what they read.
    const spread = Array.from({ length: SPREAD_CURSORS }, (_, k) => `/v1/events?after=${Math.floor((((k * 7919) % SPREAD_CURSORS) / SPREAD_CURSORS) * (lastSeq - 600))}&limit=100`);
    // The daemon's own answers are what the bare routes send.
    const pages: Record<string, unknown> = {};
    const sizes: Record<string, number> = {};
    for (const l of lists) {
      const r = await http("GET", `${daemon.url}${l.path}`);
      if (r.status !== 200) throw new Error(`${l.path} answered ${r.status}`);
      pages[l.name] = r.body;
      sizes[l.name] = Buffer.byteLength(r.text);
    }
    pages.status = (await http("GET", `${daemon.url}/v1/status`)).body;
    sizes.status = Buffer.byteLength(JSON.stringify(pages.status));
    const pagesFile = join(dir, "pages.json");
    writeFileSync(pagesFile, JSON.stringify(pages));
    bare = await startListening("bare", [THIS, "--bare-server", pagesFile]);
    log(`  answer sizes: ${Object.entries(sizes).map(([k, v]) => `${k} ${fmt(v / 1024, 1)} kB`).join(", ")}`);

    const targets: Target[] = [
      { name: "hello", server: bare, method: "GET", path: "/hello" },
      { name: "status", server: daemon, method: "GET", path: "/v1/status" },
      // Not a target of its own: how fast a bare route sends the status's bytes, beside the hello it is judged against.
      { name: "bytes:status", server: bare, method: "GET", path: "/bytes/status" },
    ];
    for (const l of lists) {
      if (!l.name.startsWith("events-")) {
        targets.push({ name: `stringify:${l.name}`, server: bare, method: "GET", path: `/stringify/${l.name}` });
        targets.push({ name: `bytes:${l.name}`, server: bare, method: "GET", path: `/bytes/${l.name}` });
      }
      targets.push({ name: l.name, server: daemon, method: "GET", path: l.path });
    }
    targets.push({ name: "events-spread", server: daemon, method: "GET", path: spread[0]!, paths: spread });
    log(`\nwarm-up: every target ${WARMUP_S} s`);
    for (const t of targets) await warm(t, WARMUP_S, CONNECTIONS);
    const all: Measurement[][] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      log(`\nround ${round} of ${ROUNDS}: ${CONNECTIONS} connections, ${DURATION_S} s per target, load average ${loadAverage()}`);
      const results: Measurement[] = [];
      for (const t of targets) results.push(await measure(t, DURATION_S, CONNECTIONS));
      all.push(results);
    }
    const med = (name: string, key: "rps" | "p50" | "p99") => median(all.map((r) => r.find((m) => m.name === name)![key]));
    // A ratio is taken within each round, between targets measured one after the other, then the
    // median of the rounds' ratios: the machine's speed drifts between rounds more than within one.
    const ratioOf = (name: string, baseline: string) => median(all.map((r) => r.find((m) => m.name === name)!.rps / r.find((m) => m.name === baseline)!.rps));
    const comparisons: Comparison[] = [];
    const compare = (name: string, route: string, baseline: string, factor: number, target: string, extra: (p99: number) => boolean = () => true, stretch?: { baseline: string; factor: number }, beside?: string) => {
      const rps = med(name, "rps");
      const p99 = med(name, "p99");
      const ratio = ratioOf(name, baseline);
      const clean = all.every((r) => r.filter((m) => m.name === name).every((m) => m.non2xx === 0 && m.errors === 0));
      const c: Comparison = { name, route, rps, p50: med(name, "p50"), p99, baseline, baselineRps: med(baseline, "rps"), ratio, target, met: clean && ratio >= factor && extra(p99), bytes: sizes[name] ?? 0 };
      if (stretch) {
        const sRatio = ratioOf(name, stretch.baseline);
        c.stretch = { baseline: stretch.baseline, baselineRps: med(stretch.baseline, "rps"), ratio: sRatio, target: `>= ${stretch.factor} x ${stretch.baseline}`, met: clean && sRatio >= stretch.factor };
      }
      if (beside) c.beside = { baseline: beside, baselineRps: med(beside, "rps"), ratio: ratioOf(name, beside) };
      comparisons.push(c);
    };
    compare("status", "GET /v1/status", "hello", 0.5, ">= 0.5 x hello, p99 < 10 ms", (p99) => p99 < 10, undefined, "bytes:status");
    for (const l of lists.filter((x) => !x.name.startsWith("events-"))) {
      compare(l.name, `GET ${l.path}`, `stringify:${l.name}`, 1, `>= 1.0 x stringify:${l.name}`, undefined, { baseline: `bytes:${l.name}`, factor: 0.5 });
    }
    compare("events-old", "GET /v1/events?after=<last-1000>&limit=100 (from disk)", "events-tail", 0.5, ">= 0.5 x events-tail (within 2x)");
    compare("events-spread", `GET /v1/events?after=<${SPREAD_CURSORS} cursors all over the log>&limit=100 (from disk)`, "events-tail", 0.5, ">= 0.5 x events-tail (within 2x)");

    const profiles: Record<string, ProfileSummary> = {};
    if (PROFILE) {
      await stop(daemon);
      log("\nprofiles: the daemon restarted on the same state under node --cpu-prof, each route alone");
      for (const t of targets.filter((x) => x.server === daemon)) profiles[t.name] = await profileRoute(dir, t);
    }
    return { state, comparisons, all, profiles };
  } finally {
    await stop(daemon);
    if (bare) await stop(bare);
  }
}

async function profileRoute(dir: string, target: Target): Promise<ProfileSummary> {
  const profDir = join(dir, `prof-${target.name}`);
  const { server } = await startDaemon(dir, READ_STATE_ENV, ["--cpu-prof", `--cpu-prof-dir=${profDir}`]);
  try {
    const t = { ...target, server };
    await warm(t, WARMUP_S, CONNECTIONS);
    await measure(t, DURATION_S, CONNECTIONS);
  } finally {
    await stop(server);
  }
  const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error("no .cpuprofile written");
  const summary = summarizeProfile(join(profDir, file));
  log(`  where the daemon's CPU time goes (self time, ${target.method} ${target.path}):`);
  for (const a of summary.byArea.slice(0, 8)) log(`    ${fmt(a.pct, 1).padStart(5)}%  ${a.area}`);
  log("  top functions:");
  for (const f of summary.top.slice(0, 10)) log(`    ${fmt(f.pct, 1).padStart(5)}%  ${f.fn}`);
  return summary;
}

// =============================================================================================
// writes and soak
// =============================================================================================

interface Series {
  start: number;
  end: number;
  peak: number;
  slopePerMin: number;
  floors: number[];
  floorSlopePerMin: number;
}

const FLOOR_WINDOW_S = 10;
const STABLE_MIB_PER_MIN = 5;

function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Start, end, peak, slope; and the floor (lowest value of each 10 s window: what is left after the collector ran) and its slope after 20 s. */
function series(samples: Array<[number, number]>): Series {
  const windows = new Map<number, Array<[number, number]>>();
  for (const p of samples) {
    const w = Math.min(Math.floor(p[0] / FLOOR_WINDOW_S), Math.floor((SOAK_S - 1) / FLOOR_WINDOW_S));
    windows.set(w, [...(windows.get(w) ?? []), p]);
  }
  const floors = [...windows.entries()].sort((a, b) => a[0] - b[0]).map(([w, ps]) => [w * FLOOR_WINDOW_S + FLOOR_WINDOW_S / 2, Math.min(...ps.map(([, v]) => v))] as [number, number]);
  return {
    start: samples[0]![1],
    end: samples.at(-1)![1],
    peak: Math.max(...samples.map(([, v]) => v)),
    slopePerMin: slope(samples) * 60,
    floors: floors.map(([, v]) => Number(v.toFixed(1))),
    floorSlopePerMin: slope(floors.filter(([t]) => t >= 20)) * 60,
  };
}

async function heapUsedMiB(url: string): Promise<number | null> {
  const text = await http("GET", `${url}/metrics`).then((r) => String(r.body)).catch(() => "");
  const m = /^codexd_nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
  return m ? Number(m[1]) / 2 ** 20 : null;
}

/** SOAK_S at SOAK_RATE requests/s: status, runs list, POST run on 4 shared sessions with a key, events page. */
async function soak(dir: string) {
  const { server: daemon } = await startDaemon(dir);
  try {
    const sessions: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await http("POST", `${daemon.url}/v1/sessions`, { metadata: { soak: i } });
      if (r.status !== 201) throw new Error(`soak: POST /v1/sessions answered ${r.status}`);
      sessions.push(r.body.sessionId as string);
    }
    let n = 0;
    const post: AutocannonRequest = {
      method: "POST",
      path: "/v1/runs",
      headers: JSON_HEADERS,
      body: "{}",
      setupRequest: (r) => {
        const i = n++;
        return { ...r, headers: { ...r.headers, "idempotency-key": `soak-${i}` }, body: JSON.stringify({ prompt: `[reply:ok] soak ${i}`, sessionId: sessions[i % sessions.length] }) };
      },
    };
    const requests: AutocannonRequest[] = [{ method: "GET", path: "/v1/status" }, { method: "GET", path: "/v1/runs?limit=50" }, post, { method: "GET", path: "/v1/events?limit=50" }];
    const rss: Array<[number, number]> = [];
    const heap: Array<[number, number]> = [];
    const t0 = Date.now();
    const sample = async () => {
      const t = (Date.now() - t0) / 1000;
      rss.push([t, mib(rssKiB(daemon.pid))]);
      const h = await heapUsedMiB(daemon.url);
      if (h !== null) heap.push([t, h]);
    };
    await sample();
    const sampler = setInterval(() => void sample(), 1000);
    const busy0 = machineBusyMs();
    const cpu0 = processCpuMs(daemon.pid);
    const own0 = selfMs();
    const r = await autocannon({ url: daemon.url, connections: 8, overallRate: SOAK_RATE, duration: SOAK_S, requests, timeout: 20 });
    clearInterval(sampler);
    const wall = Date.now() - t0;
    const serverMs = processCpuMs(daemon.pid) - cpu0;
    const otherCores = Math.max(0, machineBusyMs() - busy0 - serverMs - (selfMs() - own0)) / wall;
    await sample();
    const left = await drain(daemon.url, 30_000);
    const rssSeries = series(rss);
    const heapSeries = heap.length > 2 ? series(heap) : null;
    const result = {
      seconds: SOAK_S,
      rate: SOAK_RATE,
      requests: r.requests.total,
      non2xx: r.non2xx,
      errors: r.errors,
      p50: r.latency.p50,
      p99: r.latency.p99,
      rssMiB: rssSeries,
      heapUsedMiB: heapSeries,
      runsCreated: n,
      runsLeftQueued: left,
      serverCpuPct: Math.round((100 * serverMs) / wall),
      otherCores: Number(otherCores.toFixed(2)),
      stable: Math.abs(rssSeries.floorSlopePerMin) < STABLE_MIB_PER_MIN && (heapSeries === null || Math.abs(heapSeries.floorSlopePerMin) < STABLE_MIB_PER_MIN),
    };
    log(`  ${fmt(result.requests)} requests in ${SOAK_S} s, ${n} runs created, non-2xx ${result.non2xx}, errors ${result.errors}, p50 ${result.p50} ms, p99 ${result.p99} ms; daemon cpu ${result.serverCpuPct}%, rest of machine ${result.otherCores} cores`);
    for (const [name, s] of [["RSS", rssSeries], ["heap used", heapSeries]] as const) {
      if (!s) continue;
      log(`  ${name}: start ${fmt(s.start, 1)} MiB, end ${fmt(s.end, 1)} MiB, peak ${fmt(s.peak, 1)} MiB; floor of each ${FLOOR_WINDOW_S} s ${s.floors.map((v) => v.toFixed(0)).join(" ")} -> slope after 20 s ${fmt(s.floorSlopePerMin, 1)} MiB/min`);
    }
    return result;
  } finally {
    await stop(daemon);
  }
}

async function writes(): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const uniqueKey of [false, true]) {
    await withDir("post", async (dir) => {
      const { server: daemon } = await startDaemon(dir);
      try {
        const t: Target = { name: uniqueKey ? "post+key" : "post", server: daemon, method: "POST", path: "/v1/runs", body: { prompt: "[reply:ok] bench" }, uniqueKey };
        out.push(await measure(t, DURATION_S, CONNECTIONS));
      } finally {
        await stop(daemon);
      }
    });
  }
  return out;
}

// =============================================================================================
// main
// =============================================================================================

async function main(): Promise<void> {
  const machine = machineInfo();
  const loadAtStart = loadAverage();
  log(`load benchmark: ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, node ${machine.node}; load average ${loadAtStart}`);
  log(`daemon ${CLI}; autocannon in this process, daemon and bare Fastify in processes of their own; ${CONNECTIONS} connections, ${DURATION_S} s per target, ${ROUNDS} rounds`);
  const r = await withDir("reads", reads);

  log(`\nratios (each the median of the ${ROUNDS} rounds' own ratios; req/s the median over rounds; load average now ${loadAverage()}):`);
  for (const c of r.comparisons) {
    const stretch = c.stretch ? `; stretch ${fmt(c.stretch.ratio, 2)} x ${c.stretch.baseline} (${fmt(c.stretch.baselineRps)}/s) ${c.stretch.target}: ${c.stretch.met ? "met" : "not met"}` : "";
    const beside = c.beside ? `; ${fmt(c.beside.ratio, 2)} x ${c.beside.baseline} (${fmt(c.beside.baselineRps)}/s, the same bytes from a bare route)` : "";
    log(`  ${c.name.padEnd(10)} ${fmt(c.rps).padStart(7)} req/s p50 ${c.p50} ms p99 ${c.p99} ms = ${fmt(c.ratio, 2)} x ${c.baseline} (${fmt(c.baselineRps)}/s), target ${c.target}: ${c.met ? "met" : "MISSED"}${stretch}${beside}`);
  }

  let post: Measurement[] = [];
  let soakResult: Awaited<ReturnType<typeof soak>> | null = null;
  if (!READS_ONLY) {
    log("\nwrites: POST /v1/runs on a fresh daemon");
    post = await writes();
    log(`\nsoak: ${SOAK_S} s at ${SOAK_RATE} requests/s (status, runs list, POST run on 4 shared sessions with a key, events page)`);
    soakResult = await withDir("soak", soak);
  }

  const summary = {
    benchmark: "load",
    machine,
    loadAverage: { start: loadAtStart, end: loadAverage() },
    connections: CONNECTIONS,
    durationS: DURATION_S,
    rounds: ROUNDS,
    state: r.state,
    comparisons: r.comparisons.map((c) => ({ ...c, rps: Math.round(c.rps), baselineRps: Math.round(c.baselineRps), ratio: Number(c.ratio.toFixed(3)), ...(c.stretch ? { stretch: { ...c.stretch, ratio: Number(c.stretch.ratio.toFixed(3)) } } : {}), ...(c.beside ? { beside: { ...c.beside, baselineRps: Math.round(c.beside.baselineRps), ratio: Number(c.beside.ratio.toFixed(3)) } } : {}) })),
    rounds_: r.all.map((round) => round.map((m) => ({ name: m.name, rps: Math.round(m.rps), p50: m.p50, p99: m.p99, non2xx: m.non2xx, errors: m.errors, serverCpuPct: Math.round(m.serverCpuPct), otherCores: Number(m.otherCores.toFixed(2)) }))),
    post: post.map((m) => ({ name: m.name, rps: Math.round(m.rps), p50: m.p50, p99: m.p99, non2xx: m.non2xx, errors: m.errors })),
    soak: soakResult,
    profiles: r.profiles,
    allTargetsMet: r.comparisons.every((c) => c.met),
  };
  log(JSON.stringify(summary));
}

if (process.argv.includes("--bare-server")) {
  void bareServer(process.argv[process.argv.indexOf("--bare-server") + 1]!);
} else {
  runMain("load", main);
}
