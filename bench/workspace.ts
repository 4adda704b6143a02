/**
 * Workspace benchmark: the time a git worktree adds to a run, on a repository of about 10,000
 * files, as a ratio to the same run without a workspace.
 *
 * The daemon runs in this process (listening on 127.0.0.1) with the fake app-server as its
 * child. Every run writes one file (`[write:...]`), one at a time, and its latency is POST
 * /v1/runs -> the terminal answer of a long-poll. Three kinds, interleaved round by round so
 * machine load hits them alike:
 *   - plain:    `cwd` = the repository (the diff comes from Codex's turn/diff/updated);
 *   - worktree: workspace {repo, keep: false}: worktree add + checkout of every file, diff of the
 *               whole tree through a scratch index, worktree remove;
 *   - in-place: workspace {repo, mode: in-place}: a snapshot of the tree before and after.
 * The worktree's own steps are also read from its events (created -> diff_updated -> removed).
 *
 *   npm run build && node bench/run-all.js workspace        (WORKSPACE_BENCH_FILES, _RUNS)
 *
 * Prints lines for people, then one JSON summary line (the last line of output).
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { request } from "undici";
import { fmt, log, machineInfo, median, percentile, round, withTempDir } from "./lib/common.js";
import { withInProcessDaemon } from "./lib/in-process-daemon.js";

const setting = (name: string, fallback: number) => {
  const value = Number(process.env[`WORKSPACE_BENCH_${name}`]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};
const FILES = setting("FILES", 10_000);
const RUNS = setting("RUNS", 20);
const WARMUP = 2;
const TERMINAL = new Set(["completed", "failed", "cancelled", "timed_out", "interrupted"]);
type Kind = "plain" | "worktree" | "in-place";

async function json(method: string, url: string, body?: unknown): Promise<any> {
  const res = await request(url, { method, ...(body ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}) });
  const parsed = await res.body.json();
  if (res.statusCode >= 400) throw new Error(`${method} ${url}: ${res.statusCode} ${JSON.stringify(parsed)}`);
  return parsed;
}

/** A repository of `files` small files in 100 directories, committed. */
async function makeRepo(dir: string, files: number): Promise<void> {
  const sub = (i: number) => join(dir, `d${String(i % 100).padStart(2, "0")}`);
  for (let i = 0; i < 100; i++) await mkdir(sub(i), { recursive: true });
  for (let start = 0; start < files; start += 500) {
    const batch = Array.from({ length: Math.min(500, files - start) }, (_, k) => start + k);
    await Promise.all(batch.map((i) => writeFile(join(sub(i), `f${i}.txt`), `file ${i}\n${"line\n".repeat(i % 20)}`)));
  }
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("-c", "user.name=bench", "-c", "user.email=bench@localhost", "add", "-A");
  git("-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "bench repository");
}

async function main(): Promise<void> {
  await withTempDir("workspace", async (dir) => {
    const repo = join(dir, "repo");
    const t0 = performance.now();
    await makeRepo(repo, FILES);
    const setupMs = performance.now() - t0;
    const latencies: Record<Kind, number[]> = { plain: [], worktree: [], "in-place": [] };
    const steps = { create: [] as number[], diffAndRemove: [] as number[] };
    await withInProcessDaemon(join(dir, "state"), {}, async ({ base }) => {
      const one = async (kind: Kind, i: number): Promise<{ ms: number; runId: string }> => {
        const prompt = `[write:bench/out-${kind}-${i}.txt=run ${i}] bench`;
        const body =
          kind === "plain" ? { prompt, cwd: repo } : kind === "worktree" ? { prompt, workspace: { repo, keep: false } } : { prompt, workspace: { repo, mode: "in-place" } };
        const start = performance.now();
        let run = await json("POST", `${base}/v1/runs`, body);
        while (!TERMINAL.has(run.status)) run = await json("GET", `${base}/v1/runs/${run.runId}?waitMs=60000`);
        const ms = performance.now() - start;
        if (run.status !== "completed") throw new Error(`${kind} run ${run.runId} ended ${run.status}: ${JSON.stringify(run.error)}`);
        if (kind !== "plain" && run.changes?.length !== 1) throw new Error(`${kind} run ${run.runId}: changes ${JSON.stringify(run.changes)}`);
        if (kind === "in-place") execFileSync("git", ["clean", "-qfd", "bench"], { cwd: repo });
        return { ms, runId: run.runId };
      };
      const kinds: Kind[] = ["plain", "worktree", "in-place"];
      for (let i = 0; i < WARMUP; i++) for (const kind of kinds) await one(kind, -1 - i);
      for (let i = 0; i < RUNS; i++) {
        for (const kind of kinds) {
          const { ms, runId } = await one(kind, i);
          latencies[kind].push(ms);
          if (kind !== "worktree") continue;
          const events = (await json("GET", `${base}/v1/events?runId=${runId}&type=run.&limit=100`)).events as { type: string; createdAt: string }[];
          const at = (type: string) => Date.parse(events.find((e) => e.type === type)!.createdAt);
          steps.create.push(at("run.workspace_created") - at("run.started"));
          steps.diffAndRemove.push(at("run.workspace_removed") - at("run.diff_updated"));
        }
      }
    });
    const plain = median(latencies.plain);
    const summary = {
      bench: "workspace",
      machine: machineInfo(),
      files: FILES,
      runs: RUNS,
      repoSetupMs: round(setupMs, 0),
      medianMs: Object.fromEntries(Object.entries(latencies).map(([k, v]) => [k, round(median(v), 1)])),
      p90Ms: Object.fromEntries(Object.entries(latencies).map(([k, v]) => [k, round(percentile(v, 90), 1)])),
      ratioToPlain: { worktree: round(median(latencies.worktree) / plain, 2), "in-place": round(median(latencies["in-place"]) / plain, 2) },
      addedMs: { worktree: round(median(latencies.worktree) - plain, 1), "in-place": round(median(latencies["in-place"]) - plain, 1) },
      worktreeSteps: { createMedianMs: median(steps.create), diffToRemovedMedianMs: median(steps.diffAndRemove) },
    };
    log(`repository: ${fmt(FILES)} files, made and committed in ${fmt(setupMs)} ms; ${RUNS} runs of each kind, interleaved, one at a time`);
    for (const kind of ["plain", "worktree", "in-place"] as Kind[]) {
      log(`  ${kind.padEnd(9)} median ${fmt(median(latencies[kind]), 1)} ms   p90 ${fmt(percentile(latencies[kind], 90), 1)} ms`);
    }
    log(`  worktree / plain = ${summary.ratioToPlain.worktree}x (+${summary.addedMs.worktree} ms); in-place / plain = ${summary.ratioToPlain["in-place"]}x (+${summary.addedMs["in-place"]} ms)`);
    log(`  worktree steps (from event times): add ${summary.worktreeSteps.createMedianMs} ms median; diff recorded -> removed ${summary.worktreeSteps.diffToRemovedMedianMs} ms median`);
    log(JSON.stringify(summary));
  });
}

await main();
