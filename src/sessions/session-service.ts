import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { ResolvedConfig } from "../../schemas/config.js";
import type { CreateSessionBody, SessionRecord, SessionStatus } from "../../schemas/sessions.js";
import type { ChildSupervisor } from "../child/supervisor.js";
import { callCodex } from "../codex/codex-call.js";
import { ThreadStartResult } from "../codex/protocol.js";
import { ProblemError, notFound } from "../errors.js";
import type { StateStore } from "../state/store.js";

export interface SessionDeps {
  config: ResolvedConfig;
  store: StateStore;
  child: ChildSupervisor;
  logger: Logger;
  /** Interrupt the session's active turn and wait for it to end (provided by the turn service). */
  interruptActiveTurn: (session: SessionRecord) => Promise<void>;
}

const now = () => new Date().toISOString();

/** Sessions: one Codex thread each, created, listed, closed, and resumed after a child restart. */
export class SessionService {
  private readonly byThread = new Map<string, string>();
  /** The app-server connection each session's thread is loaded on. */
  private readonly attachedTo = new Map<string, unknown>();
  /** Sessions being resumed on a new connection; a turn on one of them waits for it. */
  private readonly resuming = new Map<string, Promise<void>>();

  constructor(private readonly deps: SessionDeps) {}

  /** Index the sessions loaded from disk. */
  load(): void {
    for (const s of this.deps.store.listSessions()) if (s.threadId) this.byThread.set(s.threadId, s.sessionId);
  }

  sessionIdForThread(threadId: string): string | null {
    return this.byThread.get(threadId) ?? null;
  }

  get(sessionId: string): SessionRecord {
    const session = this.deps.store.getSession(sessionId);
    if (!session) throw notFound("session", sessionId);
    return session;
  }

  /** Newest first, optionally of one status. */
  list(query: { status?: SessionStatus; limit?: number; cursor?: string }) {
    const { status } = query;
    const keep = status === undefined ? undefined : (s: SessionRecord) => s.status === status;
    const { page, nextCursor } = this.deps.store.pageSessions(true, query.limit ?? 50, query.cursor, keep);
    return { sessions: page, nextCursor };
  }

  async create(body: CreateSessionBody): Promise<SessionRecord> {
    const { config, store } = this.deps;
    const threadParams = {
      cwd: body.cwd ?? config.server.childCwd,
      ...(body.model !== undefined ? { model: body.model } : {}),
      ...(body.approvalPolicy !== undefined ? { approvalPolicy: body.approvalPolicy } : {}),
      ...(body.sandbox !== undefined ? { sandbox: body.sandbox } : {}),
      ...(body.baseInstructions !== undefined ? { baseInstructions: body.baseInstructions } : {}),
      ...(body.developerInstructions !== undefined ? { developerInstructions: body.developerInstructions } : {}),
    };
    const connection = this.deps.child.connection;
    const result = await callCodex(this.deps.child, "thread/start", threadParams, ThreadStartResult);
    const at = now();
    const session: SessionRecord = {
      sessionId: randomUUID(),
      status: "idle",
      currentTurnId: null,
      createdAt: at,
      updatedAt: at,
      threadId: result.thread.id,
      cwd: threadParams.cwd,
      model: result.model ?? body.model ?? null,
      turnCount: 0,
      metadata: body.metadata ?? null,
      lastUsage: null,
      approvals: body.approvals ?? null,
      approvalPolicy: body.approvalPolicy ?? null,
      sandbox: body.sandbox ?? null,
      threadParams,
      closedAt: null,
    };
    this.byThread.set(result.thread.id, session.sessionId);
    this.attachedTo.set(session.sessionId, connection);
    const [saved] = await Promise.all([
      store.upsertSession(session),
      store.recordEvent({
        level: "info",
        type: "session.created",
        message: `session created on thread ${result.thread.id}`,
        sessionId: session.sessionId,
        detail: { threadId: result.thread.id, cwd: session.cwd, model: session.model },
      }),
    ]);
    return saved;
  }

  async update(sessionId: string, patch: Partial<SessionRecord>): Promise<SessionRecord> {
    const current = this.get(sessionId);
    return this.deps.store.upsertSession({ ...current, ...patch, updatedAt: now() });
  }

  /** Close a session; an active turn is interrupted first. Closing a closed session changes nothing. */
  async close(sessionId: string): Promise<{ changed: boolean; session: SessionRecord }> {
    const session = this.get(sessionId);
    if (session.status === "closed") return { changed: false, session };
    if (session.currentTurnId) await this.deps.interruptActiveTurn(session);
    const closed = await this.update(sessionId, { status: "closed", currentTurnId: null, closedAt: now() });
    await this.deps.store.recordEvent({ level: "info", type: "session.closed", message: "session closed", sessionId });
    return { changed: true, session: closed };
  }

  /** Resolves once the session's thread is loaded on the current connection. */
  whenAttached(sessionId: string): Promise<void> {
    return this.resuming.get(sessionId) ?? Promise.resolve();
  }

  /**
   * After the child (re)started, reattach every open session whose thread lived on another
   * connection with thread/resume, a few at a time. A thread that cannot be resumed (no rollout
   * until its first turn) is replaced by a new one. Sessions created on this connection are left.
   */
  async resumeAll(connection: unknown, parallel = 4): Promise<void> {
    const stale = this.deps.store
      .listSessions()
      .filter((s) => s.status !== "closed" && s.threadId && this.attachedTo.get(s.sessionId) !== connection);
    // Every stale session gets its gate now, before the first await, so no turn slips through.
    const gates = new Map<string, () => void>();
    for (const session of stale) {
      const gate = new Promise<void>((resolve) => gates.set(session.sessionId, resolve));
      this.resuming.set(session.sessionId, gate);
    }
    const queue = [...stale];
    const worker = async () => {
      for (let session = queue.shift(); session; session = queue.shift()) {
        const gate = this.resuming.get(session.sessionId);
        await this.reattach(session, connection).finally(() => gates.get(session.sessionId)!());
        if (this.resuming.get(session.sessionId) === gate) this.resuming.delete(session.sessionId);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, stale.length) }, worker));
  }

  private async reattach(session: SessionRecord, connection: unknown): Promise<void> {
    try {
      await callCodex(this.deps.child, "thread/resume", { threadId: session.threadId }, ThreadStartResult);
      await this.deps.store.recordEvent({ level: "info", type: "session.resumed", message: `thread ${session.threadId} resumed`, sessionId: session.sessionId });
    } catch (error) {
      await this.replaceThread(session, error);
    }
    this.attachedTo.set(session.sessionId, connection);
  }

  private async replaceThread(session: SessionRecord, cause: unknown): Promise<void> {
    const reason = cause instanceof Error ? cause.message : String(cause);
    try {
      const result = await callCodex(this.deps.child, "thread/start", session.threadParams ?? { cwd: session.cwd }, ThreadStartResult);
      if (session.threadId) this.byThread.delete(session.threadId);
      this.byThread.set(result.thread.id, session.sessionId);
      await Promise.all([
        this.update(session.sessionId, { threadId: result.thread.id }),
        this.deps.store.recordEvent({
          level: "warn",
          type: "session.thread_replaced",
          message: `thread ${session.threadId} could not be resumed; new thread ${result.thread.id}`,
          sessionId: session.sessionId,
          detail: { oldThreadId: session.threadId, newThreadId: result.thread.id, reason },
        }),
      ]);
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      this.deps.logger.error({ err: error, sessionId: session.sessionId }, "cannot resume or replace the thread");
      await this.update(session.sessionId, { status: "failed" });
      await this.deps.store.recordEvent({
        level: "error",
        type: "session.failed",
        message: `thread ${session.threadId} could not be resumed or replaced: ${error.message}`,
        sessionId: session.sessionId,
      });
    }
  }
}
