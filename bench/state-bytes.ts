/**
 * Big child payloads and the daemon's memory and files: the fake app-server sends `count`
 * notifications of `mib` MiB each right after the handshake (its `flood` fault mode). Reports the
 * daemon's peak and final RSS while it records them, and the sizes of recent-events.json (a file
 * rewritten as events come) and events.jsonl (append-only) once it has stopped.
 *
 *   npm run -s build && node dist/bench/state-bytes.js [--count 60] [--mib 4]
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fmt, log, withTempDir } from "./lib/common.js";
import { sleep, startDaemon, stop } from "./lib/http-load.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const COUNT = arg("count", 60);
const MIB = arg("mib", 4);

const rssMiB = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};

async function lastSeq(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^codexd_event_last_seq (\d+)/m.exec(text)?.[1] ?? NaN);
}

const sizeMiB = (file: string) => {
  try {
    return Math.round((statSync(file).size / 2 ** 20) * 10) / 10;
  } catch {
    return NaN;
  }
};

await withTempDir("state-bytes", async (dir) => {
  const { server } = await startDaemon(dir, { FAKE_APP_SERVER_FAULTS: "flood", FAKE_FLOOD_COUNT: String(COUNT), FAKE_FLOOD_BYTES: String(MIB * 2 ** 20) });
  let peak = 0;
  let final = 0;
  let seq = 0;
  try {
    // Recorded once the event seq has stood still for 3 s after passing COUNT.
    let still = 0;
    while (still < 30) {
      peak = Math.max(peak, rssMiB(server.pid));
      const now = await lastSeq(server.url);
      still = now === seq && now >= COUNT ? still + 1 : 0;
      seq = now;
      await sleep(100);
    }
    final = rssMiB(server.pid);
  } finally {
    await stop(server);
  }
  const state = join(dir, "state");
  const result = { count: COUNT, mib: MIB, lastSeq: seq, peakRssMiB: peak, finalRssMiB: final, recentEventsMiB: sizeMiB(join(state, "recent-events.json")), eventsJsonlMiB: sizeMiB(join(state, "events.jsonl")) };
  log(`${COUNT} child notifications of ${MIB} MiB: daemon RSS peak ${fmt(peak)} MiB, after ${fmt(final)} MiB; recent-events.json ${result.recentEventsMiB} MiB, events.jsonl ${result.eventsJsonlMiB} MiB`);
  log(JSON.stringify({ bench: "state-bytes", ...result }));
});
