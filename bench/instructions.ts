/**
 * Instructions per request: a read route's cost counted by callgrind instead of timed, so that two
 * builds can be compared on a machine whose speed moves from one second to the next.
 *
 *   npm run build && node dist/bench/instructions.js
 *   INSTRUCTIONS_BENCH_BUILDS="main=/other/checkout/dist/src/cli.js,this=dist/src/cli.js" node dist/bench/instructions.js
 *
 * 1. State: a daemon of the first build (fake app-server child) is given SEED_RUNS (1,000) runs,
 *    each on a new session, every 5th asking a command approval, as the load benchmark does; then
 *    it is stopped, and each build gets a copy of that state directory.
 * 2. Each build's daemon runs under `valgrind --tool=callgrind` (all at once: valgrind runs a
 *    process's threads one at a time, so each takes about one core). Once ready, every read route
 *    is asked 300 times (so that the shared request path has met all of them, as in the load
 *    benchmark), then ROUTE WARMUP (10,000) times, at 50 connections.
 * 3. REPS (6) times: callgrind's counters are zeroed, ROUTE is asked REQUESTS (2,000) times, and
 *    the counters dumped. Counted per request: the daemon's main thread (node::Start, where the
 *    event loop runs) less its garbage collection (Heap::CollectGarbage). V8's compiler threads
 *    and a collection's timing are what move the whole process's count from one dump to the next.
 *    The first two reps are printed and not judged (V8 is still optimising); the median of the
 *    rest is, with each build's ratio to the first build's.
 *
 * INSTRUCTIONS_BENCH_ROUTE (/v1/status), _REQUESTS, _WARMUP, _REPS, _SEED_RUNS change the sizes.
 * Needs valgrind (`apt-get install valgrind`; without it, it says so and measures nothing). About
 * 15 minutes. Prints lines for people, then one JSON summary line.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fmt, log, machineInfo, median, withTempDir } from "./lib/common.js";
import { autocannon, CLI, http, READ_STATE_ENV, runMain, seedReadState, startDaemon, stop, type Server } from "./lib/http-load.js";

function env(name: string, fallback: number): number {
  const text = process.env[`INSTRUCTIONS_BENCH_${name}`];
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`INSTRUCTIONS_BENCH_${name} must be a whole number of at least 1, not ${JSON.stringify(text)}`);
  return value;
}
const ROUTE = process.env.INSTRUCTIONS_BENCH_ROUTE ?? "/v1/status";
const REQUESTS = env("REQUESTS", 2_000);
const WARMUP = env("WARMUP", 10_000);
const REPS = Math.max(3, env("REPS", 6));
const SEED_RUNS = env("SEED_RUNS", 1_000);
const UNJUDGED_REPS = 2;
const CONNECTIONS = 50;
const BUILDS = (process.env.INSTRUCTIONS_BENCH_BUILDS ?? `this=${CLI}`).split(",").map((entry) => {
  const at = entry.indexOf("=");
  return at === -1 ? { name: entry, cli: resolve(entry) } : { name: entry.slice(0, at), cli: resolve(entry.slice(at + 1)) };
});

interface Rep {
  requests: number;
  /** The whole process, every thread. */
  total: number;
  /** The main thread, and the garbage collection within it. */
  main: number;
  gc: number;
}

/** Inclusive instruction counts of a callgrind dump: the program, the main thread and its GC. */
function countsOf(file: string): Omit<Rep, "requests"> {
  const text = execFileSync("callgrind_annotate", ["--inclusive=yes", "--threshold=100", file], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const first = (pattern: RegExp) => {
    const line = text.split("\n").find((l) => pattern.test(l));
    return line ? Number(line.trim().split(/\s+/)[0]!.replaceAll(",", "")) : 0;
  };
  return { total: first(/PROGRAM TOTALS/), main: first(/node::Start\(int, char\*\*\)/), gc: first(/v8::internal::Heap::CollectGarbage\(/) };
}

async function hit(server: Server, path: string, amount: number) {
  const r = await autocannon({ url: server.url, connections: CONNECTIONS, amount, requests: [{ method: "GET", path }], timeout: 600 });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${path} answered ${r.non2xx} non-2xx and ${r.errors} errors`);
  return r;
}

async function measureBuild(name: string, cli: string, stateDir: string): Promise<Rep[]> {
  const out = join(stateDir, "callgrind.out");
  const wrapper = ["valgrind", "--tool=callgrind", "--smc-check=all-non-file", `--callgrind-out-file=${out}`];
  const { server, readyMs } = await startDaemon(stateDir, {}, [], { cli, wrapper, readyTimeoutMs: 900_000 });
  try {
    log(`  ${name}: ready under callgrind in ${fmt(readyMs / 1000)} s`);
    const lastSeq = (await http("GET", `${server.url}/v1/status`)).body.events.lastSeq as number;
    const others = ["/healthz", "/v1/child", "/metrics", "/v1/runs?limit=50", "/v1/sessions?limit=50", "/v1/approvals?limit=50", "/v1/events?limit=100", `/v1/events?after=${Math.max(0, lastSeq - 1000)}&limit=100`];
    for (const path of others) await hit(server, path, 300);
    await hit(server, ROUTE, WARMUP);
    const reps: Rep[] = [];
    for (let i = 0; i < REPS; i++) {
      execFileSync("callgrind_control", ["--zero", String(server.pid)], { stdio: "ignore" });
      const r = await hit(server, ROUTE, REQUESTS);
      execFileSync("callgrind_control", ["--dump", String(server.pid)], { stdio: "ignore" });
      // Dumps are numbered callgrind.out.1, .2, ...: the newest is this rep's.
      const dump = readdirSync(stateDir).filter((f) => f.startsWith("callgrind.out.")).sort((a, b) => Number(a.split(".").pop()) - Number(b.split(".").pop())).pop()!;
      const rep = { requests: r.requests.total, ...countsOf(join(stateDir, dump)) };
      reps.push(rep);
      log(`  ${name} rep ${i + 1}${i < UNJUDGED_REPS ? " (not judged)" : ""}: ${fmt(rep.requests)} requests; per request: main thread less GC ${fmt((rep.main - rep.gc) / rep.requests)}, GC ${fmt(rep.gc / rep.requests)}, whole process ${fmt(rep.total / rep.requests)}`);
    }
    return reps;
  } finally {
    await stop(server);
  }
}

runMain("instructions", async () => {
  // Part of every `npm run bench`: without valgrind it says so and measures nothing.
  if (spawnSync("valgrind", ["--version"]).status !== 0) {
    log("skipped: valgrind not found (apt-get install valgrind)");
    log(JSON.stringify({ benchmark: "instructions", skipped: "valgrind not found" }));
    return;
  }
  if (new Set(BUILDS.map((b) => b.name)).size !== BUILDS.length) throw new Error("INSTRUCTIONS_BENCH_BUILDS: each build needs a name of its own");
  await withTempDir("instructions", async (dir) => {
    const seedDir = join(dir, "seed");
    mkdirSync(seedDir);
    log(`state: ${SEED_RUNS} runs, each on a new session, every 5th asking a command approval (build ${BUILDS[0]!.name}) ...`);
    const { server: seeder } = await startDaemon(seedDir, READ_STATE_ENV, [], { cli: BUILDS[0]!.cli });
    await seedReadState(seeder.url, SEED_RUNS);
    await stop(seeder);
    log(`${ROUTE}: ${CONNECTIONS} connections, warm-up ${fmt(WARMUP)} requests, then ${REPS} reps of ${fmt(REQUESTS)} under callgrind; builds ${BUILDS.map((b) => `${b.name} (${b.cli})`).join(", ")}`);
    const results = await Promise.all(
      BUILDS.map(async (build) => {
        const stateDir = join(dir, `build-${build.name}`);
        cpSync(seedDir, stateDir, { recursive: true });
        const reps = await measureBuild(build.name, build.cli, stateDir);
        const judged = reps.slice(UNJUDGED_REPS);
        return { ...build, reps, perRequest: median(judged.map((r) => (r.main - r.gc) / r.requests)), gcPerRequest: median(judged.map((r) => r.gc / r.requests)) };
      }),
    );
    const base = results[0]!;
    log(`\n${ROUTE}, instructions per request (median of reps ${UNJUDGED_REPS + 1}-${REPS}; main thread less GC):`);
    for (const r of results) log(`  ${r.name.padEnd(12)} ${fmt(r.perRequest).padStart(9)}  = ${fmt(r.perRequest / base.perRequest, 3)} x ${base.name}; GC ${fmt(r.gcPerRequest)} per request`);
    log(JSON.stringify({ benchmark: "instructions", machine: machineInfo(), route: ROUTE, requests: REQUESTS, warmup: WARMUP, reps: REPS, results: results.map((r) => ({ name: r.name, cli: r.cli, perRequest: Math.round(r.perRequest), ratio: Number((r.perRequest / base.perRequest).toFixed(3)), gcPerRequest: Math.round(r.gcPerRequest), reps: r.reps })) }));
  });
});
