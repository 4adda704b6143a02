/** Waiting for a run or a turn to end, reporting its status to a progress indicator as it goes. */
import type { CodexdClient, RunRecord, TurnRecord } from "../client/index.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import { formatDuration, type Ui } from "./output.js";
import type { Progress } from "./progress.js";

const RUN_ACTIVE = new Set(["queued", "running"]);
const TURN_ACTIVE = new Set(["pending", "inProgress"]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Waited<T> {
  record: T;
  /** The deadline passed while it was still going. */
  timedOut: boolean;
}

/**
 * Long-poll the run in short slices (so the status shown stays current) until it ends or
 * `timeoutMs` passes.
 */
export async function waitForRun(client: CodexdClient, runId: string, progress: Progress, timeoutMs?: number): Promise<Waited<RunRecord>> {
  const deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs;
  for (let first = true; ; first = false) {
    const slice = first ? 0 : Math.max(0, Math.min(2_000, Math.ceil(deadline - performance.now())));
    const run = await client.runs.get(runId, slice);
    progress.update(run.status);
    if (!RUN_ACTIVE.has(run.status)) return { record: run, timedOut: false };
    if (performance.now() >= deadline) return { record: run, timedOut: true };
  }
}

/** Poll the turn (100 ms, slowing to 1 s) until it ends. */
export async function waitForTurn(client: CodexdClient, sessionId: string, turnId: string, progress: Progress): Promise<TurnRecord> {
  for (let pause = 100; ; pause = Math.min(1_000, pause * 1.5)) {
    const turn = await client.sessions.getTurn(sessionId, turnId);
    progress.update(turn.status);
    if (!TURN_ACTIVE.has(turn.status)) return turn;
    await sleep(pause);
  }
}

export interface Ending {
  what: string;
  status: string;
  finalMessage?: string | null;
  error?: { code: string; message: string } | null;
  durationMs?: number | null;
}

/**
 * The person's view of an ending: the final message on stdout (unless --json printed the record),
 * how it went on stderr; the exit code says whether it `completed`.
 */
export function reportEnding(ui: Ui, end: Ending): ExitCode {
  if (end.finalMessage && !ui.json) ui.line(end.finalMessage);
  const took = end.durationMs === null || end.durationMs === undefined ? "" : ` in ${formatDuration(end.durationMs)}`;
  const why = end.error ? `: ${end.error.code}: ${end.error.message}` : "";
  if (end.status === "completed") {
    ui.note(`${end.what} completed${took}`);
    return EXIT.ok;
  }
  ui.error(`${end.what} ${end.status}${took}${why}`);
  return EXIT.notCompleted;
}

export function durationBetween(from: string | null | undefined, to: string | null | undefined): number | null {
  if (!from || !to) return null;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? ms : null;
}
