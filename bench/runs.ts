/**
 * Runs benchmark, each figure beside a baseline measured in the same run:
 *
 *   1. Run throughput through the executor with the fake app-server as the child, at run
 *      concurrency c = 1, 4, 16 (CODEXD_RUN_CONCURRENCY = c and c HTTP clients in flight). Each
 *      client loops: POST /v1/runs, then GET /v1/runs/{id}?waitMs=30000 until terminal; a run's
 *      latency is POST -> terminal answer. Two placements:
 *        - separate: runs without sessionId, so each run gets a new session (thread/start + one
 *          turn), as an orchestrator uses runs;
 *        - shared: every run on one session, which the executor serializes (one turn at a time
 *          per session), whatever c is.
 *      Baseline: the same turns sent straight to a fake app-server over stdio with no daemon
 *      (thread/start + turn/start per run for separate, turn/start on one thread for shared; a
 *      turn counts when its turn/completed arrives), with the same number in flight.
 *   2. Long-poll waiters held at once: WAITERS concurrent GET /v1/runs/{id}?waitMs on
 *      queued/running runs, opened from a forked client process. The daemon runs IN THIS PROCESS;
 *      memory per waiter = (RSS | heap used) delta after a forced GC / waiters, in a cold round
 *      (waitMs=5000, they time out) and a warm round (waitMs=60000). Then the runs are
 *      cancelled and every waiter must wake with the terminal record. Baseline: the same number
 *      of requests held open by a bare node:http server in this process.
 *
 *   npm run build && node bench/run-all.js runs
 *
 * Prints lines for people, then one JSON summary line (the last line of output).
 */
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { Agent as HttpAgent, createServer, get as httpGet, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { request } from "undici";
import { packageRoot } from "../src/package-info.js";
import { BareFake } from "./lib/bare-fake.js";
import { withInProcessDaemon, type InProcessDaemon } from "./lib/in-process-daemon.js";
import { fmt, log, machineInfo, median, percentile, withTempDir } from "./lib/common.js";

const setting = (name: string, fallback: number) => {
  const value = Number(process.env[`RUNS_BENCH_${name}`]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};
/** Runs measured per (placement, concurrency). */
const RUNS = setting("RUNS", 200);
const WARMUP = 20;
const LEVELS = [1, 4, 16] as const;
const WAITERS = setting("WAITERS", 1000);
/** Runs the waiters are spread over: one running, the rest queued behind it. */
const WAIT_TARGETS = 10;
const TERMINAL = new Set(["completed", "failed", "cancelled", "timed_out", "interrupted"]);
const wallMs = () => performance.timeOrigin + performance.now();
const mib = (bytes: number) => bytes / 2 ** 20;

type Placement = "separate" | "shared";

interface RunBody {
  runId: string;
  status: string;
  finishedAt?: string | null;
  [key: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// the daemon, in this process, listening on 127.0.0.1
// ---------------------------------------------------------------------------------------------

function withDaemon<T>(label: string, env: Record<string, string>, fn: (h: InProcessDaemon) => Promise<T>): Promise<T> {
  return withTempDir(`runs-${label}`, (dir) => withInProcessDaemon(dir, env, fn));
}

async function http<T>(method: "GET" | "POST", url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await request(url, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}),
  });
  return { status: res.statusCode, body: (await res.body.json()) as T };
}

/** POST a run and long-poll it to its end; returns ms from POST to the terminal answer. */
async function runToEnd(base: string, body: Record<string, unknown>): Promise<number> {
  const t0 = performance.now();
  const created = await http<RunBody>("POST", `${base}/v1/runs`, body);
  if (created.status !== 202) throw new Error(`POST /v1/runs: ${created.status} ${JSON.stringify(created.body)}`);
  let run = created.body;
  while (!TERMINAL.has(run.status)) run = (await http<RunBody>("GET", `${base}/v1/runs/${run.runId}?waitMs=30000`)).body;
  if (run.status !== "completed") throw new Error(`run ended ${run.status}: ${JSON.stringify(run)}`);
  return performance.now() - t0;
}

/** `total` jobs through `inFlight` workers; per-job latencies and the wall time. */
async function drive(total: number, inFlight: number, job: (i: number) => Promise<number>): Promise<{ ms: number; latencies: number[] }> {
  let next = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) latencies.push(await job(next++));
    }),
  );
  return { ms: performance.now() - t0, latencies };
}

interface Throughput {
  placement: Placement;
  concurrency: number;
  runs: number;
  runsPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  baselineTurnsPerSec: number;
  baselineP50Ms: number;
  daemonVsBaseline: number;
}

async function benchThroughput(placement: Placement, concurrency: number): Promise<Throughput> {
  const daemonSide = await withDaemon(`${placement}-${concurrency}`, { CODEXD_RUN_CONCURRENCY: String(concurrency) }, async ({ base }) => {
    let sessionId: string | undefined;
    if (placement === "shared") {
      const created = await http<{ sessionId: string }>("POST", `${base}/v1/sessions`, {});
      sessionId = created.body.sessionId;
    }
    const body = (i: number) => ({ prompt: `bench run ${i}`, ...(sessionId ? { sessionId } : {}) });
    await drive(WARMUP, concurrency, (i) => runToEnd(base, body(-1 - i)));
    return drive(RUNS, concurrency, (i) => runToEnd(base, body(i)));
  });
  const bare = await baselineTurns(placement, concurrency);
  const runsPerSec = (RUNS / daemonSide.ms) * 1000;
  const baselineTurnsPerSec = (RUNS / bare.ms) * 1000;
  return {
    placement,
    concurrency,
    runs: RUNS,
    runsPerSec,
    p50Ms: median(daemonSide.latencies),
    p90Ms: percentile(daemonSide.latencies, 90),
    p99Ms: percentile(daemonSide.latencies, 99),
    baselineTurnsPerSec,
    baselineP50Ms: median(bare.latencies),
    daemonVsBaseline: runsPerSec / baselineTurnsPerSec,
  };
}

// ---------------------------------------------------------------------------------------------
// baseline: the fake app-server over stdio, no daemon
// ---------------------------------------------------------------------------------------------


async function baselineTurns(placement: Placement, concurrency: number): Promise<{ ms: number; latencies: number[] }> {
  const fake = new BareFake();
  try {
    await fake.request("initialize", { clientInfo: { name: "bench", title: "bench", version: "0" } });
    fake.notify("initialized");
    const shared = placement === "shared" ? (await fake.request<{ thread: { id: string } }>("thread/start", { cwd: packageRoot })).thread.id : null;
    // One turn at a time on a thread (the app-server refuses a second): a chain, as the executor keeps it.
    let chain: Promise<unknown> = Promise.resolve();
    const turn = async (threadId: string, i: number) => {
      const started = await fake.request<{ turn: { id: string } }>("turn/start", { threadId, input: [{ type: "text", text: `bench run ${i}` }] });
      await fake.turnCompleted(started.turn.id);
    };
    const job = async (i: number) => {
      const t0 = performance.now();
      if (shared) {
        const mine = chain.then(() => turn(shared, i));
        chain = mine.catch(() => {});
        await mine;
      } else {
        const { thread } = await fake.request<{ thread: { id: string } }>("thread/start", { cwd: packageRoot });
        await turn(thread.id, i);
      }
      return performance.now() - t0;
    };
    await drive(WARMUP, concurrency, (i) => job(-1 - i));
    return await drive(RUNS, concurrency, job);
  } finally {
    await fake.close();
  }
}

// ---------------------------------------------------------------------------------------------
// long-poll waiters
// ---------------------------------------------------------------------------------------------

const gc = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

function memory(): { rss: number; heapUsed: number } {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

type ClientMessage =
  | { type: "sent"; count: number }
  | { type: "done"; count: number; statuses: Record<string, number>; errors: number; wakeMs: number[] };

/** A forked process that opens the requests, so their client-side cost is not in our memory. */
class WaiterClient {
  private readonly proc: ChildProcess;
  private readonly inbox: ClientMessage[] = [];
  private notify: (() => void) | null = null;

  constructor() {
    this.proc = fork(fileURLToPath(import.meta.url), ["--waiter-client"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.proc.on("message", (m) => {
      this.inbox.push(m as ClientMessage);
      this.notify?.();
    });
  }

  open(base: string, paths: string[], count: number): void {
    this.proc.send({ cmd: "open", base, paths, count });
  }

  async next<K extends ClientMessage["type"]>(type: K, timeoutMs: number): Promise<Extract<ClientMessage, { type: K }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as Extract<ClientMessage, { type: K }>;
      if (Date.now() > deadline) throw new Error(`waiter client: no "${type}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.notify = resolve;
        setTimeout(resolve, 100);
      });
    }
  }

  async close(): Promise<void> {
    this.proc.send({ cmd: "exit" });
    if (this.proc.exitCode === null) await once(this.proc, "exit");
  }
}

/** The client side (runs in the forked process). */
function waiterClientMain(): void {
  const agent = new HttpAgent({ keepAlive: false, maxSockets: Infinity });
  process.on("message", (raw) => {
    const msg = raw as { cmd: string; base: string; paths: string[]; count: number };
    if (msg.cmd === "exit") process.exit(0);
    if (msg.cmd !== "open") return;
    let written = 0;
    let answered = 0;
    let errors = 0;
    const statuses: Record<string, number> = {};
    const wakeMs: number[] = [];
    const settle = () => {
      if (++answered === msg.count) process.send!({ type: "done", count: answered, statuses, errors, wakeMs });
    };
    for (let i = 0; i < msg.count; i++) {
      const req = httpGet(`${msg.base}${msg.paths[i % msg.paths.length]}`, { agent }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          const at = wallMs();
          let key = `http ${res.statusCode}`;
          try {
            const body = JSON.parse(text) as RunBody;
            if (body.status) key = body.status;
            if (body.finishedAt) wakeMs.push(at - Date.parse(body.finishedAt));
          } catch {
            // a bare server's answer is not JSON
          }
          statuses[key] = (statuses[key] ?? 0) + 1;
          settle();
        });
      });
      req.on("error", () => {
        errors++;
        settle();
      });
      req.on("finish", () => {
        if (++written === msg.count) process.send!({ type: "sent", count: written });
      });
    }
  });
}

interface PerHeld {
  /** First round in a fresh server: includes the one-off growth of the process. */
  coldRssBytes: number;
  coldHeapBytes: number;
  /** Second round: memory freed by the first is reused, so RSS barely moves; heap is the cost. */
  warmRssBytes: number;
  warmHeapBytes: number;
}

interface WaiterFigures {
  waiters: number;
  registerMs: number;
  perWaiter: PerHeld;
  allWoke: boolean;
  statuses: Record<string, number>;
  errors: number;
  wakeP50Ms: number;
  wakeP99Ms: number;
  wakeMaxMs: number;
  /** A bare node:http server holding the same number of requests, in this process. */
  baselinePerRequest: PerHeld;
}

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const perHeld = (before: { rss: number; heapUsed: number }, after: { rss: number; heapUsed: number }) => ({
  rss: (after.rss - before.rss) / WAITERS,
  heap: (after.heapUsed - before.heapUsed) / WAITERS,
});

async function benchWaiters(): Promise<WaiterFigures> {
  const client = new WaiterClient();
  try {
    const bare = await bareHeldRequests(client);
    const daemonSide = await withDaemon("waiters", { CODEXD_RUN_CONCURRENCY: "1" }, async ({ daemon, base }) => {
      const ids: string[] = [];
      for (let i = 0; i < WAIT_TARGETS; i++) {
        const created = await http<RunBody>("POST", `${base}/v1/runs`, { prompt: `[silent] waited on ${i}` });
        ids.push(created.body.runId);
      }
      await until("the first run's turn to start", async () => (await http<RunBody>("GET", `${base}/v1/runs/${ids[0]}`)).body.turnId != null);
      // The waiters in the run service, by run; read for measuring only (a private field).
      const registry = (daemon.runs as unknown as { waiters: Map<string, Set<unknown>> }).waiters;
      const held = () => [...registry.values()].reduce((n, set) => n + set.size, 0);

      // Cold round: waiters that end at their waitMs (5 s, well after all are registered).
      let before = memory();
      client.open(base, ids.map((id) => `/v1/runs/${id}?waitMs=5000`), WAITERS);
      await client.next("sent", 60_000);
      await until(`${WAITERS} waiters`, () => held() >= WAITERS);
      const cold = perHeld(before, memory());
      const first = await client.next("done", 60_000);
      if (first.errors > 0 || (first.statuses.running ?? 0) + (first.statuses.queued ?? 0) !== WAITERS) throw new Error(`cold round: ${JSON.stringify(first.statuses)}, ${first.errors} errors`);
      await until("the cold waiters to be gone", () => held() === 0);

      // Warm round: long waiters, then the runs end and every one must wake.
      before = memory();
      const t0 = performance.now();
      client.open(base, ids.map((id) => `/v1/runs/${id}?waitMs=60000`), WAITERS);
      await client.next("sent", 60_000);
      await until(`${WAITERS} waiters`, () => held() >= WAITERS);
      const registerMs = performance.now() - t0;
      const warm = perHeld(before, memory());

      // End the runs: the queued ones first, then the running one.
      for (const id of [...ids.slice(1), ids[0]!]) await daemon.runs.cancel(id);
      const done = await client.next("done", 60_000);
      return { cold, warm, registerMs, done };
    });
    const { cold, warm, done } = daemonSide;
    return {
      waiters: WAITERS,
      registerMs: daemonSide.registerMs,
      perWaiter: { coldRssBytes: cold.rss, coldHeapBytes: cold.heap, warmRssBytes: warm.rss, warmHeapBytes: warm.heap },
      allWoke: done.count === WAITERS && done.errors === 0 && (done.statuses.cancelled ?? 0) === WAITERS,
      statuses: done.statuses,
      errors: done.errors,
      wakeP50Ms: median(done.wakeMs),
      wakeP99Ms: percentile(done.wakeMs, 99),
      wakeMaxMs: Math.max(...done.wakeMs),
      baselinePerRequest: bare,
    };
  } finally {
    await client.close();
  }
}

/** The same number of requests held (not answered) by a bare node:http server in this process. */
async function bareHeldRequests(client: WaiterClient): Promise<PerHeld> {
  const held: ServerResponse[] = [];
  const server = createServer((_req, res) => void held.push(res));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const round = async () => {
    const before = memory();
    client.open(base, ["/held"], WAITERS);
    await client.next("sent", 60_000);
    await until(`${WAITERS} held requests`, () => held.length >= WAITERS);
    const cost = perHeld(before, memory());
    for (const res of held.splice(0)) res.end("ok");
    await client.next("done", 60_000);
    return cost;
  };
  try {
    const cold = await round();
    const warm = await round();
    return { coldRssBytes: cold.rss, coldHeapBytes: cold.heap, warmRssBytes: warm.rss, warmHeapBytes: warm.heap };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const machine = machineInfo();
  const started = performance.now();
  log(`# codexd runs benchmark — ${new Date().toISOString()}`);
  log(`machine: ${machine.os}, ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, node ${machine.node}, temp dirs under ${machine.tmpdir}`);
  log("daemon in this process (store, HTTP server, executor), listening on 127.0.0.1; the fake app-server as its child;");
  log("default settings except CODEXD_RUN_CONCURRENCY, liveness probe off, rate limit off");
  log();
  log(`## 1. run throughput: ${RUNS} runs per row after ${WARMUP} warm-up, POST -> terminal via long-poll, c clients in flight = CODEXD_RUN_CONCURRENCY`);
  log("   baseline: the same turns straight to a fake app-server over stdio, no daemon, same number in flight");
  const throughput: Throughput[] = [];
  for (const placement of ["separate", "shared"] as const) {
    for (const c of LEVELS) {
      const r = await benchThroughput(placement, c);
      throughput.push(r);
      log(
        `  ${placement.padEnd(8)} c=${String(c).padStart(2)}: ${fmt(r.runsPerSec, 1).padStart(6)} runs/s  p50 ${fmt(r.p50Ms, 1)} ms, p90 ${fmt(r.p90Ms, 1)} ms, p99 ${fmt(r.p99Ms, 1)} ms` +
          ` | baseline ${fmt(r.baselineTurnsPerSec, 1).padStart(6)} turns/s, p50 ${fmt(r.baselineP50Ms, 1)} ms | daemon/baseline ${fmt(r.daemonVsBaseline, 3)}`,
      );
    }
  }
  log("  separate: each run without sessionId (new session: thread/start + turn); shared: all runs on one session (serialized by the executor)");
  log();
  log(`## 2. long-poll waiters: ${fmt(WAITERS)} concurrent GET /v1/runs/{id}?waitMs over ${WAIT_TARGETS} runs (1 running, ${WAIT_TARGETS - 1} queued); clients in a forked process`);
  log("   cold round: waitMs=5000 (they end by themselves); warm round: waitMs=60000, then the runs are cancelled");
  const waiters = await benchWaiters();
  const kib = (b: number) => fmt(b / 1024, 1);
  const w = waiters.perWaiter;
  const b = waiters.baselinePerRequest;
  log(`  ${fmt(WAITERS)} waiters registered in ${fmt(waiters.registerMs)} ms`);
  log(`  per waiter (daemon in this process, after forced GC): cold round RSS ${kib(w.coldRssBytes)} KiB, heap ${kib(w.coldHeapBytes)} KiB; warm round RSS ${kib(w.warmRssBytes)} KiB, heap ${kib(w.warmHeapBytes)} KiB`);
  log(`  baseline per held request (bare node:http server, same process): cold RSS ${kib(b.coldRssBytes)} KiB, heap ${kib(b.coldHeapBytes)} KiB; warm RSS ${kib(b.warmRssBytes)} KiB, heap ${kib(b.warmHeapBytes)} KiB`);
  log(`  runs cancelled -> all woke: ${waiters.allWoke ? "yes" : "NO"} (${JSON.stringify(waiters.statuses)}, ${waiters.errors} errors); wake after the run's finishedAt p50 ${fmt(waiters.wakeP50Ms, 1)} ms, p99 ${fmt(waiters.wakeP99Ms, 1)} ms, max ${fmt(waiters.wakeMaxMs, 1)} ms`);
  const totalMs = performance.now() - started;
  log(`total ${fmt(totalMs / 1000, 1)} s; process RSS now ${fmt(mib(process.memoryUsage().rss), 1)} MiB`);
  log(JSON.stringify({ bench: "runs", date: new Date().toISOString(), machine, runsPerRow: RUNS, throughput, waiters, totalMs }));
  if (!waiters.allWoke) process.exitCode = 1;
}

if (process.argv.includes("--waiter-client")) {
  waiterClientMain();
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
