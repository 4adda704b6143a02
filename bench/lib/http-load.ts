/**
 * What the HTTP benchmarks share: a daemon (`node dist/src/cli.js serve`, the fake app-server as
 * its child) or another server in a process of its own, autocannon driven from the bench process,
 * CPU accounting from /proc, and cleanup of every process started.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import Fastify from "fastify";
import { request } from "undici";
import { packageRoot } from "../../src/package-info.js";
import { fmt, log, processCpuMs } from "./common.js";

// ---- autocannon (CommonJS, no type declarations): the part of its API used here ----
export interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
}
export interface AutocannonResult {
  requests: Histogram & { total: number };
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
export interface RawRequest {
  headers?: Record<string, string>;
  [key: string]: unknown;
}
export interface AutocannonRequest {
  method?: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
  setupRequest?: (req: RawRequest) => RawRequest;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
export const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

/** The daemon's entry point; LOAD_BENCH_DAEMON_CLI points at another build (an older one, to compare). */
export const CLI = process.env.LOAD_BENCH_DAEMON_CLI ?? join(packageRoot, "dist", "src", "cli.js");
export const FAKE = join(packageRoot, "test", "fixtures", "fake-app-server.mjs");
export const JSON_HEADERS = { "content-type": "application/json" };
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Server {
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

/** A server process that prints `listening <port>` once it listens. */
export async function startListening(name: string, args: string[]): Promise<Server> {
  const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const output = capture(proc);
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const deadline = Date.now() + 10_000;
  while (!/listening (\d+)/.test(output())) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`${name} did not start: ${output()}`);
    await sleep(20);
  }
  const port = Number(/listening (\d+)/.exec(output())![1]);
  const server: Server = { name, proc, pid: proc.pid!, url: `http://127.0.0.1:${port}`, exited, output, childGroup: null };
  servers.add(server);
  return server;
}

export async function http(method: string, url: string, body?: unknown): Promise<{ status: number; body: any; text: string }> {
  const res = await request(url, { method: method as "GET", ...(body === undefined ? {} : { body: JSON.stringify(body), headers: JSON_HEADERS }) });
  const text = await res.body.text();
  return { status: res.statusCode, text, body: text && String(res.headers["content-type"]).includes("json") ? JSON.parse(text) : text };
}

async function freePort(): Promise<number> {
  const probe = Fastify();
  await probe.listen({ host: "127.0.0.1", port: 0 });
  const address = probe.server.address();
  await probe.close();
  return typeof address === "object" && address ? address.port : 0;
}

export interface DaemonStart {
  server: Server;
  /** From spawn to `/readyz` answering 200 (store loaded, child ready). */
  readyMs: number;
}

export interface DaemonProcessOptions {
  /** The build to run (default CLI). */
  cli?: string;
  /** A command the daemon runs under, e.g. a profiler: `[...wrapper, node, ...nodeArgs, cli, "serve"]`. */
  wrapper?: readonly string[];
  /** How long to wait for /readyz (default 120 s). */
  readyTimeoutMs?: number;
}

/** A daemon on `stateDir/state` with the fake app-server as its child; resolves once /readyz says ready. */
export async function startDaemon(stateDir: string, env: Record<string, string> = {}, nodeArgs: string[] = [], options: DaemonProcessOptions = {}): Promise<DaemonStart> {
  const port = await freePort();
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CODEXD_") && !k.startsWith("FAKE_") && k !== "NODE_OPTIONS"));
  const started = performance.now();
  const command = [...(options.wrapper ?? []), process.execPath, ...nodeArgs, options.cli ?? CLI, "serve"];
  const proc = spawn(command[0]!, command.slice(1), {
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
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  for (;;) {
    const ready = await http("GET", `${server.url}/readyz`).catch(() => null);
    if (ready?.status === 200) {
      const readyMs = performance.now() - started;
      const child = await http("GET", `${server.url}/v1/child`).catch(() => null);
      server.childGroup = (child?.body?.pgid as number | undefined) ?? (child?.body?.state?.pgid as number | undefined) ?? null;
      return { server, readyMs };
    }
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`daemon did not become ready: ${output()}`);
    await sleep(10);
  }
}

/** SIGTERM (the daemon stops its child), SIGKILL after 30 s; the child group is killed either way. Returns ms to exit. */
export async function stop(server: Server): Promise<number> {
  const started = performance.now();
  if (server.proc.exitCode === null && server.proc.signalCode === null) {
    server.proc.kill("SIGTERM");
    const done = await Promise.race([server.exited.then(() => true), sleep(30_000).then(() => false)]);
    if (!done) {
      server.proc.kill("SIGKILL");
      await server.exited;
    }
  }
  const ms = performance.now() - started;
  if (server.childGroup) {
    try {
      process.kill(-server.childGroup, "SIGKILL");
    } catch {
      // gone
    }
  }
  servers.delete(server);
  return ms;
}

export function killAllSync(): void {
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

/** Kill every server started on exit or interruption; run `main`, exit 0 or 1 with the servers' output. */
export function runMain(name: string, main: () => Promise<void>): void {
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
      process.stderr.write(`${name} benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
      for (const s of servers) process.stderr.write(`--- ${s.name} output ---\n${s.output().slice(-3000)}\n`);
      process.exit(1);
    },
  );
}

/** CPU time (ms) all CPUs spent busy so far, from /proc/stat. */
export function machineBusyMs(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return (fields.reduce((a, b) => a + b, 0) - idle) * 10;
}

/** CPU time (ms) of this process (autocannon) so far. */
export const selfMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

export const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

export interface Target {
  name: string;
  server: Server;
  method: "GET" | "POST";
  path: string;
  body?: unknown;
  uniqueKey?: boolean;
  /** Paths taken in turn, one per request across all connections (instead of `path` each time). */
  paths?: readonly string[];
}

export interface Measurement {
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

function cannonOptions(t: Target, seconds: number, connections: number): Record<string, unknown> {
  let n = 0;
  const tag = `${t.name}-${Date.now().toString(36)}`;
  const req: AutocannonRequest = {
    method: t.method,
    path: t.path,
    ...(t.body !== undefined ? { body: JSON.stringify(t.body), headers: JSON_HEADERS } : {}),
    ...(t.uniqueKey ? { setupRequest: (r: RawRequest) => ({ ...r, headers: { ...r.headers, "idempotency-key": `${tag}-${n++}` } }) } : {}),
    ...(t.paths ? { setupRequest: (r: RawRequest) => ({ ...r, path: t.paths![n++ % t.paths!.length] }) } : {}),
  };
  return { url: t.server.url, connections, duration: seconds, requests: [req], timeout: 20 };
}

export async function measure(t: Target, seconds: number, connections: number, quiet = false): Promise<Measurement> {
  const cpu0 = processCpuMs(t.server.pid);
  const own0 = selfMs();
  const busy0 = machineBusyMs();
  const started = Date.now();
  const r = await autocannon(cannonOptions(t, seconds, connections));
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
  if (!quiet) {
    log(
      `  ${m.name.padEnd(18)} ${m.route.padEnd(46)} ${fmt(m.rps).padStart(7)} req/s  p50 ${fmt(m.p50, 1)} ms  p99 ${fmt(m.p99, 1)} ms  max ${fmt(m.max)} ms  ` +
        `non-2xx ${m.non2xx}  errors ${m.errors}  cpu: server ${fmt(m.serverCpuPct)}%, autocannon ${fmt(m.clientCpuPct)}%, rest ${fmt(m.otherCores, 2)} cores`,
    );
  }
  return m;
}

export async function warm(t: Target, seconds: number, connections: number): Promise<void> {
  await autocannon(cannonOptions(t, seconds, connections));
}

/** Queue `count` runs (prompt chosen per index) `batch` at a time; then wait until none is queued or running. */
export async function seedRuns(url: string, count: number, prompt: (i: number) => string, batch = 50): Promise<void> {
  for (let i = 0; i < count; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, (_, j) =>
        http("POST", `${url}/v1/runs`, { prompt: prompt(i + j), metadata: { seed: i + j } }).then((r) => {
          if (r.status !== 202) throw new Error(`seeding: POST /v1/runs answered ${r.status}: ${r.text}`);
        }),
      ),
    );
  }
  // 5 minutes, or 100 ms a run for larger states (10,000 runs drained in more than 5 minutes).
  const left = await drain(url, Math.max(300_000, count * 100));
  if (left > 0) throw new Error(`seeded runs did not finish: ${left} of ${count} still queued or running`);
}

/** Settings of a daemon that builds the read benchmarks' state: approvals answered, 16 runs at once. */
export const READ_STATE_ENV = { CODEXD_APPROVAL_POLICY: "accept", CODEXD_RUN_CONCURRENCY: "16" };

/** The read benchmarks' state: `count` runs, each on a new session, every 5th asking a command approval. */
export function seedReadState(url: string, count: number): Promise<void> {
  return seedRuns(url, count, (i) => (i % 5 === 0 ? `[approval:command] [reply:ok] seed ${i}` : `[reply:ok] seed ${i}`));
}

/** Wait until no run is queued or running; the number of runs left over if the time ran out. */
export async function drain(url: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await http("GET", `${url}/v1/status`);
    const counts = status.body.counts.runs as Record<string, number>;
    const open = (counts.queued ?? 0) + (counts.running ?? 0);
    if (open === 0 || Date.now() > deadline) return open;
    await sleep(200);
  }
}

// ---- profiles ----

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface ProfileSummary {
  top: Array<{ fn: string; pct: number }>;
  byArea: Array<{ area: string; pct: number }>;
}

/** Self time by function and by where the code lives, from a .cpuprofile. */
export function summarizeProfile(file: string): ProfileSummary {
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
    const short = url.replace(/^file:\/\//, "").replace(/^.*?\/(dist|node_modules)\//, "$1/");
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
