/**
 * SSE fan-out benchmark: 50 subscribers on `GET /v1/events/stream` (real HTTP connections to a
 * real listening daemon) while events are recorded durably (`store.recordEvent`, each resolving
 * after its group-committed fdatasync).
 *
 *   npm run bench -- stream
 *
 * The daemon (store, HTTP server, stream hub) and the writer run in this process; the 50 readers
 * run in one forked process (bench/lib/sse-subscribers.ts). Every measurement uses a fresh daemon
 * on a fresh temp state dir. Two kinds of writer:
 *   1. Greedy: 64 (then 256) recordEvent calls always in flight, as in the store benchmark: the
 *      highest durable rate the store reaches. Measured first with 0 subscribers (the baseline),
 *      then with 50.
 *   2. Paced: events offered at a fixed rate (a timer issues what is due every millisecond,
 *      without waiting for earlier calls, so a slow daemon cannot slow the offered load), on a
 *      ladder of rates; the highest rate at which every reader gets everything with p99 < 100 ms
 *      is the sustained fan-out rate.
 * Per measurement: recording rate, delivered events/s (total over the readers), delivery latency
 * (the event's `createdAt`, stamped when recordEvent is called, to the arrival of its frame; the
 * record part of it separately), whether every reader received every event in order exactly once,
 * CPU of both processes, and this process's RSS. createdAt has millisecond resolution, so a
 * latency can read up to 1 ms high.
 *
 * Prints human-readable lines, then one JSON summary line (the last line of output).
 */
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { buildApp } from "../src/app.js";
import { Daemon } from "../src/daemon.js";
import { agentDeltaEvent, configFor, fmt, log, machineInfo, median, percentileOfSorted, processCpuMs, round, withTempDir } from "./lib/common.js";
import { startSubscribers, wallMs, type SubscriberResult, type ToSubscribers } from "./lib/sse-subscribers.js";

// ---- sizes; STREAM_BENCH_* environment variables override them for exploring ----
const setting = (name: string, fallback: number) => {
  const value = Number(process.env[`STREAM_BENCH_${name}`]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};
const list = (name: string, fallback: number[]) => process.env[`STREAM_BENCH_${name}`]?.split(",").map(Number).filter((n) => n > 0) ?? fallback;
const SUBSCRIBERS = setting("SUBSCRIBERS", 50);
/** Timed events per greedy measurement, after WARMUP. */
const EVENTS = setting("EVENTS", 50_000);
const WARMUP = 2_000;
const IN_FLIGHT_LEVELS = list("IN_FLIGHT", [64, 256]);
const REPS = setting("REPS", 3);
/** Offered rates (events/s) of the paced ladder; it stops after the first rate that misses the target. */
const PACED_RATES = list("RATES", [10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 100_000]);
const PACED_SECONDS = setting("PACED_SECONDS", 2);
const PACED_REPS = setting("PACED_REPS", 2);
const P99_TARGET_MS = 100;

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root, from bench/ (ts) or dist/bench/ (compiled). */
const root = existsSync(join(here, "..", "package.json")) ? resolve(here, "..") : resolve(here, "..", "..");
const fakeAppServer = join(root, "test", "fixtures", "fake-app-server.mjs");

const mib = (bytes: number) => bytes / 2 ** 20;

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;
const TEXT = "Streaming the agent's reply: the subscriber queue drains to the socket, honouring backpressure, one frame at a time.";

/** An agent-message delta as a busy child produces them: session, run and turn ids, ~400 bytes. */
const DELTAS = { text: TEXT, sessions: 5, minChars: 50, itemShift: 5, runShift: 9, turnShift: 7 };
const deltaEvent = (i: number) => agentDeltaEvent(i, DELTAS);

// ---- the writers ----

type Writer = { kind: "greedy"; inFlight: number } | { kind: "paced"; perSec: number };

/** Record `total` events; with `durations`, keep each one's time from the call to its durable acknowledgement. Returns ms. */
function produce(daemon: Daemon, writer: Writer, from: number, total: number, durations?: Float64Array): Promise<number> {
  const t0 = performance.now();
  const record = async (i: number) => {
    const called = performance.now();
    await daemon.store.recordEvent(deltaEvent(from + i));
    if (durations) durations[i] = performance.now() - called;
  };
  if (writer.kind === "greedy") {
    // Each of `inFlight` workers awaits its recordEvent before taking the next.
    let next = 0;
    const worker = async () => {
      while (next < total) await record(next++);
    };
    return Promise.all(Array.from({ length: writer.inFlight }, worker)).then(() => performance.now() - t0);
  }
  return new Promise((resolveAll, rejectAll) => {
    let issued = 0;
    let settled = 0;
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * writer.perSec) / 1000));
      for (; issued < due; issued++) {
        record(issued).then(() => {
          if (++settled === total) resolveAll(performance.now() - t0);
        }, rejectAll);
      }
      if (issued < total) setTimeout(tick, 1);
    };
    tick();
  });
}

// ---- one measurement ----

interface Measurement {
  writer: Writer;
  events: number;
  /** Recording rate with 0 subscribers (greedy writers only). */
  baselinePerSec: number | null;
  recordPerSec: number;
  deliveredPerSec: number;
  deliveries: number;
  latency: SubscriberResult["latency"];
  /** recordEvent call to its durable acknowledgement: the part of the latency before fan-out. */
  durable: { p50: number; p99: number };
  complete: number;
  overflowed: number;
  drainMs: number;
  problems: string[];
  /** CPU while the timed events were written, % of one core. */
  cpuPct: { daemon: number; subscribers: number };
  rssMiB: { before: number; after: number; peak: number };
  targetMet: boolean;
}

async function measure(writer: Writer, events: number): Promise<Measurement> {
  return withTempDir("stream", async (dir) => {
    const config = configFor(dir, { CODEXD_CHILD_COMMAND: process.execPath, CODEXD_CHILD_ARGS: JSON.stringify([fakeAppServer]) });
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
      await produce(daemon, { kind: "greedy", inFlight: 64 }, 0, WARMUP);
      let next = WARMUP;
      let baselinePerSec: number | null = null;
      if (writer.kind === "greedy") {
        baselinePerSec = (events * 1000) / (await produce(daemon, writer, next, events));
        next += events;
      }
      const rssBefore = process.memoryUsage().rss;
      peak = rssBefore;

      const subs = await startSubscribers(`http://127.0.0.1:${port}/v1/events/stream`, SUBSCRIBERS);
      child = subs.child;
      // Warm-up with the readers attached (their JIT, the sockets' buffers), a quarter of the timed events.
      const readerWarmup = Math.max(WARMUP, Math.round(events / 4));
      await produce(daemon, writer, next, readerWarmup);
      next += readerWarmup;
      const timedAfter = daemon.store.lastSeq;
      const t0 = wallMs();
      const cpu0 = process.cpuUsage();
      const childCpu0 = processCpuMs(child.pid!);
      const durable = new Float64Array(events);
      const ms = await produce(daemon, writer, next, events, durable);
      const daemonCpu = cpuMs(process.cpuUsage(cpu0));
      const childCpu = processCpuMs(child.pid!) - childCpu0;
      durable.sort();
      const lastSeq = daemon.store.lastSeq;
      child.send({ type: "finish", timedAfter, lastSeq } satisfies ToSubscribers);
      const result = await subs.result;
      const rssAfter = process.memoryUsage().rss;
      const complete = result.subscribers.filter((s) => s.complete).length;
      return {
        writer,
        events,
        baselinePerSec,
        recordPerSec: (events * 1000) / ms,
        deliveredPerSec: (result.deliveries * 1000) / (result.lastReceiptMs - t0),
        deliveries: result.deliveries,
        latency: result.latency,
        durable: { p50: percentileOfSorted(durable, 50), p99: percentileOfSorted(durable, 99) },
        complete,
        overflowed: result.subscribers.filter((s) => s.overflowed).length,
        drainMs: result.drainMs,
        problems: result.subscribers.flatMap((s, i) => s.problems.map((p) => `subscriber ${i}: ${p}`)).slice(0, 3),
        cpuPct: { daemon: (100 * daemonCpu) / ms, subscribers: (100 * childCpu) / ms },
        rssMiB: { before: mib(rssBefore), after: mib(rssAfter), peak: mib(Math.max(peak, rssAfter)) },
        targetMet: complete === SUBSCRIBERS && result.latency.p99 < P99_TARGET_MS,
      };
    } finally {
      clearInterval(sampler);
      if (child && child.exitCode === null && child.signalCode === null) {
        // It exits by itself once it has sent its result; give it a moment (a --cpu-prof profile is written at exit).
        const exited = new Promise((resolveExit) => child!.once("exit", resolveExit));
        await Promise.race([exited, new Promise((resolveLate) => setTimeout(resolveLate, 2_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
      await app.close();
      await daemon.stop("benchmark finished");
    }
  });
}

function report(m: Measurement): void {
  if (m.baselinePerSec !== null) log(`  0 subscribers:  record ${fmt(m.baselinePerSec).padStart(7)} events/s`);
  log(
    `  ${SUBSCRIBERS} subscribers: record ${fmt(m.recordPerSec).padStart(7)} events/s; delivered ${fmt(m.deliveredPerSec)} events/s total ` +
      `(${fmt(m.deliveries)} deliveries); latency p50 ${fmt(m.latency.p50, 1)} ms, p99 ${fmt(m.latency.p99, 1)} ms, max ${fmt(m.latency.max, 1)} ms ` +
      `(recording alone p50 ${fmt(m.durable.p50, 1)} ms, p99 ${fmt(m.durable.p99, 1)} ms)`,
  );
  log(
    `  complete: ${m.complete}/${SUBSCRIBERS} (overflowed ${m.overflowed}; caught up ${fmt(m.drainMs)} ms after the last write)` +
      `${m.problems.length ? `; ${m.problems.join("; ")}` : ""}; CPU: daemon ${fmt(m.cpuPct.daemon)}% of a core, readers ${fmt(m.cpuPct.subscribers)}%; ` +
      `RSS ${fmt(m.rssMiB.before, 1)} -> ${fmt(m.rssMiB.after, 1)} MiB (peak ${fmt(m.rssMiB.peak, 1)}); target ${m.targetMet ? "met" : "missed"}`,
  );
}

const summaryOf = (m: Measurement) => ({
  baselineEventsPerSec: m.baselinePerSec === null ? null : round(m.baselinePerSec, 0),
  recordEventsPerSec: round(m.recordPerSec, 0),
  deliveredEventsPerSec: round(m.deliveredPerSec, 0),
  deliveries: m.deliveries,
  latencyMs: { p50: round(m.latency.p50), p99: round(m.latency.p99), max: round(m.latency.max), mean: round(m.latency.mean) },
  recordingMs: { p50: round(m.durable.p50), p99: round(m.durable.p99) },
  completeSubscribers: m.complete,
  overflowedSubscribers: m.overflowed,
  cpuPct: { daemon: round(m.cpuPct.daemon, 0), subscribers: round(m.cpuPct.subscribers, 0) },
  rssMiB: { before: round(m.rssMiB.before), after: round(m.rssMiB.after), peak: round(m.rssMiB.peak) },
  targetMet: m.targetMet,
});

async function main(): Promise<void> {
  const started = performance.now();
  const machine = { ...machineInfo(), loadAvgStart: round(loadavg()[0]!, 2) };
  const date = new Date().toISOString();
  log(`# codexd SSE fan-out benchmark — ${date}`);
  log(`machine: ${machine.os}, ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, node ${machine.node}; load average ${machine.loadAvgStart}`);
  log(`${SUBSCRIBERS} subscribers (one forked process, node:http) on GET /v1/events/stream; daemon and writer in this process; fresh daemon per measurement`);
  log(`target: every subscriber receives every event, p99 delivery latency < ${P99_TARGET_MS} ms`);

  const greedy = [];
  for (const inFlight of IN_FLIGHT_LEVELS) {
    log();
    log(`## greedy writer, ${inFlight} recordEvent calls in flight, ${fmt(EVENTS)} timed events`);
    const reps: Measurement[] = [];
    for (let i = 0; i < REPS; i++) {
      log(`rep ${i + 1}:`);
      reps.push(await measure({ kind: "greedy", inFlight }, EVENTS));
      report(reps.at(-1)!);
    }
    const mid = (pick: (m: Measurement) => number) => median(reps.map(pick));
    const level = {
      inFlight,
      baseline: mid((m) => m.baselinePerSec!),
      record: mid((m) => m.recordPerSec),
      delivered: mid((m) => m.deliveredPerSec),
      p50: mid((m) => m.latency.p50),
      p99: mid((m) => m.latency.p99),
      met: reps.filter((m) => m.targetMet).length,
      reps,
    };
    greedy.push(level);
    log(
      `median of ${REPS}: baseline ${fmt(level.baseline)} events/s; with ${SUBSCRIBERS} subscribers ${fmt(level.record)} events/s, ` +
        `delivered ${fmt(level.delivered)} events/s, p50 ${fmt(level.p50, 1)} ms, p99 ${fmt(level.p99, 1)} ms; target met in ${level.met} of ${REPS}`,
    );
  }

  log();
  log(`## paced writer: offered rates, ${PACED_SECONDS} s of events each, ${PACED_REPS} repetitions; stops after the first rate that misses`);
  const paced = [];
  let sustained: number | null = null;
  for (const perSec of PACED_RATES) {
    const reps: Measurement[] = [];
    for (let i = 0; i < PACED_REPS; i++) {
      log(`${fmt(perSec)} events/s, rep ${i + 1}:`);
      reps.push(await measure({ kind: "paced", perSec }, perSec * PACED_SECONDS));
      report(reps.at(-1)!);
    }
    const met = reps.every((m) => m.targetMet);
    paced.push({ perSec, met, reps });
    if (!met) break;
    sustained = perSec;
  }
  log();
  log(
    sustained === null
      ? `sustained fan-out: the target was missed at every offered rate`
      : `sustained fan-out: ${fmt(sustained)} events/s recorded durably = ${fmt(sustained * SUBSCRIBERS)} deliveries/s to ${SUBSCRIBERS} readers, every reader complete, p99 < ${P99_TARGET_MS} ms in every repetition`,
  );
  const totalMs = performance.now() - started;
  const loadAvgEnd = round(loadavg()[0]!, 2);
  log(`total ${fmt(totalMs / 1000, 1)} s; load average at the end ${loadAvgEnd}`);
  log(
    JSON.stringify({
      benchmark: "stream",
      date,
      machine,
      subscribers: SUBSCRIBERS,
      greedy: greedy.map((l) => ({
        inFlight: l.inFlight,
        events: EVENTS,
        median: { baselineEventsPerSec: round(l.baseline, 0), recordEventsPerSec: round(l.record, 0), deliveredEventsPerSec: round(l.delivered, 0), p50Ms: round(l.p50), p99Ms: round(l.p99) },
        targetMetIn: `${l.met}/${REPS}`,
        reps: l.reps.map(summaryOf),
      })),
      paced: paced.map((p) => ({ offeredEventsPerSec: p.perSec, targetMet: p.met, reps: p.reps.map(summaryOf) })),
      sustainedEventsPerSec: sustained,
      totalMs: round(totalMs, 0),
      loadAvgEnd,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
