/**
 * HTTP load benchmark: autocannon (programmatic) against a real listening daemon.
 *
 *   npm run bench -- load
 *
 * Placement: the daemon runs as its own process (`node dist/src/cli.js serve`, the fake
 * app-server `test/fixtures/fake-app-server.mjs` as its child), and so does the baseline, a bare
 * Fastify app with one hello-world route (this file started with `--bare-server`). autocannon
 * runs in this process, so the load generator never shares an event loop with a server. All
 * three share the machine's cores; each measurement reports the CPU used by the server process,
 * by autocannon, and by the rest of the machine meanwhile (the daemon's fake child included), the
 * last as a noise indicator.
 *
 * The daemon runs with CODEXD_RATE_LIMIT_PER_MINUTE=0 (its limit of 600 changing requests per
 * minute per client would turn the POST load into 429s) and CODEXD_LOG_LEVEL=warn (at the
 * default `info`, pino writes two lines per request; that cost is measured once on the side).
 *
 *   1. Throughput at 50 connections, 10 s each (after a 2 s warm-up of each target):
 *        bare   GET /                      (measured first and again last; the ratio uses the mean)
 *        status GET /v1/status
 *        runs   GET /v1/runs?limit=50     (300 finished runs in the registry)
 *        post   POST /v1/runs              (fresh daemon; "[reply:ok]" prompts, no Idempotency-Key)
 *        post+key POST /v1/runs            (fresh daemon; a unique Idempotency-Key per request)
 *      requests/s, ratio to bare, latency p50/p99 (autocannon: 1 ms resolution), non-2xx and
 *      errors, the server process's CPU use. Targets: read routes >= 50% of bare with p99 < 10 ms;
 *      no error responses anywhere.
 *   2. Soak: 60 s at a steady 200 requests/s mixed load (status, runs list, events page, POST
 *      runs on 4 shared sessions with unique keys; 50 runs/s, so the run and turn registries reach
 *      their retention of 1000 within the soak), the daemon's RSS (/proc) and V8 heap in use (its
 *      /metrics) sampled every second: start/end/peak, the least-squares slope, and the slope of
 *      the floor (lowest value of each 10 s window, i.e. after the collector ran) after the
 *      first 20 s. The sawtooth of a collected heap makes the plain slope of a 60 s window
 *      meaningless; stable = the floor grows less than 5 MiB/min.
 *   3. When a target is missed (or LOAD_BENCH_PROFILE=1): the same state (300 runs, seeded by a
 *      daemon that is not profiled), then the route again for 10 s on a daemon run with
 *      `node --cpu-prof`; self time by area (package, dist/ module, native) and by function.
 *      Native self time includes the kernel time of the syscalls (on loopback, a writev carries
 *      the TCP delivery to the reader).
 *
 * LOAD_BENCH_DURATION_S, _WARMUP_S, _SOAK_S, _SOAK_RATE override the sizes, for exploring.
 *
 * Prints lines for people, then one JSON summary line (the last line of output).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Fastify from "fastify";
import { request } from "undici";
import { packageRoot } from "../src/package-info.js";
import { fmt, log, machineInfo, processCpuMs } from "./lib/common.js";

// ---- autocannon (CommonJS, no type declarations): the part of its API used here ----
interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
}
interface AutocannonResult {
  requests: Histogram & { total: number };
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface RawRequest {
  headers?: Record<string, string>;
  [key: string]: unknown;
}
interface AutocannonRequest {
  method?: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
  setupRequest?: (req: RawRequest) => RawRequest;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const CLI = join(packageRoot, "dist", "src", "cli.js");
const FAKE = join(packageRoot, "test", "fixtures", "fake-app-server.mjs");
const THIS = fileURLToPath(import.meta.url);
const CONNECTIONS = 50;
const setting = (name: string, fallback: number) => {
  const value = Number(process.env[`LOAD_BENCH_${name}`]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const DURATION_S = setting("DURATION_S", 10);
const WARMUP_S = setting("WARMUP_S", 2);
const SOAK_S = setting("SOAK_S", 60);
const SOAK_RATE = setting("SOAK_RATE", 200);
const SEED_RUNS = 300;
const JSON_HEADERS = { "content-type": "application/json" };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const mib = (kib: number) => kib / 1024;

// =============================================================================================
// the baseline server (this file, started with --bare-server)
// =============================================================================================

async function bareServer(): Promise<void> {
  const app = Fastify({ logger: false });
  app.get("/", async () => ({ hello: "world" }));
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  process.stdout.write(`listening ${typeof address === "object" && address ? address.port : 0}\n`);
  process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
}

// =============================================================================================
// processes
// =============================================================================================

interface Server {
  name: string;
  proc: ChildProcess;
  pid: number;
  url: string;
  exited: Promise<void>;
  output: () => string;
  /** The daemon's child process group, killed on cleanup whatever happened. */
  childGroup: number | null;
}

const servers = new Set<Server>();

function capture(proc: ChildProcess): () => string {
  let out = "";
  const keep = (chunk: Buffer) => {
    out += chunk.toString("utf8");
    if (out.length > 20_000) out = out.slice(-10_000);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  return () => out;
}

async function startBare(): Promise<Server> {
  const proc = spawn(process.execPath, [THIS, "--bare-server"], { stdio: ["ignore", "pipe", "pipe"] });
  const output = capture(proc);
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const deadline = Date.now() + 10_000;
  while (!/listening (\d+)/.test(output())) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`bare server did not start: ${output()}`);
    await sleep(20);
  }
  const port = Number(/listening (\d+)/.exec(output())![1]);
  const server: Server = { name: "bare", proc, pid: proc.pid!, url: `http://127.0.0.1:${port}`, exited, output, childGroup: null };
  servers.add(server);
  return server;
}

async function http(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await request(url, { method: method as "GET", ...(body === undefined ? {} : { body: JSON.stringify(body), headers: JSON_HEADERS }) });
  const text = await res.body.text();
  return { status: res.statusCode, body: text && String(res.headers["content-type"]).includes("json") ? JSON.parse(text) : text };
}

async function freePort(): Promise<number> {
  const probe = Fastify();
  await probe.listen({ host: "127.0.0.1", port: 0 });
  const address = probe.server.address();
  await probe.close();
  return typeof address === "object" && address ? address.port : 0;
}

async function startDaemon(stateDir: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Server> {
  const port = await freePort();
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CODEXD_") && !k.startsWith("FAKE_") && k !== "NODE_OPTIONS"));
  const proc = spawn(process.execPath, [...nodeArgs, CLI, "serve"], {
    cwd: stateDir,
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
    env: {
      ...clean,
      CODEXD_HOST: "127.0.0.1",
      CODEXD_PORT: String(port),
      CODEXD_STATE_DIR: join(stateDir, "state"),
      CODEXD_CHILD_COMMAND: process.execPath,
      CODEXD_CHILD_ARGS: JSON.stringify([FAKE]),
      CODEXD_CHILD_CWD: stateDir,
      CODEXD_RATE_LIMIT_PER_MINUTE: "0",
      CODEXD_LOG_LEVEL: "warn",
      ...env,
    },
  });
  const output = capture(proc);
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const server: Server = { name: "daemon", proc, pid: proc.pid!, url: `http://127.0.0.1:${port}`, exited, output, childGroup: null };
  servers.add(server);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ready = await http("POST", `${server.url}/v1/child/wait?condition=ready&timeoutMs=2000`).catch(() => null);
    if (ready?.status === 200 && ready.body.matched) {
      server.childGroup = (ready.body.state?.pgid as number | undefined) ?? null;
      return server;
    }
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`daemon did not become ready: ${output()}`);
    await sleep(50);
  }
}

/** SIGTERM (the daemon stops its child), SIGKILL after 10 s; the child group is killed either way. */
async function stop(server: Server): Promise<void> {
  if (server.proc.exitCode === null && server.proc.signalCode === null) {
    server.proc.kill("SIGTERM");
    const done = await Promise.race([server.exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!done) {
      server.proc.kill("SIGKILL");
      await server.exited;
    }
  }
  if (server.childGroup) {
    try {
      process.kill(-server.childGroup, "SIGKILL");
    } catch {
      // gone
    }
  }
  servers.delete(server);
}

function killAllSync(): void {
  for (const s of servers) {
    for (const target of [s.pid, ...(s.childGroup ? [-s.childGroup] : [])]) {
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
}

/** CPU time (ms) all CPUs spent busy so far, from /proc/stat. */
function machineBusyMs(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return (fields.reduce((a, b) => a + b, 0) - idle) * 10;
}

/** CPU time (ms) of this process (autocannon) so far. */
const selfMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

// =============================================================================================
// measurements
// =============================================================================================

interface Target {
  name: string;
  server: Server;
  method: "GET" | "POST";
  path: string;
  body?: unknown;
  uniqueKey?: boolean;
  read: boolean;
}

interface Measurement {
  name: string;
  route: string;
  rps: number;
  total: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  serverCpuPct: number;
  clientCpuPct: number;
  /** CPU used meanwhile by everything else on the machine, in cores: a noise indicator. */
  otherCores: number;
}

function cannonOptions(t: Target, seconds: number): Record<string, unknown> {
  let n = 0;
  const tag = `${t.name}-${Date.now().toString(36)}`;
  const req: AutocannonRequest = {
    method: t.method,
    path: t.path,
    ...(t.body !== undefined ? { body: JSON.stringify(t.body), headers: JSON_HEADERS } : {}),
    ...(t.uniqueKey ? { setupRequest: (r: RawRequest) => ({ ...r, headers: { ...r.headers, "idempotency-key": `${tag}-${n++}` } }) } : {}),
  };
  return { url: t.server.url, connections: CONNECTIONS, duration: seconds, requests: [req], timeout: 20 };
}

async function measure(t: Target, seconds = DURATION_S): Promise<Measurement> {
  const cpu0 = processCpuMs(t.server.pid);
  const own0 = selfMs();
  const busy0 = machineBusyMs();
  const started = Date.now();
  const r = await autocannon(cannonOptions(t, seconds));
  const wall = Date.now() - started;
  const server = processCpuMs(t.server.pid) - cpu0;
  const own = selfMs() - own0;
  const m: Measurement = {
    name: t.name,
    route: `${t.method} ${t.path}${t.uniqueKey ? " (Idempotency-Key)" : ""}`,
    rps: r.requests.total / r.duration,
    total: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count])),
    serverCpuPct: (100 * server) / wall,
    clientCpuPct: (100 * own) / wall,
    otherCores: Math.max(0, machineBusyMs() - busy0 - server - own) / wall,
  };
  log(
    `  ${m.name.padEnd(9)} ${m.route.padEnd(44)} ${fmt(m.rps).padStart(7)} req/s  p50 ${fmt(m.p50, 1)} ms  p99 ${fmt(m.p99, 1)} ms  max ${fmt(m.max)} ms  ` +
      `non-2xx ${m.non2xx}  errors ${m.errors}  cpu: server ${fmt(m.serverCpuPct)}%, autocannon ${fmt(m.clientCpuPct)}%, rest of machine ${fmt(m.otherCores, 2)} cores`,
  );
  return m;
}

async function warm(t: Target): Promise<void> {
  await autocannon(cannonOptions(t, WARMUP_S));
}

/** Queue `count` fast runs and wait until none is queued or running. */
async function seedRuns(server: Server, count: number): Promise<void> {
  for (let i = 0; i < count; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, count - i) }, (_, j) =>
        http("POST", `${server.url}/v1/runs`, { prompt: `[reply:ok] seed ${i + j}`, metadata: { seed: i + j } }).then((r) => {
          if (r.status !== 202) throw new Error(`seeding: POST /v1/runs answered ${r.status}`);
        }),
      ),
    );
  }
  await drain(server, 120_000);
}

/** Wait until no run is queued or running; the number of runs left over if the time ran out. */
async function drain(server: Server, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await http("GET", `${server.url}/v1/status`);
    const counts = status.body.counts.runs as Record<string, number>;
    const open = (counts.queued ?? 0) + (counts.running ?? 0);
    if (open === 0 || Date.now() > deadline) return open;
    await sleep(200);
  }
}

async function withDir<T>(label: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `codexd-bench-load-${label}-`));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- soak ----

interface Series {
  start: number;
  end: number;
  peak: number;
  /** Least-squares slope over the whole soak, MiB per minute. */
  slopePerMin: number;
  /** Lowest value of each 10 s window: what is left after the collector ran. */
  floors: number[];
  /** Slope of those floors after the first 20 s (warm-up, registries filling to retention). */
  floorSlopePerMin: number;
}

interface Soak {
  seconds: number;
  rate: number;
  requests: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
  rssMiB: Series;
  heapUsedMiB: Series | null;
  runsCreated: number;
  runsLeftQueued: number;
  serverCpuPct: number;
  otherCores: number;
  stable: boolean;
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

/** The daemon's V8 heap in use, from its Prometheus metrics (prom-client's default metrics). */
async function heapUsedMiB(url: string): Promise<number | null> {
  const text = await http("GET", `${url}/metrics`).then((r) => String(r.body)).catch(() => "");
  const m = /^codexd_nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
  return m ? Number(m[1]) / 2 ** 20 : null;
}

async function soak(dir: string): Promise<Soak> {
  const daemon = await startDaemon(dir);
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
    const requests: AutocannonRequest[] = [
      { method: "GET", path: "/v1/status" },
      { method: "GET", path: "/v1/runs?limit=50" },
      post,
      { method: "GET", path: "/v1/events?limit=50" },
    ];
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
    const left = await drain(daemon, 30_000);
    const rssSeries = series(rss);
    const heapSeries = heap.length > 2 ? series(heap) : null;
    const result: Soak = {
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
    log(`  ${fmt(result.requests)} requests in ${SOAK_S} s (${fmt(result.requests / SOAK_S)}/s), ${n} runs created, non-2xx ${result.non2xx}, errors ${result.errors}, p50 ${result.p50} ms, p99 ${result.p99} ms; daemon cpu ${result.serverCpuPct}%, rest of machine ${result.otherCores} cores`);
    log(`  RSS every second (MiB): ${rss.map(([, v]) => v.toFixed(0)).join(" ")}`);
    if (heap.length > 0) log(`  V8 heap used every second (MiB): ${heap.map(([, v]) => v.toFixed(0)).join(" ")}`);
    for (const [name, s] of [["RSS", rssSeries], ["heap used", heapSeries]] as const) {
      if (!s) continue;
      log(
        `  ${name}: start ${fmt(s.start, 1)} MiB, end ${fmt(s.end, 1)} MiB, peak ${fmt(s.peak, 1)} MiB, slope ${fmt(s.slopePerMin, 1)} MiB/min; ` +
          `floor of each ${FLOOR_WINDOW_S} s ${s.floors.map((v) => v.toFixed(0)).join(" ")} -> slope after 20 s ${fmt(s.floorSlopePerMin, 1)} MiB/min`,
      );
    }
    return result;
  } finally {
    await stop(daemon);
  }
}

// ---- profile ----

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self time by function and by where the code lives, from a .cpuprofile. */
function summarizeProfile(file: string): { top: Array<{ fn: string; pct: number }>; byArea: Array<{ area: string; pct: number }> } {
  const profile = JSON.parse(readFileSync(file, "utf8")) as { nodes: ProfileNode[]; samples: number[] };
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const node of profile.nodes) {
    const h = hits.get(node.id) ?? 0;
    if (h === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const short = url.replace(/^file:\/\//, "").replace(`${packageRoot}/`, "");
    const fn = `${functionName || "(anonymous)"} ${short ? `${short}:${lineNumber + 1}` : ""}`.trim();
    byFn.set(fn, (byFn.get(fn) ?? 0) + h);
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(short)?.[1];
    const area =
      pkg ??
      (short.startsWith("dist/")
        ? short.split("/").slice(0, 3).join("/")
        : short.startsWith("node:")
          ? "node internals (JS)"
          : functionName.startsWith("(")
            ? functionName
            : short === "" && /^(anonymous\d*|validate\d+)$/.test(functionName)
              ? "generated code (fast-json-stringify serializers, ajv validators)"
              : short === ""
                ? "native (C++ bindings and the syscalls they make: writev, read, ...)"
                : short);
    byArea.set(area, (byArea.get(area) ?? 0) + h);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => ({ k, pct: (100 * v) / total }));
  return {
    top: sorted(byFn).slice(0, 15).map(({ k, pct }) => ({ fn: k, pct })),
    byArea: sorted(byArea).slice(0, 12).map(({ k, pct }) => ({ area: k, pct })),
  };
}

async function profileRoute(target: Omit<Target, "server">): Promise<ReturnType<typeof summarizeProfile>> {
  return withDir("profile", async (dir) => {
    const profDir = join(dir, "prof");
    // The same state as when measured, made by a daemon that is not profiled, so the profile
    // holds the load (and a start-up), not the seeding.
    const seeder = await startDaemon(dir);
    try {
      await seedRuns(seeder, SEED_RUNS);
    } finally {
      await stop(seeder);
    }
    const daemon = await startDaemon(dir, {}, ["--cpu-prof", `--cpu-prof-dir=${profDir}`]);
    try {
      const t = { ...target, server: daemon };
      await warm(t);
      await measure(t);
    } finally {
      await stop(daemon);
    }
    const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
    if (!file) throw new Error("no .cpuprofile written");
    const summary = summarizeProfile(join(profDir, file));
    log(`  where the daemon's CPU time goes (self time, ${target.method} ${target.path}):`);
    for (const a of summary.byArea) log(`    ${fmt(a.pct, 1).padStart(5)}%  ${a.area}`);
    log("  top functions:");
    for (const f of summary.top) log(`    ${fmt(f.pct, 1).padStart(5)}%  ${f.fn}`);
    return summary;
  });
}

// =============================================================================================
// main
// =============================================================================================

async function main(): Promise<void> {
  const machine = machineInfo();
  log(`load benchmark: ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, node ${machine.node}`);
  log(`autocannon in this process; daemon and bare Fastify in their own processes; ${CONNECTIONS} connections, ${DURATION_S} s per target (warm-up ${WARMUP_S} s)`);
  log("daemon settings: CODEXD_RATE_LIMIT_PER_MINUTE=0, CODEXD_LOG_LEVEL=warn, fake app-server child, other settings default");

  const bare = await startBare();
  const results: Measurement[] = [];
  const postBacklog: Record<string, number> = {};
  try {
    const bareTarget: Target = { name: "bare", server: bare, method: "GET", path: "/", read: true };
    await withDir("reads", async (dir) => {
      const daemon = await startDaemon(dir);
      try {
        log(`\nseeding ${SEED_RUNS} runs ...`);
        await seedRuns(daemon, SEED_RUNS);
        const reads: Target[] = [
          { name: "status", server: daemon, method: "GET", path: "/v1/status", read: true },
          { name: "runs", server: daemon, method: "GET", path: "/v1/runs?limit=50", read: true },
        ];
        for (const t of [bareTarget, ...reads]) await warm(t);
        log("\n1. throughput at 50 connections");
        results.push(await measure(bareTarget));
        for (const t of reads) results.push(await measure(t));
        results.push({ ...(await measure(bareTarget)), name: "bare#2" });
      } finally {
        await stop(daemon);
      }
    });
    for (const uniqueKey of [false, true]) {
      await withDir("post", async (dir) => {
        const daemon = await startDaemon(dir);
        try {
          const t: Target = { name: uniqueKey ? "post+key" : "post", server: daemon, method: "POST", path: "/v1/runs", body: { prompt: "[reply:ok] bench" }, uniqueKey, read: false };
          results.push(await measure(t));
          const counts = (await http("GET", `${daemon.url}/v1/status`)).body.counts as { runs: Record<string, number>; archivedRuns: number };
          postBacklog[t.name] = counts.runs.queued ?? 0;
          log(`            after it: ${fmt(counts.runs.queued ?? 0)} runs still queued, ${fmt(counts.runs.completed ?? 0)} completed in the registry, ${fmt(counts.archivedRuns)} archived`);
        } finally {
          await stop(daemon);
        }
      });
    }
    // The default log level, for reference: pino writes every request twice.
    await withDir("info", async (dir) => {
      const daemon = await startDaemon(dir, { CODEXD_LOG_LEVEL: "info" });
      try {
        const t: Target = { name: "status@info", server: daemon, method: "GET", path: "/v1/status", read: true };
        await warm(t);
        results.push(await measure(t));
      } finally {
        await stop(daemon);
      }
    });
  } finally {
    await stop(bare);
  }

  const bareRps = (results.find((r) => r.name === "bare")!.rps + results.find((r) => r.name === "bare#2")!.rps) / 2;
  log(`\nbare route: ${fmt(bareRps)} req/s (mean of the two runs)`);
  const verdicts = results
    .filter((r) => !r.name.startsWith("bare"))
    .map((r) => {
      const isRead = r.name === "status" || r.name === "runs";
      const ratio = r.rps / bareRps;
      const clean = r.non2xx === 0 && r.errors === 0;
      const met = clean && (!isRead || (ratio >= 0.5 && r.p99 < 10));
      log(`  ${r.name.padEnd(11)} ${fmt(r.rps).padStart(7)} req/s = ${fmt(ratio, 2)} x bare, p99 ${r.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}${isRead ? `: target ${met ? "met" : "MISSED"}` : clean ? "" : ": ERRORS"}`);
      return { ...r, ratio, target: isRead ? ">= 0.5 x bare, p99 < 10 ms, no errors" : "no errors", met };
    });

  log(`\n2. soak: ${SOAK_S} s at ${SOAK_RATE} requests/s (status, runs list, POST run on 4 shared sessions with a key, events page)`);
  const soakResult = await withDir("soak", soak);
  log(
    `  memory ${soakResult.stable ? "stable" : "GROWING"}: the floor (lowest value of each ${FLOOR_WINDOW_S} s, after the collector ran) grows ` +
      `${fmt(soakResult.rssMiB.floorSlopePerMin, 1)} MiB/min (RSS) / ${fmt(soakResult.heapUsedMiB?.floorSlopePerMin ?? 0, 1)} MiB/min (heap) after the first 20 s; stable means under ${STABLE_MIB_PER_MIN} MiB/min`,
  );

  const missed = verdicts.filter((v) => !v.met && (v.name === "status" || v.name === "runs"));
  const profiles: Record<string, ReturnType<typeof summarizeProfile>> = {};
  if (missed.length > 0 || process.env.LOAD_BENCH_PROFILE) {
    log("\n3. profiles (node --cpu-prof on the daemon)");
    const toProfile = missed.length > 0 ? missed.map((m) => m.name) : ["status", "runs"];
    for (const name of toProfile) {
      const path = name === "status" ? "/v1/status" : "/v1/runs?limit=50";
      profiles[name] = await profileRoute({ name: `${name}(prof)`, method: "GET", path, read: true });
    }
  }

  const summary = {
    benchmark: "load",
    machine,
    connections: CONNECTIONS,
    durationS: DURATION_S,
    daemonEnv: { CODEXD_RATE_LIMIT_PER_MINUTE: "0", CODEXD_LOG_LEVEL: "warn" },
    bareRps: Math.round(bareRps),
    results: verdicts.map((v) => ({
      name: v.name,
      route: v.route,
      rps: Math.round(v.rps),
      ratioToBare: Number(v.ratio.toFixed(3)),
      p50Ms: v.p50,
      p99Ms: v.p99,
      non2xx: v.non2xx,
      errors: v.errors,
      serverCpuPct: Math.round(v.serverCpuPct),
      otherCores: Number(v.otherCores.toFixed(2)),
      target: v.target,
      met: v.met,
    })),
    bare: results.filter((r) => r.name.startsWith("bare")).map((r) => ({ name: r.name, rps: Math.round(r.rps), p50Ms: r.p50, p99Ms: r.p99, serverCpuPct: Math.round(r.serverCpuPct), otherCores: Number(r.otherCores.toFixed(2)) })),
    postBacklogQueued: postBacklog,
    soak: soakResult,
    profiles,
    allTargetsMet: verdicts.every((v) => v.met) && soakResult.non2xx === 0 && soakResult.errors === 0,
  };
  log(JSON.stringify(summary));
}

if (process.argv.includes("--bare-server")) {
  void bareServer();
} else {
  process.on("exit", killAllSync);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      killAllSync();
      process.exit(130);
    });
  }
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`load benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
      for (const s of servers) process.stderr.write(`--- ${s.name} output ---\n${s.output().slice(-3000)}\n`);
      process.exit(1);
    },
  );
}
