/**
 * /healthz while stalled event-stream readers are open: `readers` TCP connections ask for
 * GET /v1/events/stream and never read a byte, while runs produce events. A prober asks
 * /healthz (a new connection each time) every 100 ms, first with no reader (baseline), then with
 * the stalled readers. Reports the health latency of both phases, the daemon's RSS, and how many
 * stalled readers the daemon still holds at the end (codexd_sse_subscribers).
 *
 * With --replay the readers ask for the whole history first (`?after=0`): each stream then has
 * the events of the first phase to replay into a socket nobody reads.
 *
 *   npm run -s build && node dist/bench/stalled-readers.js [--readers 600] [--seconds 20] [--replay] [--cpu-prof-dir DIR]
 */
import { connect, type Socket } from "node:net";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { fmt, log, percentile, withTempDir } from "./lib/common.js";
import { http, sleep, startDaemon, stop, type Server } from "./lib/http-load.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const READERS = arg("readers", 600);
const SECONDS = arg("seconds", 20);
const PRODUCERS = 8;
const REPLAY = process.argv.includes("--replay");
const profIndex = process.argv.indexOf("--cpu-prof-dir");
const NODE_ARGS = profIndex > 0 ? ["--cpu-prof", `--cpu-prof-dir=${process.argv[profIndex + 1]}`] : [];

const rssMiB = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};

async function subscribers(server: Server): Promise<number> {
  const res = await fetch(`${server.url}/metrics`);
  const m = /^codexd_sse_subscribers (\d+)/m.exec(await res.text());
  return m ? Number(m[1]) : NaN;
}

/** A reader that sends its request and never reads: its socket is paused from the start. */
function stalledReader(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(`GET /v1/events/stream${REPLAY ? "?after=0" : ""} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.on("error", () => {});
    socket.once("error", reject);
  });
}

/** Runs created back to back by `PRODUCERS` loops until `until`; returns how many. */
async function produce(server: Server, until: number): Promise<number> {
  let created = 0;
  const prompt = `[reply:${"r".repeat(600)}] ${"p".repeat(1000)}`;
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (performance.now() < until) {
        const res = await http("POST", `${server.url}/v1/runs`, { prompt }).catch(() => null);
        if (res?.status === 202) created++;
        else await sleep(50);
      }
    }),
  );
  return created;
}

/** /healthz latencies (ms) every 100 ms until `until`. */
async function probe(server: Server, until: number): Promise<number[]> {
  const out: number[] = [];
  while (performance.now() < until) {
    const t0 = performance.now();
    const res = await fetch(`${server.url}/healthz`, { headers: { connection: "close" } }).catch(() => null);
    await res?.text();
    out.push(performance.now() - t0);
    await sleep(100);
  }
  return out;
}

async function phase(server: Server, label: string) {
  const until = performance.now() + SECONDS * 1000;
  const seq0 = await lastSeq(server);
  const [runs, health] = await Promise.all([produce(server, until), probe(server, until)]);
  const events = (await lastSeq(server)) - seq0;
  const result = { label, runs, events, healthP50: Math.round(percentile(health, 50)), healthP99: Math.round(percentile(health, 99)), healthMax: Math.round(Math.max(...health)), rssMiB: rssMiB(server.pid) };
  log(`  ${label}: ${fmt(events)} events (${runs} runs) in ${SECONDS} s; /healthz p50 ${result.healthP50} ms, p99 ${result.healthP99} ms, max ${result.healthMax} ms; daemon RSS ${result.rssMiB} MiB`);
  return result;
}

async function lastSeq(server: Server): Promise<number> {
  const res = await fetch(`${server.url}/v1/events?limit=1`);
  return ((await res.json()) as { lastSeq: number }).lastSeq;
}

await withTempDir("stalled", async (dir) => {
  const { server } = await startDaemon(dir, { CODEXD_APPROVAL_POLICY: "accept", CODEXD_RUN_CONCURRENCY: "8", CODEXD_RUN_RETENTION: "200" }, NODE_ARGS);
  const sockets: Socket[] = [];
  try {
    log(`stalled event-stream readers: ${READERS} readers${REPLAY ? " replaying from seq 0" : ""}, ${PRODUCERS} run producers, ${SECONDS} s per phase`);
    const baseline = await phase(server, "no reader");
    for (let i = 0; i < READERS; i++) sockets.push(await stalledReader(server.url));
    log(`  ${await subscribers(server)} streams open`);
    const stalled = await phase(server, `${READERS} stalled readers`);
    const heldAtEnd = await subscribers(server);
    log(`  streams the daemon still holds at the end: ${heldAtEnd}`);
    log(JSON.stringify({ bench: "stalled-readers", readers: READERS, replay: REPLAY, seconds: SECONDS, baseline, stalled, heldAtEnd }));
  } finally {
    for (const s of sockets) s.destroy();
    await stop(server);
  }
});
