/**
 * SSE fan-out benchmark: 50 subscribers on `GET /v1/events/stream` (real HTTP connections to a
 * real listening daemon) while events are recorded at the highest durable rate (many
 * `store.recordEvent` calls in flight, each resolving after its group-committed fdatasync).
 *
 *   npm run bench -- stream
 *
 * Two loads, as in the store benchmark: 64 and 256 recordEvent calls in flight.
 * The daemon (store, HTTP server, stream hub) runs in this process, and so does the writer that
 * calls recordEvent: the RSS figures are this process's. The subscribers run in a forked child
 * process, so their parsing does not share the daemon's event loop. Each repetition uses a fresh
 * daemon on a fresh temp state dir (removed afterwards) and measures:
 *   A. the recording rate with 0 subscribers (baseline),
 *   B. the same writes with 50 subscribers connected: recording rate, delivered events/s (total
 *      over all subscribers), delivery latency (event `createdAt` to receipt by the subscriber,
 *      p50/p99/max), and whether every subscriber received every event, in order, exactly once.
 * Subscribers connect at the live tail (no cursor) and read frames as they come, looking only at
 * `id:`, `event:` and the event's `createdAt` (no full JSON parse). `createdAt` has millisecond
 * resolution, so a latency can read up to 1 ms high.
 *
 * Prints human-readable lines, then one JSON summary line (the last line of output).
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest, type ClientRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { buildApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { Daemon } from "../src/daemon.js";
import type { EventInput } from "../src/state/store.js";
import { machineInfo } from "./common.js";

// ---- sizes (the whole benchmark stays well under a minute on 2 cores) ----
// STREAM_BENCH_* environment variables override them, for exploring; the defaults are the benchmark.
const setting = (name: string, fallback: number) => {
  const value = Number(process.env[`STREAM_BENCH_${name}`]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};
const SUBSCRIBERS = setting("SUBSCRIBERS", 50);
const EVENTS = setting("EVENTS", 10_000);
const WARMUP = 2_000;
/** recordEvent calls in flight, as in the store benchmark; one level when STREAM_BENCH_IN_FLIGHT is set. */
const IN_FLIGHT_LEVELS: readonly number[] = process.env.STREAM_BENCH_IN_FLIGHT ? [setting("IN_FLIGHT", 256)] : [64, 256];
const REPS = setting("REPS", 3);
/** How long subscribers may take to catch up after the last write before they count as short. */
const DRAIN_TIMEOUT_MS = 30_000;
const P99_TARGET_MS = 100;

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root, from bench/ (ts) or dist/bench/ (compiled). */
const root = existsSync(join(here, "..", "package.json")) ? resolve(here, "..") : resolve(here, "..", "..");
const fakeAppServer = join(root, "test", "fixtures", "fake-app-server.mjs");

// ---- helpers ----

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const log = (line = "") => process.stdout.write(`${line}\n`);
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const mib = (bytes: number) => bytes / 2 ** 20;
/** Wall-clock milliseconds with sub-millisecond resolution (comparable across processes). */
const wallMs = () => performance.timeOrigin + performance.now();

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;
/** CPU time (user + system) of another process from /proc, ms; NaN where there is no /proc. */
function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks, USER_HZ = 100
  } catch {
    return NaN;
  }
}

const TEXT = "Streaming the agent's reply: the subscriber queue drains to the socket, honouring backpressure, one frame at a time.";

/** An agent-message delta as a busy child produces them: session, run and turn ids, ~400 bytes. */
function deltaEvent(i: number): EventInput {
  const session = `sess-${String(i % 5).padStart(4, "0")}`;
  return {
    level: "info",
    type: "item.agentMessage.delta",
    message: "agent message delta",
    detail: { itemId: `item-${i >> 5}`, delta: TEXT.slice(0, 50 + (i % 60)), index: i },
    sessionId: session,
    runId: `run-${session}-${i >> 9}`,
    turnId: `turn-${i >> 7}`,
  };
}

/** `workers` producers share one counter; each awaits its recordEvent before taking the next. */
async function produce(daemon: Daemon, from: number, total: number, workers: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < total) await daemon.store.recordEvent(deltaEvent(from + next++));
    }),
  );
  return performance.now() - t0;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

// ---- the subscriber process ----

interface SubscriberReport {
  /** Timed events received (timedAfter < seq <= last). */
  received: number;
  expected: number;
  /** Every seq in (after, last] exactly once, in order. */
  complete: boolean;
  problems: string[];
  overflowed: boolean;
  ended: boolean;
}

interface ResultMessage {
  type: "result";
  subscribers: SubscriberReport[];
  deliveries: number;
  latency: { p50: number; p99: number; max: number; mean: number };
  /** Wall-clock ms of the last receipt of a timed event, over all subscribers. */
  lastReceiptMs: number;
  drainMs: number;
}

type ToSubscribers = { type: "finish"; timedAfter: number; lastSeq: number };

/** One SSE connection that keeps, per event, its seq and its delivery latency. */
class Subscriber {
  after = -1;
  readonly seqs: number[] = [];
  readonly latencies: number[] = [];
  overflowed = false;
  ended = false;
  lastSeq = 0;
  lastReceiptMs = 0;
  private buffer = "";
  private req: ClientRequest | null = null;
  private readonly decoder = new TextDecoder();

  connect(url: string): Promise<void> {
    return new Promise((resolveConnect, reject) => {
      const req = httpRequest(url, { headers: { accept: "text/event-stream" }, agent: false });
      this.req = req;
      req.once("error", reject);
      req.once("response", (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
        this.after = Number(res.headers["x-codexd-after"]);
        res.on("data", (chunk: Buffer) => this.feed(chunk));
        res.on("close", () => (this.ended = true));
        resolveConnect();
      });
      req.end();
    });
  }

  close(): void {
    this.req?.destroy();
  }

  /** Frames end with a blank line; only `id:`, `event:` and the event's createdAt are looked at. */
  private feed(chunk: Buffer): void {
    const now = wallMs();
    this.buffer += this.decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = this.buffer.indexOf("\n\n")) >= 0) {
      const frame = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      if (frame.startsWith(":")) continue;
      if (frame.includes("\nevent: overflow\n") || frame.startsWith("event: overflow\n")) {
        this.overflowed = true;
        continue;
      }
      if (!frame.startsWith("id: ")) continue;
      const seq = Number(frame.slice(4, frame.indexOf("\n")));
      const at = frame.indexOf('"createdAt":"');
      const createdAt = at >= 0 ? Date.parse(frame.slice(at + 13, at + 13 + 24)) : NaN;
      this.seqs.push(seq);
      this.latencies.push(now - createdAt);
      this.lastSeq = seq;
      this.lastReceiptMs = now;
    }
  }

  report(timedAfter: number, lastSeq: number): SubscriberReport {
    const problems: string[] = [];
    let expectedSeq = this.after + 1;
    let received = 0;
    for (const seq of this.seqs) {
      if (seq > lastSeq) break;
      if (seq !== expectedSeq && problems.length < 5) problems.push(seq < expectedSeq ? `repeat ${seq}` : `gap ${expectedSeq}..${seq - 1}`);
      expectedSeq = seq + 1;
      if (seq > timedAfter) received++;
    }
    if (expectedSeq <= lastSeq && problems.length < 5) problems.push(`missing ${expectedSeq}..${lastSeq}`);
    return { received, expected: lastSeq - timedAfter, complete: problems.length === 0, problems, overflowed: this.overflowed, ended: this.ended };
  }
}

async function subscriberProcess(url: string, count: number): Promise<void> {
  const subs = Array.from({ length: count }, () => new Subscriber());
  await Promise.all(subs.map((s) => s.connect(url)));
  process.send!({ type: "ready" });
  process.on("message", (message: ToSubscribers) => {
    if (message.type !== "finish") return;
    const { timedAfter, lastSeq } = message;
    const t0 = performance.now();
    const check = () => {
      const waiting = subs.filter((s) => s.lastSeq < lastSeq && !s.ended && !s.overflowed);
      if (waiting.length > 0 && performance.now() - t0 < DRAIN_TIMEOUT_MS) return void setTimeout(check, 5);
      const drainMs = performance.now() - t0;
      // Latencies of the timed events only (seq > timedAfter), over every subscriber.
      let n = 0;
      for (const s of subs) for (const seq of s.seqs) if (seq > timedAfter && seq <= lastSeq) n++;
      const all = new Float64Array(n);
      let k = 0;
      let lastReceiptMs = 0;
      for (const s of subs) {
        s.seqs.forEach((seq, i) => {
          if (seq > timedAfter && seq <= lastSeq) all[k++] = s.latencies[i]!;
        });
        lastReceiptMs = Math.max(lastReceiptMs, s.lastReceiptMs);
      }
      all.sort();
      const mean = all.reduce((a, b) => a + b, 0) / Math.max(1, all.length);
      const result: ResultMessage = {
        type: "result",
        subscribers: subs.map((s) => s.report(timedAfter, lastSeq)),
        deliveries: all.length,
        latency: { p50: percentile(all, 50), p99: percentile(all, 99), max: all.at(-1) ?? NaN, mean },
        lastReceiptMs,
        drainMs,
      };
      for (const s of subs) s.close();
      process.send!(result, undefined, {}, () => process.exit(0));
    };
    check();
  });
}

// ---- the daemon side ----

interface Rep {
  baseline: { ms: number; rate: number };
  withSubscribers: {
    ms: number;
    rate: number;
    deliveredPerSec: number;
    deliveries: number;
    latency: ResultMessage["latency"];
    complete: number;
    overflowed: number;
    drainMs: number;
    problems: string[];
    /** CPU used while the timed events of phase B were written, % of one core. */
    daemonCpuPct: number;
    subscriberCpuPct: number;
  };
  ratio: number;
  rss: { beforeMiB: number; afterMiB: number; peakMiB: number };
}

function startSubscribers(url: string, count: number): Promise<{ child: ChildProcess; result: Promise<ResultMessage> }> {
  const child = fork(fileURLToPath(import.meta.url), ["--subscribers", url, String(count)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let resolveResult!: (r: ResultMessage) => void;
  let rejectResult!: (e: Error) => void;
  const result = new Promise<ResultMessage>((res, rej) => {
    resolveResult = res;
    rejectResult = rej;
  });
  result.catch(() => {});
  return new Promise((resolveReady, rejectReady) => {
    child.on("message", (message: { type: string }) => {
      if (message.type === "ready") resolveReady({ child, result });
      if (message.type === "result") resolveResult(message as ResultMessage);
    });
    child.once("exit", (code, signal) => {
      const error = new Error(`subscriber process exited (${signal ?? code}) early`);
      rejectReady(error);
      rejectResult(error);
    });
  });
}

async function runRep(inFlight: number): Promise<Rep> {
  const dir = await mkdtemp(join(tmpdir(), "codexd-bench-stream-"));
  const config = loadConfig({
    cwd: dir,
    env: { CODEXD_STATE_DIR: join(dir, "state"), CODEXD_CHILD_COMMAND: process.execPath, CODEXD_CHILD_ARGS: JSON.stringify([fakeAppServer]) },
    flags: {},
  });
  const logger = pino({ level: "silent" });
  const daemon = new Daemon(config, logger);
  await daemon.start();
  const app = await buildApp(daemon, { logger });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as AddressInfo;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  let child: ChildProcess | null = null;
  try {
    await daemon.child.waitFor("ready", 10_000, ["fatal"]);
    await produce(daemon, 0, WARMUP, inFlight);
    const rssBefore = process.memoryUsage().rss;
    peak = rssBefore;

    // A. no subscriber
    const baseMs = await produce(daemon, WARMUP, EVENTS, inFlight);

    // B. 50 subscribers at the live tail
    const subs = await startSubscribers(`http://127.0.0.1:${port}/v1/events/stream`, SUBSCRIBERS);
    child = subs.child;
    await produce(daemon, WARMUP + EVENTS, WARMUP, inFlight); // warm-up with subscribers attached
    const timedAfter = daemon.store.lastSeq;
    const t0 = wallMs();
    const cpu0 = process.cpuUsage();
    const childCpu0 = procCpuMs(child.pid!);
    const ms = await produce(daemon, 2 * WARMUP + EVENTS, EVENTS, inFlight);
    const daemonCpu = cpuMs(process.cpuUsage(cpu0));
    const childCpu = procCpuMs(child.pid!) - childCpu0;
    const lastSeq = daemon.store.lastSeq;
    child.send({ type: "finish", timedAfter, lastSeq } satisfies ToSubscribers);
    const result = await subs.result;
    const rssAfter = process.memoryUsage().rss;
    peak = Math.max(peak, rssAfter);
    const complete = result.subscribers.filter((s) => s.complete).length;
    const problems = result.subscribers.flatMap((s, i) => s.problems.map((p) => `subscriber ${i}: ${p}`)).slice(0, 5);
    return {
      baseline: { ms: baseMs, rate: (EVENTS * 1000) / baseMs },
      withSubscribers: {
        ms,
        rate: (EVENTS * 1000) / ms,
        deliveredPerSec: (result.deliveries * 1000) / (result.lastReceiptMs - t0),
        deliveries: result.deliveries,
        latency: result.latency,
        complete,
        overflowed: result.subscribers.filter((s) => s.overflowed).length,
        drainMs: result.drainMs,
        problems,
        daemonCpuPct: (100 * daemonCpu) / ms,
        subscriberCpuPct: (100 * childCpu) / ms,
      },
      ratio: (EVENTS * 1000) / ms / ((EVENTS * 1000) / baseMs),
      rss: { beforeMiB: mib(rssBefore), afterMiB: mib(rssAfter), peakMiB: mib(peak) },
    };
  } finally {
    clearInterval(sampler);
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await app.close();
    await daemon.stop("benchmark finished");
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const machine = {
    ...machineInfo(),
    /** 1-minute load average at the start: other work on the machine skews every figure. */
    loadAvgStart: round(loadavg()[0]!, 2),
  };
  const date = new Date().toISOString();
  log(`# codexd SSE fan-out benchmark — ${date}`);
  log(`machine: ${machine.os}, ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, node ${machine.node}, temp dirs under ${machine.tmpdir}; load average ${machine.loadAvgStart}`);
  log(
    `${SUBSCRIBERS} subscribers (one forked process, node:http) on GET /v1/events/stream; ${fmt(EVENTS)} events per phase (after ${fmt(WARMUP)} warm-up); ` +
      `daemon and writer in this process; ${REPS} repetitions per level, fresh daemon each`,
  );
  log();

  const levels = [];
  for (const inFlight of IN_FLIGHT_LEVELS) {
    log(`## ${inFlight} recordEvent calls in flight`);
    const reps: Rep[] = [];
    for (let i = 0; i < REPS; i++) {
      const r = await runRep(inFlight);
      reps.push(r);
      const w = r.withSubscribers;
      log(`rep ${i + 1}:`);
      log(`  0 subscribers:  record ${fmt(r.baseline.rate).padStart(7)} events/s`);
      log(
        `  ${SUBSCRIBERS} subscribers: record ${fmt(w.rate).padStart(7)} events/s (x${fmt(r.ratio, 3)} of baseline); delivered ${fmt(w.deliveredPerSec)} events/s total ` +
          `(${fmt(w.deliveries)} deliveries); latency p50 ${fmt(w.latency.p50, 1)} ms, p99 ${fmt(w.latency.p99, 1)} ms, max ${fmt(w.latency.max, 1)} ms`,
      );
      log(
        `  complete: ${w.complete}/${SUBSCRIBERS} subscribers (overflowed ${w.overflowed}; caught up ${fmt(w.drainMs)} ms after the last write)` +
          `${w.problems.length ? `; ${w.problems.join("; ")}` : ""}`,
      );
      log(`  CPU while the timed events were written: daemon process ${fmt(w.daemonCpuPct)}% of a core, subscriber process ${fmt(w.subscriberCpuPct)}%`);
      log(`  daemon process RSS: ${fmt(r.rss.beforeMiB, 1)} MiB before, ${fmt(r.rss.afterMiB, 1)} MiB after, peak ${fmt(r.rss.peakMiB, 1)} MiB (sampled every 50 ms)`);
    }
    const mid = (pick: (r: Rep) => number) => median(reps.map(pick));
    const allComplete = reps.every((r) => r.withSubscribers.complete === SUBSCRIBERS);
    const worstP99 = Math.max(...reps.map((r) => r.withSubscribers.latency.p99));
    const level = {
      inFlight,
      reps,
      baseline: mid((r) => r.baseline.rate),
      record: mid((r) => r.withSubscribers.rate),
      ratio: mid((r) => r.ratio),
      delivered: mid((r) => r.withSubscribers.deliveredPerSec),
      p50: mid((r) => r.withSubscribers.latency.p50),
      p99: mid((r) => r.withSubscribers.latency.p99),
      worstP99,
      allComplete,
      targetMet: allComplete && worstP99 < P99_TARGET_MS,
    };
    levels.push(level);
    log(
      `median of ${REPS}: baseline ${fmt(level.baseline)} events/s; with ${SUBSCRIBERS} subscribers ${fmt(level.record)} events/s ` +
        `(ratio ${fmt(level.ratio, 3)}), delivered ${fmt(level.delivered)} events/s, p50 ${fmt(level.p50, 1)} ms, p99 ${fmt(level.p99, 1)} ms (worst ${fmt(worstP99, 1)} ms)`,
    );
    log(`target (every subscriber receives everything, p99 < ${P99_TARGET_MS} ms in every repetition): ${level.targetMet ? "met" : "NOT met"}`);
    log();
  }
  const totalMs = performance.now() - started;
  const loadAvgEnd = round(loadavg()[0]!, 2);
  log(`total ${fmt(totalMs / 1000, 1)} s; load average at the end ${loadAvgEnd}`);

  const summary = {
    benchmark: "stream",
    date,
    machine,
    subscribers: SUBSCRIBERS,
    events: EVENTS,
    warmup: WARMUP,
    daemonInProcess: true,
    levels: levels.map((l) => ({
      inFlight: l.inFlight,
      reps: l.reps.map((r) => ({
        baselineEventsPerSec: round(r.baseline.rate, 0),
        recordEventsPerSec: round(r.withSubscribers.rate, 0),
        ratio: round(r.ratio, 3),
        deliveredEventsPerSec: round(r.withSubscribers.deliveredPerSec, 0),
        deliveries: r.withSubscribers.deliveries,
        latencyMs: {
          p50: round(r.withSubscribers.latency.p50),
          p99: round(r.withSubscribers.latency.p99),
          max: round(r.withSubscribers.latency.max),
          mean: round(r.withSubscribers.latency.mean),
        },
        completeSubscribers: r.withSubscribers.complete,
        overflowedSubscribers: r.withSubscribers.overflowed,
        drainMs: round(r.withSubscribers.drainMs, 0),
        cpuPct: { daemon: round(r.withSubscribers.daemonCpuPct, 0), subscribers: round(r.withSubscribers.subscriberCpuPct, 0) },
        rssMiB: { before: round(r.rss.beforeMiB), after: round(r.rss.afterMiB), peak: round(r.rss.peakMiB) },
      })),
      median: {
        baselineEventsPerSec: round(l.baseline, 0),
        recordEventsPerSec: round(l.record, 0),
        ratio: round(l.ratio, 3),
        deliveredEventsPerSec: round(l.delivered, 0),
        p50Ms: round(l.p50),
        p99Ms: round(l.p99),
      },
      worstP99Ms: round(l.worstP99),
      allComplete: l.allComplete,
      targetMet: l.targetMet,
    })),
    totalMs: round(totalMs, 0),
    loadAvgEnd,
  };
  log(JSON.stringify(summary));
}

if (process.argv[2] === "--subscribers") {
  subscriberProcess(process.argv[3]!, Number(process.argv[4])).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
