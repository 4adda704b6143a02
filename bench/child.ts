/**
 * Child supervisor benchmark, each figure beside a baseline measured in the same run:
 *   1. POST /v1/child/start?wait=true to ready, with the fake app-server and with the real
 *      pinned Codex CLI, against spawning the same command and answering `initialize` by hand.
 *   2. Notifications a flooding fake child sends, ingested into durable events, against raw
 *      append+fsync of the same event lines in the same batches.
 *
 *   npm run bench -- child
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { request } from "undici";
import { buildApp } from "../src/app.js";
import { Daemon } from "../src/daemon.js";
import { packageRoot, pinnedCodexCommand } from "../src/package-info.js";
import { createCodexHome } from "../test/fixtures/codex-home.js";
import { startFakeModelServer } from "../test/fixtures/fake-model-server.js";
import { configFor, fmt, log, machineInfo, median, percentile, rawAppendBatches, withTempDir } from "./lib/common.js";

const FAKE = join(packageRoot, "test", "fixtures", "fake-app-server.mjs");
const START_REPS = { fake: 20, real: 8 };
const FLOOD_COUNT = 20_000;

interface ChildSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** Spawn the command and time spawn -> `initialize` answered, with no daemon in between. */
async function bareStartToReady(spec: ChildSpec): Promise<number> {
  const t0 = performance.now();
  const proc = spawn(spec.command, spec.args, { env: spec.env, detached: true, stdio: ["pipe", "pipe", "ignore"] });
  proc.stdin.write(`${JSON.stringify({ id: 1, method: "initialize", params: { clientInfo: { name: "bench", title: "bench", version: "0" } } })}\n`);
  await new Promise<void>((resolve, reject) => {
    let buffered = "";
    proc.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      if (buffered.split("\n").some((line) => line.startsWith('{"id":1,'))) resolve();
    });
    proc.once("exit", () => reject(new Error("child exited before answering initialize")));
  });
  const ms = performance.now() - t0;
  process.kill(-proc.pid!, "SIGKILL");
  await new Promise((r) => proc.once("exit", r));
  return ms;
}

async function post(base: string, path: string): Promise<Record<string, unknown>> {
  const res = await request(`${base}${path}`, { method: "POST" });
  return (await res.body.json()) as Record<string, unknown>;
}

async function benchStart(label: "fake" | "real", spec: ChildSpec) {
  return withTempDir(`child-${label}`, async (dir) => {
    const config = configFor(dir, { CODEXD_CHILD_LIVENESS_INTERVAL_MS: "0", CODEXD_LOG_LEVEL: "silent" });
    config.server.childCommand = spec.command;
    config.server.childArgs = spec.args;
    const daemon = new Daemon(config, pino({ level: "silent" }), { childEnv: spec.env });
    await daemon.start();
    const app = await buildApp(daemon);
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      await daemon.child.waitFor("ready", 30_000);
      const viaDaemon: number[] = [];
      const bare: number[] = [];
      for (let i = 0; i < START_REPS[label]; i++) {
        await post(base, "/v1/child/stop");
        const t0 = performance.now();
        const result = await post(base, "/v1/child/start?wait=true&timeoutMs=30000");
        viaDaemon.push(performance.now() - t0);
        if (result.outcome !== "ready") throw new Error(`start did not reach ready: ${JSON.stringify(result)}`);
        bare.push(await bareStartToReady(spec));
      }
      return { label, reps: START_REPS[label], daemonMs: { p50: median(viaDaemon), p90: percentile(viaDaemon, 90) }, bareMs: { p50: median(bare), p90: percentile(bare, 90) } };
    } finally {
      await app.close();
      await daemon.stop("bench over");
    }
  });
}

/** The child alone: the same flood read from a bare pipe, lines counted, nothing parsed or stored. */
async function bareFloodMs(): Promise<number> {
  const proc = spawn(process.execPath, [FAKE], { stdio: ["pipe", "pipe", "ignore"] });
  const send = (msg: unknown) => proc.stdin.write(`${JSON.stringify(msg)}\n`);
  send({ id: 1, method: "initialize", params: { clientInfo: { name: "bench", title: "bench", version: "0" } } });
  send({ method: "initialized" });
  const t0 = performance.now();
  send({ id: 2, method: "fake/flood", params: { count: FLOOD_COUNT } });
  await new Promise<void>((resolve) => {
    let lines = 0;
    proc.stdout.on("data", (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
      if (lines >= FLOOD_COUNT + 2) resolve();
    });
  });
  const ms = performance.now() - t0;
  proc.kill("SIGKILL");
  return ms;
}

/** Flood notifications through the supervisor into durable `codex.notification` events. */
async function benchFlood() {
  return withTempDir("flood", async (dir) => {
    const config = configFor(dir, { CODEXD_CHILD_LIVENESS_INTERVAL_MS: "0", CODEXD_EVENT_CACHE_SIZE: "500" });
    config.server.childCommand = FAKE;
    config.server.childArgs = [];
    const daemon = new Daemon(config, pino({ level: "silent" }));
    await daemon.start();
    await daemon.child.waitFor("ready", 10_000);
    const connection = daemon.child.connection!;
    // Batches as the store flushed them: events delivered in one synchronous burst are one flush.
    const batches: number[] = [];
    let burst = 0;
    let received = 0;
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    daemon.store.onEvent((event) => {
      if (event.type !== "codex.notification" || (event.detail as { method?: string }).method !== "fake/flood") return;
      if (burst === 0) queueMicrotask(() => (batches.push(burst), (burst = 0)));
      burst++;
      if (++received === FLOOD_COUNT) done();
    });
    const firstSeq = daemon.store.lastSeq + 1;
    const t0 = performance.now();
    await connection.request("fake/flood", { count: FLOOD_COUNT }, { timeoutMs: 120_000 });
    const sentMs = performance.now() - t0;
    await all;
    const ms = performance.now() - t0;
    await daemon.stop("bench over");
    const lines = (await readFile(config.paths.structuredEventLogPath, "utf8"))
      .split("\n")
      .filter((l) => l.includes('"fake/flood"') && JSON.parse(l).seq >= firstSeq)
      .map((l) => `${l}\n`);
    const rawMs = await rawAppendBatches(join(dir, "raw.jsonl"), lines, batches);
    const bareMs = await bareFloodMs();
    return {
      count: FLOOD_COUNT,
      ms,
      sentMs,
      rate: (FLOOD_COUNT / ms) * 1000,
      rawRate: (FLOOD_COUNT / rawMs) * 1000,
      childAloneRate: (FLOOD_COUNT / bareMs) * 1000,
      flushes: batches.length,
      avgBatch: FLOOD_COUNT / batches.length,
    };
  });
}

async function main(): Promise<void> {
  const machine = machineInfo();
  log(`# codexd child benchmark — ${new Date().toISOString()}`);
  log(`machine: ${machine.os}, ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, node ${machine.node}`);
  log();
  log("## 1. POST /v1/child/start?wait=true -> ready, beside a bare spawn + initialize of the same command");
  const fake = await benchStart("fake", { command: FAKE, args: [], env: process.env });
  const model = await startFakeModelServer();
  const home = await createCodexHome({ modelServerUrl: model.url, parentDir: join(packageRoot, "node_modules", ".cache", "codexd-codex-homes") });
  let real;
  try {
    real = await benchStart("real", { command: pinnedCodexCommand(), args: ["app-server"], env: home.env });
  } finally {
    await home.cleanup();
    await model.close();
  }
  for (const r of [fake, real]) {
    log(`  ${r.label.padEnd(5)} child (${r.reps} starts): via daemon p50 ${fmt(r.daemonMs.p50, 1)} ms, p90 ${fmt(r.daemonMs.p90, 1)} ms; bare p50 ${fmt(r.bareMs.p50, 1)} ms, p90 ${fmt(r.bareMs.p90, 1)} ms; daemon/bare p50 = ${fmt(r.daemonMs.p50 / r.bareMs.p50, 2)}`);
  }
  log();
  log(`## 2. notifications ingested into durable events (${fmt(FLOOD_COUNT)} from a flooding fake child)`);
  const flood = await benchFlood();
  log(`  ingested ${fmt(flood.rate)} notifications/s (${fmt(flood.ms)} ms; child finished sending after ${fmt(flood.sentMs)} ms), ${flood.flushes} flushes, avg batch ${fmt(flood.avgBatch, 1)}`);
  log(`  raw append+fsync of the same lines in the same batches: ${fmt(flood.rawRate)} lines/s; daemon/raw = ${fmt(flood.rate / flood.rawRate, 3)}`);
  log(`  the child alone, read from a bare pipe: ${fmt(flood.childAloneRate)} lines/s; daemon/child-alone = ${fmt(flood.rate / flood.childAloneRate, 3)}`);
  log(JSON.stringify({ bench: "child", date: new Date().toISOString(), machine, start: [fake, real], flood }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
