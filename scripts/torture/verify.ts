/** Checks, through the restarted daemon's API, that everything acknowledged before the kill survived. */
import type { Api, Reply } from "./http.js";
import type { LoggedEvent } from "./disk.js";
import { TERMINAL_RUN, TERMINAL_TURN, runStatusOfEvent, type Ledger, type RunAck } from "./ledger.js";
import { sleep } from "./proc.js";

export interface Findings {
  /** Violations of what was acknowledged durably: the iteration fails. */
  problems: string[];
  /** Violations of state seen only through plain reads (not yet durable when read): the iteration fails too. */
  dirty: string[];
  /** Worth printing, not a failure. */
  notes: string[];
  /** Runs and sessions already reported: dropped from the ledger so later iterations do not report them again. */
  forget: Set<string>;
}

/** Run `fn` over `items`, `width` at a time. */
async function each<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const brief = (reply: Reply) => `${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`;

function checkRunStatus(run: RunAck, status: string, f: Findings, when: string): void {
  const { durable, observed } = run;
  const before = f.problems.length + f.dirty.length;
  if (durable?.rank === 2 && status !== durable.status) {
    f.problems.push(`run ${run.runId}: acknowledged ${durable.status} (${durable.how}), ${when} it is ${status}`);
  } else if (durable?.rank === 1 && !TERMINAL_RUN.has(status)) {
    f.problems.push(`run ${run.runId}: acknowledged running (${durable.how}), ${when} it is ${status} instead of ended (interrupted)`);
  } else if (observed?.rank === 2 && status !== observed.status) {
    f.dirty.push(`run ${run.runId}: read as ${observed.status} (${observed.how}) before the kill, ${when} it is ${status}`);
  } else if (observed?.rank === 1 && durable?.rank !== 2 && !TERMINAL_RUN.has(status)) {
    f.dirty.push(`run ${run.runId}: read as running (${observed.how}) before the kill, ${when} it is ${status}`);
  }
  if (f.problems.length + f.dirty.length > before) f.forget.add(run.runId);
}

/** Right after the restart: every acknowledged run, session and turn is there, in a legal state. */
export async function checkRecords(api: Api, ledger: Ledger, f: Findings): Promise<void> {
  await each([...ledger.runs.values()], 16, async (run) => {
    const reply = await api.get(`/v1/runs/${run.runId}`);
    if (reply.status === 404) {
      f.forget.add(run.runId);
      if (run.durable) f.problems.push(`run ${run.runId}: acknowledged ${run.durable.status} (${run.durable.how}), missing after the restart`);
      else f.dirty.push(`run ${run.runId}: read as ${run.observed?.status} (${run.observed?.how}) before the kill, missing after the restart`);
      return;
    }
    if (reply.status !== 200) return void f.problems.push(`GET /v1/runs/${run.runId}: ${brief(reply)}`);
    checkRunStatus(run, reply.body.status as string, f, "after the restart");
  });
  await each([...ledger.sessions.values()].filter((s) => s.durable), 16, async (s) => {
    const reply = await api.get(`/v1/sessions/${s.sessionId}`);
    if (reply.status !== 200) {
      f.forget.add(s.sessionId);
      return void f.problems.push(`session ${s.sessionId}: acknowledged, after the restart GET answers ${brief(reply)}`);
    }
    const { status, turnCount } = reply.body as { status: string; turnCount?: number };
    if (s.closed && status !== "closed") f.problems.push(`session ${s.sessionId}: acknowledged closed, after the restart ${status}`);
    if (!s.closed && !s.closeSent && status === "closed") f.problems.push(`session ${s.sessionId}: never closed, after the restart closed`);
    if ((turnCount ?? 0) < s.turns) f.problems.push(`session ${s.sessionId}: ${s.turns} turns acknowledged, turnCount is ${turnCount}`);
  });
  await each(ledger.currentTurns(), 16, async (t) => {
    const reply = await api.get(`/v1/sessions/${t.sessionId}/turns/${t.turnId}`);
    if (reply.status !== 200) f.problems.push(`turn ${t.turnId} of session ${t.sessionId}: acknowledged, after the restart GET answers ${brief(reply)}`);
  });
}

/**
 * Every run, session and turn an event of the killed daemon names exists after the restart: the
 * restarted daemon serves those events as durable history, so what they describe must be there.
 */
export async function checkNamedByEvents(api: Api, events: readonly LoggedEvent[], f: Findings): Promise<void> {
  const runs = new Map<string, LoggedEvent>();
  const sessions = new Map<string, LoggedEvent>();
  const turns = new Map<string, LoggedEvent>();
  for (const e of events) {
    if (e.runId && runStatusOfEvent(e.type) && !runs.has(e.runId)) runs.set(e.runId, e);
    if (e.type === "session.created" && e.sessionId) sessions.set(e.sessionId, e);
    if (e.type === "turn.requested" && e.sessionId && e.turnId) turns.set(e.turnId, e);
  }
  const missing = (what: string, e: LoggedEvent, reply: Reply) =>
    f.problems.push(`${what}: event seq ${e.seq} (${e.type}) on disk names it, but after the restart GET answers ${brief(reply)}`);
  await each([...runs], 16, async ([runId, e]) => {
    const reply = await api.get(`/v1/runs/${runId}`);
    if (reply.status !== 200) {
      f.forget.add(runId);
      missing(`run ${runId}`, e, reply);
    }
  });
  await each([...sessions], 16, async ([sessionId, e]) => {
    const reply = await api.get(`/v1/sessions/${sessionId}`);
    if (reply.status !== 200) {
      f.forget.add(sessionId);
      missing(`session ${sessionId}`, e, reply);
    }
  });
  await each([...turns], 16, async ([turnId, e]) => {
    const reply = await api.get(`/v1/sessions/${e.sessionId}/turns/${turnId}`);
    if (reply.status !== 200) missing(`turn ${turnId}`, e, reply);
  });
}

/** Every acknowledged Idempotency-Key still leads to its run: the same key and body give the same run. */
export async function checkIdempotency(api: Api, ledger: Ledger, f: Findings): Promise<number> {
  const keyed = [...ledger.runs.values()].filter((r) => r.key !== null && r.body !== null && r.durable !== null);
  await each(keyed, 8, async (run) => {
    const reply = await api.post("/v1/runs", run.body, { "idempotency-key": run.key! });
    if (reply.status !== 202) f.problems.push(`replay of key ${run.key} (run ${run.runId}) after the restart: ${brief(reply)}`);
    else if (reply.body.runId !== run.runId) f.problems.push(`key ${run.key} acknowledged for run ${run.runId}, after the restart it gives a new run ${reply.body.runId}`);
    else if (reply.headers["idempotent-replayed"] !== "true") f.problems.push(`key ${run.key}: same run but no idempotent-replayed header`);
  });
  return keyed.length;
}

/**
 * Queued runs go on after the restart: wait until no run is queued or running, then check every
 * known run and turn ended, with the statuses acknowledged before.
 */
export async function settle(api: Api, ledger: Ledger, f: Findings, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const open: unknown[] = [];
    for (const status of ["queued", "running"]) {
      const reply = await api.get(`/v1/runs?status=${status}&limit=500`);
      if (reply.status !== 200) f.problems.push(`GET /v1/runs?status=${status}: ${brief(reply)}`);
      else open.push(...(reply.body.runs as unknown[]));
    }
    if (open.length === 0) break;
    if (Date.now() - started > timeoutMs) {
      const ids = (open as Array<{ runId: string; status: string; prompt?: string }>).slice(0, 5).map((r) => `${r.runId} ${r.status} ${JSON.stringify(r.prompt)}`);
      f.problems.push(`${open.length} run(s) still queued or running ${timeoutMs} ms after the restart: ${ids.join("; ")}`);
      return Date.now() - started;
    }
    await sleep(100);
  }
  await each([...ledger.runs.values()], 16, async (run) => {
    const reply = await api.get(`/v1/runs/${run.runId}`);
    if (reply.status === 200) checkRunStatus(run, reply.body.status as string, f, "once settled");
  });
  let turns = ledger.currentTurns();
  for (;;) {
    const open: Array<{ turnId: string; status: string }> = [];
    await each(turns, 16, async (t) => {
      const reply = await api.get(`/v1/sessions/${t.sessionId}/turns/${t.turnId}`);
      if (reply.status === 200 && !TERMINAL_TURN.has(reply.body.status as string)) open.push({ turnId: t.turnId, status: reply.body.status as string });
    });
    if (open.length === 0) break;
    if (Date.now() - started > timeoutMs) {
      f.problems.push(`${open.length} turn(s) not ended ${timeoutMs} ms after the restart: ${open.slice(0, 5).map((t) => `${t.turnId} ${t.status}`).join("; ")}`);
      break;
    }
    const ids = new Set(open.map((t) => t.turnId));
    turns = turns.filter((t) => ids.has(t.turnId));
    await sleep(100);
  }
  return Date.now() - started;
}
