import { Type } from "@sinclair/typebox";
import type { Logger } from "pino";
import type { ChildState } from "../../schemas/child.js";
import type { ResolvedConfig } from "../../schemas/config.js";
import type { SessionRecord, StartTurnBody } from "../../schemas/sessions.js";
import { TERMINAL_TURN_STATUSES, type TurnRecord, type TurnStatus } from "../../schemas/turns.js";
import type { ChildSupervisor } from "../child/supervisor.js";
import { callCodex } from "../codex/codex-call.js";
import { codexErrorFields, describeCodexError, type CodexError } from "../codex/codex-error.js";
import type { IncomingNotification } from "../codex/jsonrpc-connection.js";
import {
  AgentMessageDelta,
  ErrorNotification,
  ItemNotification,
  ThreadReadResult,
  TokenUsageUpdated,
  TurnCompleted,
  TurnStartResult,
  TurnStarted,
  TurnSteerResult,
  parseAs,
} from "../codex/protocol.js";
import { ProblemError, conflict, notFound } from "../errors.js";

import { byCreation, paginate } from "../paginate.js";
import type { StateStore } from "../state/store.js";
import type { SessionService } from "./session-service.js";

export interface TurnDeps {
  config: ResolvedConfig;
  store: StateStore;
  child: ChildSupervisor;
  logger: Logger;
  sessions: SessionService;
  /** A turn waiting on an operator's approval is quiet on purpose: the watchdog leaves it alone. */
  waitingOnApproval: (turnId: string) => boolean;
}

type Item = Record<string, unknown> & { id: string; type: string };

/** How codexd ended a turn itself, and why; `codex` is the Codex error behind it, if any. */
interface Forced {
  status: TurnStatus;
  code: string;
  message: string;
  codex?: CodexError;
}

/** A turn in flight: a mutable working copy, persisted at milestones, not on every delta. */
interface ActiveTurn {
  record: TurnRecord;
  /** In order of first appearance; only those in `completed` survive the turn's end. */
  items: Map<string, Item>;
  completed: Set<string>;
  /** performance.now() at the last notification that was not a retry: retries are not progress. */
  lastActivity: number;
  /** Codex is retrying (the model is unreachable) since the last progress. */
  retry: { count: number; last: CodexError } | null;
  /** The last error Codex reported that it would not retry. */
  lastError: CodexError | null;
  checking: boolean;
  /** Set when codexd ends the turn itself; wins over the status the app-server reports. */
  forced: Forced | null;
}

/** Item types streamed by the model: when Codex retries the stream, their unfinished text is abandoned. */
const STREAMED_ITEM_TYPES = new Set(["agentMessage", "reasoning"]);

const EmptyResult = Type.Object({}, { additionalProperties: true });
/** How long a refused steer or interrupt waits for the turn's end to arrive before it counts as an app-server error. */
const ENDED_GRACE_MS = 1_000;
const now = () => new Date().toISOString();
const CODEX_STATUS: Record<string, TurnStatus> = { completed: "completed", interrupted: "interrupted", failed: "failed" };

/**
 * Turns: started with turn/start (or steered), followed through the app-server's notifications
 * (routed by threadId and turnId), ended only by turn/completed, or by codexd when the child
 * exits or the turn goes silent.
 */
export class TurnService {
  private readonly active = new Map<string, ActiveTurn>();
  private readonly starting = new Set<string>();
  private readonly waiters = new Map<string, Set<(turn: TurnRecord) => void>>();
  private readonly endListeners = new Set<(turn: TurnRecord) => void>();
  private watchdog: NodeJS.Timeout | null = null;

  constructor(private readonly deps: TurnDeps) {}

  /** Turns left in flight by a previous daemon cannot be followed any more: mark them interrupted. */
  async recoverAfterRestart(): Promise<void> {
    const { store, sessions } = this.deps;
    for (const turn of store.listTurns()) {
      if (TERMINAL_TURN_STATUSES.has(turn.status)) continue;
      // What Codex never completed is not part of the turn's result.
      const items = turn.items.filter((i) => i.partial !== true);
      await store.upsertTurn({
        ...turn,
        items,
        finalMessage: lastCompletedMessage(items),
        status: "interrupted",
        completedAt: now(),
        updatedAt: now(),
        error: { code: "CODEXD_DAEMON_RESTARTED", message: "the daemon restarted while the turn was in flight" },
      });
    }
    for (const session of store.listSessions()) {
      if (session.status === "active") await sessions.update(session.sessionId, { status: "idle", currentTurnId: null });
    }
  }

  /** Checks for turns gone silent and turns that only retry (either limit may be off: 0). */
  startWatchdog(): void {
    const { silenceTimeoutMs, retryGiveUpMs } = this.deps.config.turns;
    const limits = [silenceTimeoutMs, retryGiveUpMs].filter((ms) => ms > 0);
    if (limits.length === 0 || this.watchdog) return;
    this.watchdog = setInterval(() => this.checkTurns(), Math.min(1000, ...limits.map((ms) => ms / 2)));
    this.watchdog.unref();
  }

  stop(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  onTurnEnded(listener: (turn: TurnRecord) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  async start(sessionId: string, body: StartTurnBody): Promise<{ sessionId: string; turnId: string; status: string; steered: boolean }> {
    const { sessions, child, store } = this.deps;
    sessions.get(sessionId); // 404 before waiting
    // After a child restart the thread may still be re-attaching (or be replaced): wait for it.
    await sessions.whenAttached(sessionId);
    const session = sessions.get(sessionId);
    if (session.status === "closed") throw conflict("CODEXD_SESSION_CLOSED", "The session is closed", "closed");
    if (session.status === "failed") throw conflict("CODEXD_SESSION_FAILED", "The session's thread is lost", "failed");
    const inputs = typeof body.input === "string" ? [{ type: "text" as const, text: body.input }] : body.input;
    const text = inputs.map((i) => i.text).join("\n");
    const activeId = session.currentTurnId && this.active.has(session.currentTurnId) ? session.currentTurnId : null;
    if (activeId || this.starting.has(sessionId)) {
      if (!body.steer || !activeId) {
        throw new ProblemError(409, "CODEXD_TURN_ACTIVE", "A turn is already active", "Wait for it, interrupt it, or send steer: true", {
          currentState: "active",
          turnId: activeId,
        });
      }
      await this.unlessEnded(activeId, callCodex(child, "turn/steer", { threadId: session.threadId, input: inputs, expectedTurnId: activeId }, TurnSteerResult));
      await store.recordEvent({ level: "info", type: "turn.steered", message: "input added to the active turn", sessionId, turnId: activeId, detail: { chars: text.length } });
      return { sessionId, turnId: activeId, status: "inProgress", steered: true };
    }
    this.starting.add(sessionId);
    try {
      const params = {
        threadId: session.threadId,
        input: inputs,
        ...(body.model !== undefined ? { model: body.model } : {}),
        ...(body.effort !== undefined ? { effort: body.effort } : {}),
        ...(body.outputSchema !== undefined ? { outputSchema: body.outputSchema } : {}),
      };
      const result = await callCodex(child, "turn/start", params, TurnStartResult);
      const turnId = result.turn.id;
      // Notifications may have raced ahead of the response: the turn may be active, or even over.
      const live = this.active.get(turnId) ?? (store.getTurn(turnId) ? null : this.activate(session, turnId));
      if (live) {
        live.record.input = text;
        await Promise.all([this.persist(live), sessions.update(sessionId, { status: "active", currentTurnId: turnId, turnCount: (session.turnCount ?? 0) + 1 })]);
      } else {
        const done = store.getTurn(turnId)!;
        await Promise.all([store.upsertTurn({ ...done, input: text }), sessions.update(sessionId, { turnCount: (session.turnCount ?? 0) + 1 })]);
      }
      await store.recordEvent({ level: "info", type: "turn.requested", message: "turn requested", sessionId, turnId, detail: { chars: text.length } });
      return { sessionId, turnId, status: live?.record.status ?? store.getTurn(turnId)!.status, steered: false };
    } finally {
      this.starting.delete(sessionId);
    }
  }

  async interrupt(sessionId: string): Promise<{ sessionId: string; turnId: string; requested: boolean }> {
    const session = this.deps.sessions.get(sessionId);
    const turnId = session.currentTurnId;
    if (!turnId || !this.active.has(turnId)) throw conflict("CODEXD_NO_ACTIVE_TURN", "The session has no active turn", session.status);
    await this.unlessEnded(turnId, callCodex(this.deps.child, "turn/interrupt", { threadId: session.threadId, turnId }, EmptyResult));
    await this.deps.store.recordEvent({ level: "info", type: "turn.interrupt_requested", message: "interrupt requested", sessionId, turnId });
    return { sessionId, turnId, requested: true };
  }

  /**
   * A steer or interrupt the app-server refuses because the turn ended meanwhile (its end may
   * arrive just before or just after the refusal) is the client's race with the turn: 409
   * CODEXD_NO_ACTIVE_TURN, not a failure of the app-server.
   */
  private async unlessEnded<T>(turnId: string, request: Promise<T>): Promise<T> {
    try {
      return await request;
    } catch (error) {
      if (!(error instanceof ProblemError) || error.code !== "CODEXD_CODEX_ERROR") throw error;
      const ended = this.active.has(turnId) ? await this.waitForEnd(turnId, ENDED_GRACE_MS) : this.deps.store.getTurn(turnId);
      if (!ended || !TERMINAL_TURN_STATUSES.has(ended.status)) throw error;
      const sessionStatus = this.deps.store.getSession(ended.sessionId)?.status ?? "idle";
      throw conflict("CODEXD_NO_ACTIVE_TURN", `The session has no active turn: ${turnId} ended (${ended.status}) before the request reached it`, sessionStatus, {
        turnId,
        turnStatus: ended.status,
        rpcCode: error.extra.rpcCode,
      });
    }
  }

  /** Interrupt the session's turn and wait for its end; end it ourselves if the child does not. */
  async interruptAndWait(session: SessionRecord, timeoutMs = 5000): Promise<void> {
    const turnId = session.currentTurnId;
    if (!turnId || !this.active.has(turnId)) return;
    await this.interrupt(session.sessionId).catch(() => undefined);
    const ended = await this.waitForEnd(turnId, timeoutMs);
    const act = this.active.get(turnId);
    if (!ended && act) await this.finalize(act, "interrupted", null, { status: "interrupted", code: "CODEXD_TURN_INTERRUPTED", message: "interrupted on close" });
  }

  get(sessionId: string, turnId: string): TurnRecord {
    this.deps.sessions.get(sessionId);
    const act = this.active.get(turnId);
    const turn = act ? this.snapshot(act) : this.deps.store.getTurn(turnId);
    if (!turn || turn.sessionId !== sessionId) throw notFound("turn", turnId);
    return turn;
  }

  /** A session's turns, oldest first (the order of the conversation). */
  list(sessionId: string, query: { limit?: number; cursor?: string }) {
    this.deps.sessions.get(sessionId);
    const all = this.deps.store.listTurns(sessionId).map((t) => {
      const act = this.active.get(t.turnId);
      return act ? this.snapshot(act) : t;
    });
    const { page, nextCursor } = paginate(all, byCreation((t) => t.turnId, false), query.limit ?? 50, query.cursor);
    return { turns: page, nextCursor };
  }

  /** Activity on a turn that did not come as a notification (an approval answered or expired). */
  touch(turnId: string): void {
    const act = this.active.get(turnId);
    if (act) act.lastActivity = performance.now();
  }

  /** Resolves with the ended turn, or null when the timeout passes first. */
  waitForEnd(turnId: string, timeoutMs: number): Promise<TurnRecord | null> {
    const stored = this.deps.store.getTurn(turnId);
    if (!this.active.has(turnId) && stored && TERMINAL_TURN_STATUSES.has(stored.status)) return Promise.resolve(stored);
    return new Promise((resolve) => {
      const set = this.waiters.get(turnId) ?? new Set();
      this.waiters.set(turnId, set);
      const done = (turn: TurnRecord | null) => {
        clearTimeout(timer);
        set.delete(done);
        resolve(turn);
      };
      const timer = setTimeout(() => done(null), timeoutMs);
      set.add(done);
    });
  }

  /** The child went away: every turn in flight is over. */
  async childDown(reason: string): Promise<void> {
    for (const act of [...this.active.values()]) {
      await this.finalize(act, "interrupted", null, { status: "interrupted", code: "CODEXD_CHILD_EXITED", message: reason });
    }
  }

  /** The session and turn a notification belongs to (routed by threadId, then turnId). */
  idsOf(n: IncomingNotification): { sessionId?: string; turnId?: string } {
    const params = (typeof n.params === "object" && n.params !== null ? n.params : {}) as Record<string, unknown>;
    const threadId = typeof params.threadId === "string" ? params.threadId : null;
    const sessionId = threadId ? this.deps.sessions.sessionIdForThread(threadId) : null;
    if (!sessionId) return {};
    const nested = params.turn as { id?: unknown } | undefined;
    const turnId = typeof params.turnId === "string" ? params.turnId : typeof nested?.id === "string" ? nested.id : undefined;
    return turnId ? { sessionId, turnId } : { sessionId };
  }

  /** Apply one app-server notification to the turn it belongs to. */
  handle(n: IncomingNotification): void {
    const { sessionId, turnId } = this.idsOf(n);
    if (!sessionId || !turnId) return;
    const stored = this.deps.store.getTurn(turnId);
    if (!this.active.has(turnId) && stored && TERMINAL_TURN_STATUSES.has(stored.status)) return; // late news of an ended turn
    const act = this.active.get(turnId) ?? this.activate(this.deps.sessions.get(sessionId), turnId);
    const retrying = n.method === "error" && (n.params as { willRetry?: unknown }).willRetry === true;
    if (!retrying) {
      act.lastActivity = performance.now();
      act.retry = null;
    }
    this.apply(act, n.method, n.params);
  }

  private apply(act: ActiveTurn, method: string, params: unknown): void {
    const { store, logger } = this.deps;
    const { sessionId, turnId } = act.record;
    const save = () => void this.persist(act).catch((error: unknown) => logger.error({ err: error, turnId }, "cannot persist turn"));
    const changed = () => (act.record.updatedAt = now());
    switch (method) {
      case "turn/started": {
        if (!parseAs(TurnStarted, params)) return;
        act.record.status = "inProgress";
        act.record.startedAt = now();
        changed();
        save();
        void store.recordEvent({ level: "info", type: "turn.started", message: "turn started", sessionId, turnId }).catch(() => {});
        return;
      }
      case "item/started":
      case "item/completed": {
        const p = parseAs(ItemNotification, params);
        if (!p) return;
        changed();
        if (method === "item/started") {
          // Deltas may have come first: keep their text.
          if (!act.items.has(p.item.id)) act.items.set(p.item.id, { ...p.item });
          return;
        }
        act.items.set(p.item.id, { ...p.item });
        act.completed.add(p.item.id);
        save();
        void store
          .recordEvent({ level: "info", type: "item.completed", message: `${p.item.type} completed`, sessionId, turnId, detail: { itemId: p.item.id, itemType: p.item.type, status: (p.item as Record<string, unknown>).status ?? null } })
          .catch(() => {});
        return;
      }
      case "item/agentMessage/delta": {
        const p = parseAs(AgentMessageDelta, params);
        if (!p || act.completed.has(p.itemId)) return;
        changed();
        const item = act.items.get(p.itemId) ?? { id: p.itemId, type: "agentMessage", text: "" };
        item.text = `${typeof item.text === "string" ? item.text : ""}${p.delta}`;
        act.items.set(p.itemId, item);
        return;
      }
      case "thread/tokenUsage/updated": {
        const p = parseAs(TokenUsageUpdated, params);
        if (!p) return;
        act.record.usage = p.tokenUsage;
        changed();
        return;
      }
      case "error": {
        const p = parseAs(ErrorNotification, params);
        if (!p) return;
        if (p.willRetry) this.retrying(act, p.error);
        else act.lastError = p.error;
        const type = p.willRetry ? "turn.retrying" : "turn.error";
        void store
          .recordEvent({ level: "warn", type, message: describeCodexError(p.error), sessionId, turnId, detail: { error: p.error, willRetry: p.willRetry, ...codexErrorFields(p.error) } })
          .catch(() => {});
        return;
      }
      case "turn/completed": {
        const p = parseAs(TurnCompleted, params);
        if (!p) return;
        // The turn's own items are completed ones; a finished turn keeps nothing else.
        for (const item of p.turn.items ?? []) {
          if (!act.completed.has(item.id)) act.items.set(item.id, { ...item });
          act.completed.add(item.id);
        }
        void this.finalize(act, CODEX_STATUS[p.turn.status] ?? "failed", p.turn.error ?? act.lastError, null).catch((error: unknown) => logger.error({ err: error, turnId }, "cannot finalize turn"));
        return;
      }
    }
  }

  private activate(session: SessionRecord, turnId: string): ActiveTurn {
    const at = now();
    const act: ActiveTurn = {
      record: {
        turnId,
        sessionId: session.sessionId,
        threadId: session.threadId ?? "",
        status: "pending",
        input: "",
        createdAt: at,
        updatedAt: at,
        startedAt: null,
        completedAt: null,
        items: [],
        finalMessage: null,
        usage: null,
        error: null,
      },
      items: new Map(),
      completed: new Set(),
      lastActivity: performance.now(),
      retry: null,
      lastError: null,
      checking: false,
      forced: null,
    };
    this.active.set(turnId, act);
    return act;
  }

  /**
   * The turn as it stands. Items Codex has not completed are shown marked partial while the turn
   * runs, and left out once it is over (`final`); the final message is the last completed one.
   */
  private snapshot(act: ActiveTurn, final = false): TurnRecord {
    const items: Item[] = [];
    for (const [id, item] of act.items) {
      if (act.completed.has(id)) items.push({ ...item });
      else if (!final) items.push({ ...item, partial: true });
    }
    return { ...act.record, items, finalMessage: lastCompletedMessage(items) };
  }

  /** Codex retries (the model is unreachable): not progress. What it was streaming is abandoned. */
  private retrying(act: ActiveTurn, error: CodexError): void {
    const { sessionId, turnId } = act.record;
    if (!act.retry) this.deps.logger.warn({ sessionId, turnId, cause: describeCodexError(error), ...codexErrorFields(error) }, `turn ${turnId}: Codex is retrying: ${describeCodexError(error)}`);
    act.retry = { count: (act.retry?.count ?? 0) + 1, last: error };
    let dropped = false;
    for (const [id, item] of act.items) {
      if (act.completed.has(id) || !STREAMED_ITEM_TYPES.has(item.type)) continue;
      act.items.delete(id);
      dropped = true;
    }
    if (dropped) act.record.updatedAt = now();
  }

  private persist(act: ActiveTurn): Promise<TurnRecord> {
    return this.deps.store.upsertTurn(this.snapshot(act));
  }

  private async finalize(act: ActiveTurn, reported: TurnStatus, codexError: CodexError | null, forced: Forced | null): Promise<void> {
    const { turnId, sessionId } = act.record;
    if (this.active.get(turnId) !== act) return;
    this.active.delete(turnId);
    const why = act.forced ?? forced;
    const status = why?.status ?? reported;
    const error = why
      ? { code: why.code, message: why.message, ...(why.codex ? codexErrorFields(why.codex) : {}) }
      : status === "failed"
        ? codexError
          ? { code: "CODEXD_TURN_FAILED", message: describeCodexError(codexError), ...codexErrorFields(codexError), detail: codexError }
          : { code: "CODEXD_TURN_FAILED", message: "the turn failed (Codex gave no reason)" }
        : null;
    const at = now();
    const turn: TurnRecord = { ...this.snapshot(act, true), status, completedAt: at, updatedAt: at, error };
    const session = this.deps.store.getSession(sessionId);
    const sessionPatch: Partial<SessionRecord> = { lastUsage: turn.usage };
    if (session?.currentTurnId === turnId) Object.assign(sessionPatch, { currentTurnId: null, status: session.status === "closed" ? "closed" : "idle" });
    const [saved] = await Promise.all([
      this.deps.store.upsertTurn(turn),
      session ? this.deps.sessions.update(sessionId, sessionPatch) : Promise.resolve(null),
      this.deps.store.recordEvent({
        level: status === "completed" ? "info" : "warn",
        type: "turn.completed",
        message: `turn ${status}${error ? `: ${error.code}` : ""}`,
        sessionId,
        turnId,
        detail: { status, error, finalMessageChars: turn.finalMessage?.length ?? 0, items: turn.items.length },
      }),
    ]);
    for (const waiter of this.waiters.get(turnId) ?? []) waiter(saved);
    this.waiters.delete(turnId);
    for (const listener of this.endListeners) listener(saved);
  }

  /**
   * Turns that only retry for turns.retryGiveUpMs give up (the model is unreachable); turns with
   * no notification for turns.silenceTimeoutMs are checked, then interrupted.
   */
  private checkTurns(): void {
    const { silenceTimeoutMs, retryGiveUpMs } = this.deps.config.turns;
    const at = performance.now();
    for (const act of this.active.values()) {
      if (act.checking || this.deps.waitingOnApproval(act.record.turnId)) continue;
      const quietMs = Math.round(at - act.lastActivity);
      const giveUp = act.retry !== null && ((retryGiveUpMs > 0 && quietMs >= retryGiveUpMs) || (silenceTimeoutMs > 0 && quietMs >= silenceTimeoutMs));
      if (!giveUp && (silenceTimeoutMs <= 0 || quietMs < silenceTimeoutMs)) continue;
      act.checking = true;
      void (giveUp ? this.giveUp(act, quietMs) : this.probeSilentTurn(act)).finally(() => (act.checking = false));
    }
  }

  /** Only retries since the last progress: interrupt the turn; it fails with Codex's last cause. */
  private async giveUp(act: ActiveTurn, quietMs: number): Promise<void> {
    const { threadId, turnId, sessionId } = act.record;
    const { count, last } = act.retry!;
    const message = `the model could not be reached: for ${Math.round(quietMs / 1000)} s Codex only retried (${count} ${count === 1 ? "retry" : "retries"}); its last cause: ${describeCodexError(last)}`;
    act.forced = { status: "failed", code: "CODEXD_MODEL_UNREACHABLE", message, codex: last };
    this.deps.logger.warn({ sessionId, turnId, retries: count, ...codexErrorFields(last) }, `turn ${turnId} gave up: ${message}`);
    await this.deps.store.recordEvent({ level: "warn", type: "turn.gave_up", message, sessionId, turnId, detail: { retries: count, quietMs, ...codexErrorFields(last) } });
    await this.interruptOrEnd(act);
  }

  /** No notification for too long: ask the app-server, then interrupt; the turn ends failed. */
  private async probeSilentTurn(act: ActiveTurn): Promise<void> {
    const { threadId, turnId, sessionId } = act.record;
    const { child, store } = this.deps;
    // Metadata only: the turns (the whole history) are asked for only when the thread is idle.
    const read = await callCodex(child, "thread/read", { threadId }, ThreadReadResult).catch(() => null);
    if (read && read.thread.status?.type !== "active") {
      const full = await callCodex(child, "thread/read", { threadId, includeTurns: true }, ThreadReadResult).catch(() => null);
      const seen = full?.thread.turns?.find((t) => t.id === turnId);
      if (seen && CODEX_STATUS[seen.status]) {
        // The completion was lost; the app-server knows how the turn ended.
        await this.finalize(act, CODEX_STATUS[seen.status]!, null, null);
        return;
      }
    }
    const message = `no notification for ${this.deps.config.turns.silenceTimeoutMs} ms`;
    act.forced = { status: "failed", code: "CODEXD_TURN_SILENT", message };
    await store.recordEvent({ level: "warn", type: "turn.silent", message, sessionId, turnId });
    await this.interruptOrEnd(act);
  }

  /** Ask Codex to interrupt; if its end does not arrive soon (a hung child), end the turn here. */
  private async interruptOrEnd(act: ActiveTurn): Promise<void> {
    const { threadId, turnId } = act.record;
    void callCodex(this.deps.child, "turn/interrupt", { threadId, turnId }, EmptyResult).catch(() => null);
    if (!(await this.waitForEnd(turnId, 5000))) await this.finalize(act, "failed", null, null);
  }
}

/** Text of the last completed agent message among `items`, or null. */
function lastCompletedMessage(items: readonly Record<string, unknown>[]): string | null {
  const last = items.filter((i) => i.type === "agentMessage" && i.partial !== true).at(-1);
  return typeof last?.text === "string" ? last.text : null;
}

/** Why the turns in flight ended when the child went down: its exit code or signal, when known. */
export function childDownReason(state: ChildState): string {
  if (state.status === "stopping" || state.status === "stopped") return "the child was stopped";
  if (state.signal) return `the child was killed by ${state.signal}${state.lastError && !state.lastError.includes(state.signal) ? ` (${state.lastError})` : ""}`;
  if (state.exitCode !== null && state.exitCode !== undefined) return `the child exited with code ${state.exitCode}${state.lastError && !state.lastError.includes(`code ${state.exitCode}`) ? ` (${state.lastError})` : ""}`;
  return `the child is ${state.status}${state.lastError ? ` (${state.lastError})` : ""}`;
}
