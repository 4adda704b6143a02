/**
 * The mixed load driven at a daemon until it is killed: run creators (with and without
 * Idempotency-Key, fast, delayed, approval, shared-session, timed-out and failing runs, replays of
 * old keys, cancels), a session worker (sessions, turns, interrupts, closes), an approver that
 * decides pending approvals through the API, and a reader (lists, gets, long-polls). Every 2xx
 * answer goes into the ledger; anything unexpected before the kill is an anomaly.
 */
import { randomBytes } from "node:crypto";
import type { Api, Reply } from "./http.js";
import { TERMINAL_RUN, type Ledger, type RunAck } from "./ledger.js";
import { sleep } from "./proc.js";
import type { Rng } from "./rng.js";

export interface LoadContext {
  api: Api;
  ledger: Ledger;
  rng: Rng;
  /** Prefix of the prompts and keys of this iteration. */
  label: string;
  stopped: () => boolean;
  anomalies: string[];
  counts: Map<string, number>;
}

/** Keys differ between torture processes, so a reused state dir never sees a key twice by accident. */
const token = randomBytes(4).toString("hex");

const message = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
const count = (ctx: LoadContext, what: string) => ctx.counts.set(what, (ctx.counts.get(what) ?? 0) + 1);
const anomaly = (ctx: LoadContext, what: string) => {
  if (ctx.anomalies.length < 50) ctx.anomalies.push(what);
};

/**
 * Send a request. null when it got no answer (after the kill that is expected; before, an
 * anomaly). A status that is neither 2xx nor listed in `expected` is an anomaly.
 */
async function send(
  ctx: LoadContext,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  expected: number[] = [],
  timeoutMs = 20_000,
): Promise<Reply | null> {
  let reply: Reply;
  try {
    reply = await ctx.api.call(method, path, body, headers, timeoutMs);
  } catch (error) {
    if (!ctx.stopped()) anomaly(ctx, `${method} ${path}: no answer before the kill: ${message(error)}`);
    return null;
  }
  count(ctx, `${method} ${reply.status}`);
  if ((reply.status < 200 || reply.status > 299) && !expected.includes(reply.status)) {
    anomaly(ctx, `${method} ${path}: unexpected ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
  }
  return reply;
}

const ok = (reply: Reply | null): reply is Reply => reply !== null && reply.status >= 200 && reply.status <= 299;

function observeRun(ctx: LoadContext, record: { runId?: unknown; status?: unknown } | undefined, how: string): void {
  if (record && typeof record.runId === "string" && typeof record.status === "string") ctx.ledger.ackRun(record.runId, record.status, how, false);
}

/** A run of this iteration not known to have ended, or any run. */
function someRun(ctx: LoadContext, rng: Rng, open: boolean): RunAck | null {
  const all = [...ctx.ledger.runs.values()].filter((r) => r.body !== null);
  const pool = open ? all.filter((r) => !TERMINAL_RUN.has(r.observed?.status ?? r.durable?.status ?? "queued")) : all;
  const recent = pool.slice(-30);
  return recent.length > 0 ? rng.pick(recent) : null;
}

async function createRun(ctx: LoadContext, rng: Rng, tag: string, keyed: RunAck[]): Promise<void> {
  const shared = ctx.ledger.sharedSessions();
  const kind = rng.next();
  const body: Record<string, unknown> = {};
  if (kind < 0.33) body.prompt = `torture ${tag} [reply:ok]`;
  else if (kind < 0.53) body.prompt = `torture ${tag} [delay:${rng.int(50, 700)}]`;
  else if (kind < 0.7) {
    body.prompt = `torture ${tag} [approval:command]`;
    body.approvalPolicy = rng.pick(["accept", "decline", "manual"]);
  } else if (kind < 0.86 && shared.length > 0) {
    body.prompt = `torture ${tag} shared [delay:${rng.int(20, 300)}]`;
    body.sessionId = rng.pick(shared);
  } else if (kind < 0.93) {
    body.prompt = `torture ${tag} [silent]`;
    body.timeoutMs = rng.int(200, 600);
  } else body.prompt = `torture ${tag} [fail]`;
  if (rng.chance(0.3)) body.metadata = { torture: tag, n: rng.int(0, 1000) };
  const key = rng.chance(0.75) ? `torture-${token}-${tag}` : null;
  const reply = await send(ctx, "POST", "/v1/runs", body, key ? { "idempotency-key": key } : {});
  if (!ok(reply)) return;
  const run = ctx.ledger.ackRun(reply.body.runId, reply.body.status, "POST /v1/runs", true);
  run.key = key;
  run.body = body;
  if (key) keyed.push(run);
  if (reply.headers["idempotent-replayed"] !== undefined) anomaly(ctx, `POST /v1/runs with a new key ${key} answered as a replay`);
  if (rng.chance(0.3)) await longPoll(ctx, run.runId, rng.int(100, 1500));
}

/** The same key again: the same body must give the same run, another body 409. */
async function replayRun(ctx: LoadContext, rng: Rng, keyed: RunAck[]): Promise<void> {
  const run = rng.pick(keyed);
  const changed = rng.chance(0.15);
  const body = changed ? { ...run.body, prompt: `${String(run.body!.prompt)} (changed)` } : run.body;
  const reply = await send(ctx, "POST", "/v1/runs", body, { "idempotency-key": run.key! }, changed ? [409] : []);
  if (!reply) return;
  count(ctx, "replays");
  if (changed) {
    if (reply.status !== 409 || reply.body?.code !== "CODEXD_IDEMPOTENCY_KEY_REUSED") anomaly(ctx, `key ${run.key} reused with another body: ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
  } else if (ok(reply)) {
    if (reply.body.runId !== run.runId || reply.headers["idempotent-replayed"] !== "true") {
      anomaly(ctx, `key ${run.key} replayed to run ${reply.body.runId} (replayed: ${String(reply.headers["idempotent-replayed"])}), acknowledged as ${run.runId}`);
    }
    observeRun(ctx, reply.body, "replayed POST /v1/runs");
  }
}

async function longPoll(ctx: LoadContext, runId: string, waitMs: number): Promise<void> {
  const reply = await send(ctx, "GET", `/v1/runs/${runId}?waitMs=${waitMs}`);
  if (ok(reply)) observeRun(ctx, reply.body, `GET /v1/runs/{id}?waitMs=${waitMs}`);
}

export async function runCreator(ctx: LoadContext, worker: number): Promise<void> {
  const rng = ctx.rng.fork(`runs-${worker}`);
  const keyed = [...ctx.ledger.runs.values()].filter((r) => r.key !== null && r.body !== null);
  for (let n = 0; !ctx.stopped(); n++) {
    const roll = rng.next();
    if (roll < 0.1 && keyed.length > 0) await replayRun(ctx, rng, keyed);
    else if (roll < 0.15) {
      const run = someRun(ctx, rng, true);
      if (run) {
        const reply = await send(ctx, "POST", `/v1/runs/${run.runId}/cancel`);
        if (ok(reply)) observeRun(ctx, reply.body.run, "cancel answer");
      }
    } else await createRun(ctx, rng, `${ctx.label}-w${worker}-${n}`, keyed);
    await sleep(rng.int(0, 30));
  }
}

/** Lists, gets and long-polls: what a watching orchestrator does. */
export async function reader(ctx: LoadContext): Promise<void> {
  const rng = ctx.rng.fork("reader");
  while (!ctx.stopped()) {
    const roll = rng.next();
    if (roll < 0.35) {
      const reply = await send(ctx, "GET", "/v1/runs?limit=50");
      if (ok(reply)) for (const run of reply.body.runs as unknown[]) observeRun(ctx, run as { runId: string; status: string }, "GET /v1/runs");
    } else if (roll < 0.7) {
      const run = someRun(ctx, rng, false);
      if (run) {
        const reply = await send(ctx, "GET", `/v1/runs/${run.runId}`);
        if (ok(reply)) observeRun(ctx, reply.body, "GET /v1/runs/{id}");
      }
    } else if (roll < 0.9) {
      const run = someRun(ctx, rng, true);
      if (run) await longPoll(ctx, run.runId, rng.int(200, 1500));
    } else {
      await send(ctx, "GET", rng.pick(["/v1/status", "/v1/sessions?limit=20", "/v1/events?limit=100", "/readyz", "/v1/child"]));
    }
    await sleep(rng.int(2, 30));
  }
}

/**
 * Steer and interrupt race the turn's end: codexd still sees the turn active while the app-server
 * has ended it and refuses with "no active turn ..." (-32600), which codexd answers 502. That and
 * only that 502 is expected.
 */
function raceOnly(ctx: LoadContext, reply: Reply | null): void {
  if (reply?.status === 502 && !/no active turn/.test(String(reply.body?.detail))) {
    anomaly(ctx, `${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
  }
}

const TURN_INPUTS = ["[reply:turn]", "[delay:150]", "[delay:400]", "[approval:command]", "[approval:file]", "[retry-error]"];

/** Sessions and their turns, directly through the sessions API. */
export async function sessionWorker(ctx: LoadContext): Promise<void> {
  const rng = ctx.rng.fork("sessions");
  const { ledger } = ctx;
  for (let n = 0; !ctx.stopped(); n++) {
    const open = [...ledger.sessions.values()].filter((s) => s.durable && !s.closed && !s.closeSent);
    const own = open.filter((s) => !s.shared);
    const roll = rng.next();
    if (roll < 0.12 || open.length === 0) {
      const approvals = rng.pick(["manual", "accept", "decline", null]);
      const body = { ...(approvals ? { approvals } : {}), metadata: { torture: `${ctx.label}-s${n}` } };
      const reply = await send(ctx, "POST", "/v1/sessions", body);
      if (ok(reply)) ledger.session(reply.body.sessionId).durable = true;
    } else if (roll < 0.64) {
      const session = rng.pick(open);
      const steer = rng.chance(0.1);
      const input = `torture ${ctx.label}-t${n} ${rng.pick(TURN_INPUTS)}`;
      const reply = await send(ctx, "POST", `/v1/sessions/${session.sessionId}/turns`, { input, ...(steer ? { steer } : {}) }, {}, steer ? [409, 502] : [409]);
      if (steer) raceOnly(ctx, reply);
      if (ok(reply) && !reply.body.steered) {
        session.turns++;
        ledger.turns.set(reply.body.turnId, { turnId: reply.body.turnId, sessionId: session.sessionId, iteration: ledger.iteration });
      }
    } else if (roll < 0.72) {
      raceOnly(ctx, await send(ctx, "POST", `/v1/sessions/${rng.pick(open).sessionId}/interrupt`, undefined, {}, [409, 502]));
    } else if (roll < 0.77 && own.length > 1) {
      const session = rng.pick(own);
      session.closeSent = true;
      const reply = await send(ctx, "DELETE", `/v1/sessions/${session.sessionId}`);
      if (ok(reply)) {
        session.closed = true;
        if (reply.body.status !== "closed") anomaly(ctx, `DELETE /v1/sessions/${session.sessionId} answered status ${reply.body.status}`);
      }
    } else {
      await send(ctx, "GET", `/v1/sessions/${rng.pick(open).sessionId}/turns?limit=20`);
    }
    await sleep(rng.int(5, 50));
  }
}

/** Decides pending approvals through the API, with any decision offered. */
export async function approver(ctx: LoadContext): Promise<void> {
  const rng = ctx.rng.fork("approver");
  while (!ctx.stopped()) {
    const reply = await send(ctx, "GET", "/v1/approvals?status=pending&limit=20");
    if (ok(reply)) {
      for (const approval of (reply.body.approvals as Array<{ approvalId: string; availableDecisions: unknown[] }>).slice(0, 5)) {
        const offered = approval.availableDecisions.filter((d): d is string => typeof d === "string");
        if (offered.length === 0 || ctx.stopped()) continue;
        const decision = rng.pick(offered);
        const decided = await send(ctx, "POST", `/v1/approvals/${approval.approvalId}/decision`, { decision }, {}, [409]);
        if (ok(decided)) ctx.ledger.decisions.set(approval.approvalId, decision);
      }
    }
    await sleep(rng.int(10, 60));
  }
}
