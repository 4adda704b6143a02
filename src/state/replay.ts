import type { CodexdEvent } from "../../schemas/events.js";
import { TERMINAL_RUN_STATUSES, type RunRecord, type RunStatus } from "../../schemas/runs.js";
import type { SessionRecord } from "../../schemas/sessions.js";

/** Reads events with seq > after, in order, a page at a time (EventLog.readAfter). */
export type ReadAfter = (after: number, limit: number, keep: (e: CodexdEvent) => boolean) => Promise<CodexdEvent[]>;

export interface ReplaySummary {
  /** Events applied (seq > from). */
  events: number;
  /** Seq the replay started after (the stamp of the version used, 0 when it had none). */
  from: number;
  /** Records the replay changed, and those it had to rebuild from events alone. */
  changed: string[];
  rebuilt: string[];
}

const RUN_ENDS: Record<string, RunStatus> = {
  "run.completed": "completed",
  "run.failed": "failed",
  "run.cancelled": "cancelled",
  "run.timed_out": "timed_out",
  "run.interrupted": "interrupted",
};

const LOST = {
  code: "CODEXD_STATE_RECOVERED",
  message: "the run registry was damaged and its backup did not hold this run; it was rebuilt from the event log without its prompt and is not executed",
};

type Detail = Record<string, unknown>;
const detailOf = (e: CodexdEvent): Detail => (e.detail ?? {}) as Detail;
const errorOf = (d: Detail): RunRecord["error"] => {
  const e = d.error as { code?: unknown; message?: unknown } | null | undefined;
  return e && typeof e.code === "string" && typeof e.message === "string" ? { code: e.code, message: e.message } : null;
};

/**
 * A registry restored from its `.bak` (or started empty) is older than what was acknowledged:
 * every acknowledged change has a durable event, so the run.* and session.* events newer than
 * the version used are applied over it, in order. A cancelled run stays cancelled, a closed
 * session closed. A run known only from events has no prompt: it is rebuilt as ended (never
 * executed); a session known only from events keeps its thread id.
 */
export async function replayRecords(
  readAfter: ReadAfter,
  from: number,
  targets: { runs?: Map<string, RunRecord>; sessions?: Map<string, SessionRecord>; archived?: (runId: string) => boolean },
): Promise<ReplaySummary> {
  const { runs, sessions } = targets;
  const archived = targets.archived ?? (() => false);
  const keep = (e: CodexdEvent) => (runs !== undefined && e.type.startsWith("run.") && !!e.runId) || (sessions !== undefined && e.type.startsWith("session.") && !!e.sessionId);
  const summary: ReplaySummary = { events: 0, from, changed: [], rebuilt: [] };
  const changed = new Set<string>();
  const rebuilt = new Set<string>();
  for (let after = from; ; ) {
    const page = await readAfter(after, 1000, keep);
    if (page.length === 0) break;
    for (const event of page) {
      summary.events++;
      // An archived run's final form is in the archive: its events have nothing to add.
      if (event.type.startsWith("run.") && runs) {
        if (!runs.has(event.runId!) && archived(event.runId!)) continue;
        applyRun(runs, event, changed, rebuilt);
      }
      else if (sessions) applySession(sessions, event, changed, rebuilt);
    }
    after = page.at(-1)!.seq;
  }
  // A run rebuilt from events that never ended was never going to be executed again: end it.
  for (const id of rebuilt) {
    const run = runs?.get(id);
    if (run && !TERMINAL_RUN_STATUSES.has(run.status)) runs!.set(id, { ...run, status: "interrupted", error: LOST, finishedAt: run.updatedAt });
  }
  summary.changed = [...changed];
  summary.rebuilt = [...rebuilt];
  return summary;
}

function applyRun(runs: Map<string, RunRecord>, event: CodexdEvent, changed: Set<string>, rebuilt: Set<string>): void {
  const id = event.runId!;
  const at = event.createdAt;
  let run = runs.get(id);
  if (!run) {
    run = { runId: id, status: "queued", createdAt: at, updatedAt: at, sessionId: event.sessionId ?? null, prompt: "", error: LOST };
    rebuilt.add(id);
  }
  const d = detailOf(event);
  const end = RUN_ENDS[event.type];
  let next: RunRecord | null = null;
  if (end) {
    if (run.status === end && run.finishedAt) return;
    next = { ...run, status: end, error: errorOf(d), finishedAt: at, durationMs: typeof d.durationMs === "number" ? d.durationMs : (run.durationMs ?? null) };
  } else if (event.type === "run.started" && !TERMINAL_RUN_STATUSES.has(run.status) && run.status !== "running") {
    next = { ...run, status: "running", startedAt: at };
  } else if (!runs.has(id)) {
    next = run;
  }
  if (!next) return;
  if (event.sessionId && !next.sessionId) next.sessionId = event.sessionId;
  runs.set(id, { ...next, updatedAt: at });
  changed.add(id);
}

function applySession(sessions: Map<string, SessionRecord>, event: CodexdEvent, changed: Set<string>, rebuilt: Set<string>): void {
  const id = event.sessionId!;
  const at = event.createdAt;
  const d = detailOf(event);
  let session = sessions.get(id);
  if (!session) {
    if (event.type !== "session.created") return;
    session = {
      sessionId: id,
      status: "idle",
      currentTurnId: null,
      createdAt: at,
      updatedAt: at,
      threadId: typeof d.threadId === "string" ? d.threadId : null,
      cwd: typeof d.cwd === "string" ? d.cwd : null,
      model: typeof d.model === "string" ? d.model : null,
    };
    sessions.set(id, session);
    rebuilt.add(id);
    changed.add(id);
    return;
  }
  let next: SessionRecord | null = null;
  if (event.type === "session.closed" && session.status !== "closed") next = { ...session, status: "closed", currentTurnId: null, closedAt: at };
  else if (event.type === "session.failed" && session.status !== "failed" && session.status !== "closed") next = { ...session, status: "failed" };
  else if (event.type === "session.thread_replaced" && typeof d.newThreadId === "string" && session.threadId !== d.newThreadId) next = { ...session, threadId: d.newThreadId };
  if (!next) return;
  sessions.set(id, { ...next, updatedAt: at });
  changed.add(id);
}
