/**
 * What the daemon acknowledged, accumulated over every iteration on one state dir.
 *
 * Two kinds of acknowledgement are kept apart:
 *  - durable: answers the daemon gives only once the change is durable (POST/DELETE answers,
 *    events delivered on a stream, which are sent after their flush);
 *  - observed: state seen through plain reads (GET /v1/runs, GET /v1/runs/{id}[?waitMs], the
 *    record in a cancel answer). Reads answer only once what they show is durable, so a loss is
 *    a failure too, reported as a read of state that was not yet durable.
 */
export const TERMINAL_RUN = new Set(["completed", "failed", "cancelled", "timed_out", "interrupted"]);
export const TERMINAL_TURN = new Set(["completed", "interrupted", "failed"]);
export const runRank = (status: string) => (status === "queued" ? 0 : status === "running" ? 1 : 2);

export interface StatusAck {
  rank: number;
  status: string;
  how: string;
}

export interface RunAck {
  runId: string;
  /** The Idempotency-Key and body it was created with, when this torture created it. */
  key: string | null;
  body: Record<string, unknown> | null;
  durable: StatusAck | null;
  observed: StatusAck | null;
}

export interface SessionAck {
  sessionId: string;
  durable: boolean;
  /** Turns started on it (202, not steered). */
  turns: number;
  closed: boolean;
  /** A close was sent but not (yet) answered: closed or not are both fine. */
  closeSent: boolean;
  /** Pool A: used by runs, never closed. */
  shared: boolean;
}

export interface TurnAck {
  turnId: string;
  sessionId: string;
  /** Finished turns beyond the turn retention leave the registry: only this iteration's are checked. */
  iteration: number;
}

/** The event types that tell a run's status. */
export function runStatusOfEvent(type: string): string | null {
  if (type === "run.queued") return "queued";
  if (type === "run.started") return "running";
  if (type.startsWith("run.")) {
    const status = type.slice(4);
    return TERMINAL_RUN.has(status) ? status : null;
  }
  return null;
}

export class Ledger {
  readonly runs = new Map<string, RunAck>();
  readonly sessions = new Map<string, SessionAck>();
  readonly turns = new Map<string, TurnAck>();
  /** approvalId -> the decision acknowledged by POST .../decision. */
  readonly decisions = new Map<string, unknown>();
  /** Events delivered on streams: seq -> the data line. */
  readonly streamed = new Map<number, string>();
  /** Runs and sessions already reported lost or changed: not checked (nor re-learnt from replayed events) again. */
  readonly reported = new Set<string>();
  /** The iteration now running. */
  iteration = 0;

  /** Turns acknowledged in this iteration. */
  currentTurns(): TurnAck[] {
    return [...this.turns.values()].filter((t) => t.iteration === this.iteration);
  }

  forget(id: string): void {
    this.runs.delete(id);
    this.sessions.delete(id);
    this.reported.add(id);
  }

  run(runId: string): RunAck {
    let run = this.runs.get(runId);
    if (!run) {
      run = { runId, key: null, body: null, durable: null, observed: null };
      this.runs.set(runId, run);
    }
    return run;
  }

  /** Raise what is known about a run; the highest rank wins (a terminal status is never replaced). */
  ackRun(runId: string, status: string, how: string, durable: boolean): RunAck {
    const run = this.run(runId);
    const next: StatusAck = { rank: runRank(status), status, how };
    const field = durable ? "durable" : "observed";
    const current = run[field];
    if (!current || next.rank > current.rank) run[field] = next;
    return run;
  }

  session(sessionId: string, shared = false): SessionAck {
    let s = this.sessions.get(sessionId);
    if (!s) {
      s = { sessionId, durable: false, turns: 0, closed: false, closeSent: false, shared };
      this.sessions.set(sessionId, s);
    }
    return s;
  }

  sharedSessions(): string[] {
    return [...this.sessions.values()].filter((s) => s.shared && s.durable).map((s) => s.sessionId);
  }

  /** Fold the events delivered on streams into the acknowledgements (after the kill, in seq order). */
  applyStreamed(): void {
    for (const seq of [...this.streamed.keys()].sort((a, b) => a - b)) {
      const event = JSON.parse(this.streamed.get(seq)!) as { type: string; runId?: string; sessionId?: string };
      const status = event.runId ? runStatusOfEvent(event.type) : null;
      if (status && event.runId && !this.reported.has(event.runId)) this.ackRun(event.runId, status, `stream seq ${seq}`, true);
      if (event.sessionId && this.reported.has(event.sessionId)) continue;
      if (event.type === "session.created" && event.sessionId) this.session(event.sessionId).durable = true;
      if (event.type === "session.closed" && event.sessionId) Object.assign(this.session(event.sessionId), { durable: true, closed: true });
    }
  }
}
