/**
 * State store benchmark: durable event recording and run upserts, each measured beside a
 * baseline in the same process run, in temp dirs that are removed afterwards.
 *
 *   npm run bench -- store
 *
 * Prints human-readable lines, then one JSON summary line (the last line of output).
 */
import { readFile, appendFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { agentDeltaEvent, configFor, fmt, log, machineInfo, median, rawAppendBatches, round, withTempDir } from "./lib/common.js";
import { StateStore, type EventInput } from "../src/state/store.js";
import type { RunRecord } from "../schemas/runs.js";

// ---- sizes (chosen so the whole benchmark finishes well under a minute on 2 cores) ----
const EVENT_TOTAL = 20_000;
const EVENT_WARMUP = 2_000;
const EVENT_CONCURRENCIES = [64, 256] as const;
const SEED_EVENT_TOTAL = 1_000;
const SEED_CACHE_SIZE = 500;

const RUN_SIZES = [1_000, 100_000] as const;
const RUN_ACTIVE = 5;
const RUN_NEW = 1_000; // new runs per measurement, 3 upserts each
const RUN_CONCURRENCY = 16;
const PREPOPULATE_BATCH = 5_000;
const SEED_RUN_SIZES = [1_000, 5_000] as const;
const SEED_RUN_NEW = 40; // 120 upserts
/** Store and raw measurements are repeated; medians are reported. Seed baselines run once. */
const REPS = 5;

// ---- helpers ----

/** `workers` producers share one counter; each awaits its operation before taking the next. */
async function runProducers(total: number, workers: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < total) await op(next++);
    }),
  );
  return performance.now() - t0;
}

const DELTA_TEXT =
  "Looking at src/state/store.ts, the flush captures pending lines synchronously and appends them in one write.";

/** What a busy child produces: streamed agent-message deltas tied to a session, run and turn. */
const DELTAS = { text: DELTA_TEXT, sessions: 7, minChars: 40, itemShift: 6, runShift: 10, turnShift: 8 };
const childEvent = (i: number) => agentDeltaEvent(i, DELTAS);

const PROMPT =
  "Refactor the payment webhook handler so retries are idempotent, add tests for duplicate deliveries, and update the changelog.";
const FINAL =
  "Done. I made the webhook handler idempotent by keying processed deliveries on the provider's event id, added three tests " +
  "(duplicate delivery, out-of-order delivery, replay after restart) and a changelog entry. All tests pass locally.";

function runRecord(id: string, status: RunRecord["status"], at: Date): RunRecord {
  const iso = at.toISOString();
  const finished = status === "completed" || status === "failed";
  return {
    runId: id,
    status,
    createdAt: iso,
    updatedAt: iso,
    prompt: PROMPT,
    sessionId: `sess-${id.slice(-4)}`,
    threadId: `thr-${id}`,
    turnId: status === "queued" ? null : `turn-${id}`,
    startedAt: status === "queued" ? null : iso,
    finishedAt: finished ? iso : null,
    durationMs: finished ? 41_250 : null,
    finalMessage: finished ? FINAL : null,
    usage: finished ? { inputTokens: 18_230, cachedInputTokens: 12_800, outputTokens: 2_114, reasoningOutputTokens: 640 } : null,
    error: null,
    attempt: 1,
    metadata: { source: "api", labels: ["bench"] },
  };
}

const runId = (prefix: string, i: number) => `${prefix}-${i.toString().padStart(7, "0")}`;

// ---- 1. event recording ----

interface EventRep {
  storeRate: number;
  rawRate: number;
  flushes: number;
  batches: number;
  maxBatch: number;
}

interface EventResult {
  concurrency: number;
  events: number;
  reps: EventRep[];
  /** Medians over the repetitions; storeVsRaw is the median of the per-repetition ratios. */
  storeRate: number;
  rawRate: number;
  avgBatch: number;
  storeVsRaw: number;
  seed: { eventsPerSec: number; ms: number; events: number };
  storeVsSeed: number;
}

async function benchStoreEvents(dir: string, concurrency: number) {
  const config = configFor(dir);
  const store = new StateStore(config);
  await store.initialize();
  // Warm up (JIT, file growth) before timing; these events are skipped below.
  await runProducers(EVENT_WARMUP, concurrency, (i) => store.recordEvent(childEvent(i)));

  // Events delivered in one synchronous burst belong to one flush: a microtask closes the burst.
  const batches: number[] = [];
  let burstOpen = false;
  const unsubscribe = store.onEvent(() => {
    if (!burstOpen) {
      burstOpen = true;
      batches.push(0);
      queueMicrotask(() => {
        burstOpen = false;
      });
    }
    batches[batches.length - 1]!++;
  });
  const flushesBefore = store.flushCount;
  const ms = await runProducers(EVENT_TOTAL, concurrency, (i) => store.recordEvent(childEvent(EVENT_WARMUP + i)));
  const flushes = store.flushCount - flushesBefore;
  unsubscribe();
  await store.close();

  // The exact bytes the store appended for the timed events, in order.
  const text = await readFile(config.paths.structuredEventLogPath, "utf8");
  const lines = text.split("\n").slice(0, -1);
  const timed = lines.slice(EVENT_WARMUP);
  const delivered = batches.reduce((a, b) => a + b, 0);
  if (timed.length !== EVENT_TOTAL || delivered !== EVENT_TOTAL) {
    throw new Error(`event count mismatch: file has ${timed.length}, delivered ${delivered}, expected ${EVENT_TOTAL}`);
  }
  return { ms, flushes, batches, lines: timed.map((l) => `${l}\n`) };
}

interface SeedEvent {
  seq: number;
  createdAt: string;
  level: string;
  type: string;
  message: string;
  detail: Record<string, unknown> | null;
}

/**
 * Baseline B, re-implemented from the seed's behaviour: every event, one at a time through a
 * promise queue, appends its line to the log, then rewrites recent-events.json (last 500, pretty
 * printed) and daemon-state.json whole; no fsync anywhere; the caller gets a JSON clone.
 */
class SeedLikeEventRecorder {
  private queue: Promise<unknown> = Promise.resolve();
  private seq = 1;
  private recent: { maxEntries: number; updatedAt: string | null; events: SeedEvent[] };
  private daemon: Record<string, unknown>;

  constructor(private readonly dir: string) {
    this.recent = { maxEntries: SEED_CACHE_SIZE, updatedAt: null, events: [] };
    this.daemon = {
      started: true,
      startedAt: new Date().toISOString(),
      stoppedAt: null,
      updatedAt: null,
      pid: process.pid,
      child: { strategy: "spawn", mode: "app-server", endpoint: null, status: "ready", command: "codex", args: ["app-server"], cwd: dir, pid: 4242 },
    };
  }

  /** A full cache, as after any real uptime (held in memory only; the first record writes it). */
  prefill(events: SeedEvent[]): void {
    this.recent.events = events.slice(-SEED_CACHE_SIZE);
    this.seq = (events.at(-1)?.seq ?? 0) + 1;
  }

  record(input: EventInput): Promise<SeedEvent> {
    const task = this.queue.then(async () => {
      const entry: SeedEvent = {
        seq: this.seq++,
        createdAt: new Date().toISOString(),
        level: input.level,
        type: input.type,
        message: input.message,
        detail: input.detail ?? null,
      };
      await appendFile(join(this.dir, "events.jsonl"), `${JSON.stringify(entry)}\n`, "utf8");
      this.recent = { maxEntries: SEED_CACHE_SIZE, updatedAt: entry.createdAt, events: [...this.recent.events, entry].slice(-SEED_CACHE_SIZE) };
      this.daemon = { ...this.daemon, updatedAt: entry.createdAt };
      await writeFile(join(this.dir, "recent-events.json"), `${JSON.stringify(this.recent, null, 2)}\n`, "utf8");
      await writeFile(join(this.dir, "daemon-state.json"), `${JSON.stringify(this.daemon, null, 2)}\n`, "utf8");
      return JSON.parse(JSON.stringify(entry)) as SeedEvent;
    });
    this.queue = task.catch(() => undefined);
    return task;
  }
}

async function benchSeedEvents(dir: string, concurrency: number): Promise<number> {
  const seed = new SeedLikeEventRecorder(dir);
  const at = new Date().toISOString();
  seed.prefill(
    Array.from({ length: SEED_CACHE_SIZE }, (_, i) => {
      const e = childEvent(i);
      return { seq: i + 1, createdAt: at, level: e.level, type: e.type, message: e.message, detail: e.detail ?? null };
    }),
  );
  await runProducers(50, concurrency, (i) => seed.record(childEvent(i))); // warm-up
  return runProducers(SEED_EVENT_TOTAL, concurrency, (i) => seed.record(childEvent(i)));
}

async function benchEvents(concurrency: number): Promise<EventResult> {
  const rate = (n: number, ms: number) => (n * 1000) / ms;
  const reps: EventRep[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const store = await withTempDir("events", (dir) => benchStoreEvents(dir, concurrency));
    const rawMs = await withTempDir("raw", (dir) => rawAppendBatches(join(dir, "raw-events.jsonl"), store.lines, store.batches));
    reps.push({
      storeRate: rate(EVENT_TOTAL, store.ms),
      rawRate: rate(EVENT_TOTAL, rawMs),
      flushes: store.flushes,
      batches: store.batches.length,
      maxBatch: Math.max(...store.batches),
    });
  }
  const seedMs = await withTempDir("seed-events", (dir) => benchSeedEvents(dir, concurrency));
  const seedRate = rate(SEED_EVENT_TOTAL, seedMs);
  const storeRate = median(reps.map((r) => r.storeRate));
  const mid = reps.find((r) => r.storeRate === storeRate)!;
  return {
    concurrency,
    events: EVENT_TOTAL,
    reps,
    storeRate,
    rawRate: median(reps.map((r) => r.rawRate)),
    avgBatch: EVENT_TOTAL / mid.batches,
    storeVsRaw: median(reps.map((r) => r.storeRate / r.rawRate)),
    seed: { eventsPerSec: seedRate, ms: seedMs, events: SEED_EVENT_TOTAL },
    storeVsSeed: storeRate / seedRate,
  };
}

// ---- 2. run upserts ----

interface RunResult {
  runs: number;
  prepopulateMs: number;
  reopenMs: number;
  registryRuns: number;
  archivedRuns: number;
  upserts: number;
  ms: number;
  upsertsPerSec: number;
  flushes: number;
  retention: number;
}

/** queued -> running -> completed for `count` new runs, `workers` at a time. */
async function createRuns(count: number, workers: number, prefix: string, upsert: (r: RunRecord) => Promise<unknown>) {
  return runProducers(count, workers, async (i) => {
    const id = runId(prefix, i);
    await upsert(runRecord(id, "queued", new Date()));
    await upsert(runRecord(id, "running", new Date()));
    await upsert(runRecord(id, "completed", new Date()));
  });
}

async function benchStoreRuns(total: number): Promise<RunResult> {
  return withTempDir(`runs-${total}`, async (dir) => {
    const config = configFor(dir);
    // Prepopulate: almost all finished (oldest first), a few still active (the newest).
    let store = new StateStore(config);
    await store.initialize();
    const t0 = performance.now();
    const base = Date.now() - total * 60_000;
    for (let start = 0; start < total; start += PREPOPULATE_BATCH) {
      const end = Math.min(total, start + PREPOPULATE_BATCH);
      const batch: Promise<unknown>[] = [];
      for (let i = start; i < end; i++) {
        const status = i >= total - RUN_ACTIVE ? "running" : "completed";
        batch.push(store.upsertRun(runRecord(runId("old", i), status, new Date(base + i * 60_000))));
      }
      await Promise.all(batch);
    }
    const prepopulateMs = performance.now() - t0;
    await store.close();

    // A restarted daemon: the registry holds the retained runs, the archive index the rest.
    const t1 = performance.now();
    store = new StateStore(config);
    await store.initialize();
    const reopenMs = performance.now() - t1;
    const registryRuns = store.listRuns().length;
    const archivedRuns = store.archivedRunCount;

    await createRuns(100, RUN_CONCURRENCY, "warm", (r) => store.upsertRun(r)); // warm-up
    const flushesBefore = store.flushCount;
    const ms = await createRuns(RUN_NEW, RUN_CONCURRENCY, "new", (r) => store.upsertRun(r));
    const flushes = store.flushCount - flushesBefore;
    await store.close();
    const upserts = RUN_NEW * 3;
    return { runs: total, prepopulateMs, reopenMs, registryRuns, archivedRuns, upserts, ms, upsertsPerSec: (upserts * 1000) / ms, flushes, retention: config.runs.retention };
  });
}

/**
 * Seed baseline, re-implemented from its behaviour: upserts go one at a time through a promise
 * queue; each copies the run array, finds the run by linear search, rewrites run-registry.json
 * whole (pretty printed, no fsync) and hands back a JSON clone of the whole registry.
 */
class SeedLikeRunRegistry {
  private queue: Promise<unknown> = Promise.resolve();
  private registry: { updatedAt: string | null; runs: RunRecord[] } = { updatedAt: null, runs: [] };

  constructor(private readonly path: string) {}

  async load(runs: RunRecord[]): Promise<void> {
    this.registry = { updatedAt: new Date().toISOString(), runs };
    await writeFile(this.path, `${JSON.stringify(this.registry, null, 2)}\n`, "utf8");
  }

  upsert(record: RunRecord): Promise<unknown> {
    const task = this.queue.then(async () => {
      const runs = [...this.registry.runs];
      const index = runs.findIndex((r) => r.runId === record.runId);
      const copy = JSON.parse(JSON.stringify(record)) as RunRecord;
      if (index >= 0) runs[index] = copy;
      else runs.push(copy);
      this.registry = { updatedAt: new Date().toISOString(), runs };
      await writeFile(this.path, `${JSON.stringify(this.registry, null, 2)}\n`, "utf8");
      return JSON.parse(JSON.stringify(this.registry)) as unknown;
    });
    this.queue = task.catch(() => undefined);
    return task;
  }
}

async function benchSeedRuns(total: number) {
  return withTempDir(`seed-runs-${total}`, async (dir) => {
    const seed = new SeedLikeRunRegistry(join(dir, "run-registry.json"));
    const base = Date.now() - total * 60_000;
    await seed.load(
      Array.from({ length: total }, (_, i) =>
        runRecord(runId("old", i), i >= total - RUN_ACTIVE ? "running" : "completed", new Date(base + i * 60_000)),
      ),
    );
    await createRuns(4, RUN_CONCURRENCY, "warm", (r) => seed.upsert(r)); // warm-up
    const ms = await createRuns(SEED_RUN_NEW, RUN_CONCURRENCY, "new", (r) => seed.upsert(r));
    const upserts = SEED_RUN_NEW * 3;
    return { runs: total, upserts, ms, upsertsPerSec: (upserts * 1000) / ms };
  });
}

// ---- main ----

async function main(): Promise<void> {
  const started = performance.now();
  const machine = machineInfo();
  const date = new Date().toISOString();
  log(`# codexd store benchmark — ${date}`);
  log(`machine: ${machine.os}, ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, node ${machine.node}, temp dirs under ${machine.tmpdir}`);
  log();

  log(`## 1. recordEvent with durability (${fmt(EVENT_TOTAL)} events after ${fmt(EVENT_WARMUP)} warm-up; seed: ${fmt(SEED_EVENT_TOTAL)} events)`);
  const events: EventResult[] = [];
  for (const c of EVENT_CONCURRENCIES) {
    const r = await benchEvents(c);
    events.push(r);
    const list = (xs: number[]) => xs.map((x) => fmt(x)).join(", ");
    log(`concurrency ${c} (median of ${REPS}):`);
    log(
      `  store            ${fmt(r.storeRate).padStart(9)} events/s  [${list(r.reps.map((x) => x.storeRate))}]; flushes ${r.reps.map((x) => x.batches).join("/")}, avg batch ${fmt(r.avgBatch, 1)}, max ${Math.max(...r.reps.map((x) => x.maxBatch))}`,
    );
    log(`  raw append+fsync ${fmt(r.rawRate).padStart(9)} events/s  [${list(r.reps.map((x) => x.rawRate))}] same batches`);
    log(`  store/raw = ${fmt(r.storeVsRaw, 3)}  [target >= 0.2: ${r.storeVsRaw >= 0.2 ? "met" : "NOT met"}]`);
    log(`  seed approach    ${fmt(r.seed.eventsPerSec).padStart(9)} events/s  (${fmt(r.seed.ms)} ms for ${fmt(r.seed.events)})`);
    log(`  store/seed = ${fmt(r.storeVsSeed, 1)}x  [target >= 50x: ${r.storeVsSeed >= 50 ? "met" : "NOT met"}]`);
  }
  log();

  log(`## 2. run upserts (${fmt(RUN_NEW)} new runs x 3 upserts, concurrency ${RUN_CONCURRENCY}; seed: ${SEED_RUN_NEW} runs x 3)`);
  const repsBySize = new Map<number, RunResult[]>(RUN_SIZES.map((n) => [n, []]));
  for (let rep = 0; rep < REPS; rep++) {
    // Interleaved, so a slow spell of the disk does not land on one size only.
    for (const n of RUN_SIZES) repsBySize.get(n)!.push(await benchStoreRuns(n));
  }
  const runs = RUN_SIZES.map((n) => {
    const reps = repsBySize.get(n)!;
    const rate = median(reps.map((r) => r.upsertsPerSec));
    const mid = reps.find((r) => r.upsertsPerSec === rate)!;
    log(
      `  store, ${fmt(n).padStart(7)} runs  ${fmt(rate).padStart(7)} upserts/s median [${reps.map((r) => fmt(r.upsertsPerSec)).join(", ")}]  (${mid.flushes} flushes for ${mid.upserts}; retention ${mid.retention}: registry ${mid.registryRuns} + archive ${mid.archivedRuns} at reopen; prepopulate ${fmt(mid.prepopulateMs)} ms, reopen ${fmt(mid.reopenMs)} ms)`,
    );
    return { ...mid, reps: reps.map((r) => r.upsertsPerSec) };
  });
  const small = runs[0]!;
  const large = runs[runs.length - 1]!;
  const runRatio = large.upsertsPerSec / small.upsertsPerSec;
  log(`  ${fmt(large.runs)}/${fmt(small.runs)} rate = ${fmt(runRatio, 3)}  [target >= 0.8: ${runRatio >= 0.8 ? "met" : "NOT met"}]`);
  const seedRuns = [];
  for (const n of SEED_RUN_SIZES) {
    const r = await benchSeedRuns(n);
    seedRuns.push(r);
    log(`  seed,  ${fmt(n).padStart(7)} runs  ${fmt(r.upsertsPerSec, 1).padStart(7)} upserts/s  (${fmt(r.ms)} ms for ${r.upserts})`);
  }
  const seedRatio = seedRuns[1]!.upsertsPerSec / seedRuns[0]!.upsertsPerSec;
  log(`  seed ${fmt(SEED_RUN_SIZES[1])}/${fmt(SEED_RUN_SIZES[0])} rate = ${fmt(seedRatio, 3)}; store/seed at 1k = ${fmt(small.upsertsPerSec / seedRuns[0]!.upsertsPerSec, 1)}x`);
  log();
  const totalMs = performance.now() - started;
  log(`total ${fmt(totalMs / 1000, 1)} s`);

  const summary = {
    benchmark: "store",
    date,
    machine,
    events: events.map((r) => ({
      concurrency: r.concurrency,
      events: r.events,
      reps: r.reps.map((x) => ({ store: round(x.storeRate, 0), raw: round(x.rawRate, 0), flushes: x.flushes, eventFlushes: x.batches })),
      storeEventsPerSec: round(r.storeRate, 0),
      avgBatch: round(r.avgBatch),
      rawEventsPerSec: round(r.rawRate, 0),
      seedEventsPerSec: round(r.seed.eventsPerSec, 0),
      seedEvents: r.seed.events,
      storeVsRaw: round(r.storeVsRaw, 3),
      storeVsSeed: round(r.storeVsSeed, 1),
      targetRawMet: r.storeVsRaw >= 0.2,
      targetSeedMet: r.storeVsSeed >= 50,
    })),
    runs: {
      concurrency: RUN_CONCURRENCY,
      upserts: RUN_NEW * 3,
      store: runs.map((r) => ({
        runs: r.runs,
        upsertsPerSec: round(r.upsertsPerSec, 0),
        reps: r.reps.map((x) => round(x, 0)),
        flushes: r.flushes,
        registryRuns: r.registryRuns,
        archivedRuns: r.archivedRuns,
        prepopulateMs: round(r.prepopulateMs, 0),
        reopenMs: round(r.reopenMs, 0),
      })),
      ratio: round(runRatio, 3),
      targetMet: runRatio >= 0.8,
      seed: seedRuns.map((r) => ({ runs: r.runs, upserts: r.upserts, upsertsPerSec: round(r.upsertsPerSec, 1) })),
      seedRatio: round(seedRatio, 3),
    },
    totalMs: round(totalMs, 0),
  };
  log(JSON.stringify(summary));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
