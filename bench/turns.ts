/**
 * Turn round trip: what codexd adds between a client and the app-server. One session, turns one
 * after another: POST /v1/sessions/{id}/turns, then the client waits for the turn's
 * `turn.completed` on the event stream (GET /v1/events/stream). Baseline in the same run: the
 * same turns sent to the same fake app-server directly over stdio (turn/start -> turn/completed).
 * The daemon runs in this process with a real listening server; the client is undici + SSE.
 *
 *   npm run bench -- turns
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { request } from "undici";
import { buildApp } from "../src/app.js";
import { readSse } from "../src/client/sse-reader.js";
import { Daemon } from "../src/daemon.js";
import { packageRoot } from "../src/package-info.js";
import { BareFake } from "./lib/bare-fake.js";
import { configFor, fmt, log, machineInfo, median, percentile, withTempDir } from "./lib/common.js";

const TURNS = 300;
const WARMUP = 30;

async function throughDaemon(): Promise<number[]> {
  return withTempDir("turns", async (dir) => {
    const config = configFor(dir, { CODEXD_CHILD_LIVENESS_INTERVAL_MS: "0", CODEXD_RATE_LIMIT_PER_MINUTE: "0" });
    config.server.childCommand = join(packageRoot, "test", "fixtures", "fake-app-server.mjs");
    config.server.childArgs = [];
    const daemon = new Daemon(config, pino({ level: "silent" }));
    await daemon.start();
    const app = await buildApp(daemon);
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    const abort = new AbortController();
    try {
      await daemon.child.waitFor("ready", 10_000);
      const session = (await (await request(`${base}/v1/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).body.json()) as { sessionId: string };
      const stream = await request(`${base}/v1/events/stream?type=turn.completed&sessionId=${session.sessionId}`, { signal: abort.signal });
      const completions = readSse(stream.body);
      const latencies: number[] = [];
      for (let i = 0; i < WARMUP + TURNS; i++) {
        const t0 = performance.now();
        const res = await request(`${base}/v1/sessions/${session.sessionId}/turns`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ input: `bench turn ${i}` }),
        });
        const { turnId } = (await res.body.json()) as { turnId: string };
        for (;;) {
          const { value } = await completions.next();
          if (value && (JSON.parse(value.data) as { turnId?: string }).turnId === turnId) break;
        }
        if (i >= WARMUP) latencies.push(performance.now() - t0);
      }
      return latencies;
    } finally {
      abort.abort();
      await app.close();
      await daemon.stop("bench over");
    }
  });
}

async function direct(): Promise<number[]> {
  const fake = new BareFake();
  try {
    await fake.request("initialize", { clientInfo: { name: "bench", title: "bench", version: "0" } });
    fake.notify("initialized");
    const { thread } = await fake.request<{ thread: { id: string } }>("thread/start", { cwd: packageRoot });
    const latencies: number[] = [];
    for (let i = 0; i < WARMUP + TURNS; i++) {
      const t0 = performance.now();
      const started = await fake.request<{ turn: { id: string } }>("turn/start", { threadId: thread.id, input: [{ type: "text", text: `bench turn ${i}` }] });
      await fake.turnCompleted(started.turn.id);
      if (i >= WARMUP) latencies.push(performance.now() - t0);
    }
    return latencies;
  } finally {
    await fake.close();
  }
}

async function main(): Promise<void> {
  const machine = machineInfo();
  log(`# codexd turn round-trip benchmark — ${new Date().toISOString()}`);
  log(`machine: ${machine.os}, ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, node ${machine.node}`);
  const bare = await direct();
  const daemon = await throughDaemon();
  const row = (label: string, xs: number[]) => `  ${label.padEnd(34)} p50 ${fmt(median(xs), 2)} ms, p90 ${fmt(percentile(xs, 90), 2)} ms, p99 ${fmt(percentile(xs, 99), 2)} ms`;
  log(`${TURNS} turns after ${WARMUP} warm-up, one at a time on one session/thread:`);
  log(row("direct to the fake app-server", bare));
  log(row("through codexd (REST + event stream)", daemon));
  const added = median(daemon) - median(bare);
  log(`  codexd adds p50 ${fmt(added, 2)} ms per turn (x${fmt(median(daemon) / median(bare), 1)})`);
  log(JSON.stringify({ bench: "turns", date: new Date().toISOString(), machine, turns: TURNS, directMs: { p50: median(bare), p99: percentile(bare, 99) }, daemonMs: { p50: median(daemon), p99: percentile(daemon, 99) }, addedP50Ms: added }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
