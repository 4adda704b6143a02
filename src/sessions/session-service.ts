import { randomUUID } from "node:crypto";
import type { Static } from "@sinclair/typebox";
import type { Logger } from "pino";
import type { ResolvedConfig } from "../../schemas/config.js";
import type { CreateSessionBody, SessionRecord, SessionStatus } from "../../schemas/sessions.js";
import type { ChildSupervisor } from "../child/supervisor.js";
import { callCodex } from "../codex/codex-call.js";
import { ThreadStartResult } from "../codex/protocol.js";
import { ProblemError, notFound } from "../errors.js";
import type { StateStore } from "../state/store.js";
import type { RunWorkspaces } from "../workspaces/run-workspaces.js";

export interface SessionDeps {
  config: ResolvedConfig;
  store: StateStore;
  child: ChildSupervisor;
  logger: Logger;
  /** Interrupt the session's active turn and wait for it to end (provided by the turn service). */
  interruptActiveTurn: (session: SessionRecord) => Promise<void>;
  /** Sessions with a git workspace (src/workspaces). */
  workspaces: Pick<RunWorkspaces, "openForSession" | "discardSession" | "closeSession">;
}

const now = () => new Date().toISOString();
/** Problems that say the child cannot answer now, not that the thread is lost. */
const TRANSIENT = new Set(["CODEXD_CHILD_NOT_READY", "CODEXD_CHILD_TIMEOUT", "CODEXD_CODEX_OVERLOADED"]);

/**
 * Sessions: one Codex thread each, created, listed, closed, and resumed on a new app-server
 * connection when they are next used (not all at once after a restart).
 */
export class SessionService {
  private readonly byThread = new Map<string, string>();
  /** The app-server connection each session's thread is loaded on. */
  private readonly attachedTo = new Map<string, unknown>();
  /** Sessions being resumed on the current connection; a second turn on one waits for the same. */
  private readonly resuming = new Map<string, { connection: unknown; done: Promise<void> }>();

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
    const sessionId = randomUUID();
    const workspace = await this.deps.workspaces.openForSession(body, sessionId);
    // The workspace is the sandbox's writable root unless the request says otherwise.
    const sandbox = body.sandbox ?? (workspace ? "workspace-write" : undefined);
    const threadParams = {
      cwd: workspace?.path ?? body.cwd ?? config.server.childCwd,
      ...(body.model !== undefined ? { model: body.model } : {}),
      ...(body.approvalPolicy !== undefined ? { approvalPolicy: body.approvalPolicy } : {}),
      ...(sandbox !== undefined ? { sandbox } : {}),
      ...(body.baseInstructions !== undefined ? { baseInstructions: body.baseInstructions } : {}),
      ...(body.developerInstructions !== undefined ? { developerInstructions: body.developerInstructions } : {}),
    };
    const connection = this.deps.child.connection;
    let result: Static<typeof ThreadStartResult>;
    try {
      result = await callCodex(this.deps.child, "thread/start", threadParams, ThreadStartResult);
    } catch (error) {
      if (workspace) await this.deps.workspaces.discardSession(workspace).catch((e: unknown) => this.deps.logger.error({ err: e, path: workspace.path }, "cannot remove the worktree of a session that did not start"));
      throw error;
    }
    const at = now();
    const session: SessionRecord = {
      sessionId,
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
      sandbox: sandbox ?? null,
      threadParams,
      closedAt: null,
      ...(workspace ? { workspace } : {}),
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
      ...(workspace?.mode === "worktree"
        ? [store.recordEvent({ level: "info", type: "session.workspace_created", message: `worktree created on branch ${workspace.branch}`, sessionId, detail: { repo: workspace.repo, path: workspace.path, branch: workspace.branch, ref: workspace.ref, baseCommit: workspace.baseCommit } })]
        : []),
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
    const settled = await this.deps.workspaces.closeSession(this.get(sessionId));
    const closed = await this.update(sessionId, { ...settled, status: "closed", currentTurnId: null, closedAt: now() });
    await this.deps.store.recordEvent({ level: "info", type: "session.closed", message: "session closed", sessionId });
    return { changed: true, session: closed };
  }

  /**
   * Resolves once the session's thread is loaded on the current connection: a thread made on an
   * earlier connection (before a child restart) is resumed now, when the session is used. Without
   * a connection there is nothing to load it on; the request that follows says so.
   */
  whenAttached(sessionId: string): Promise<void> {
    const session = this.deps.store.getSession(sessionId);
    const connection = this.deps.child.connection;
    if (!session?.threadId || session.status === "closed" || session.status === "failed" || !connection) return Promise.resolve();
    if (this.attachedTo.get(sessionId) === connection) return Promise.resolve();
    const inFlight = this.resuming.get(sessionId);
    if (inFlight?.connection === connection) return inFlight.done;
    const done = this.reattach(session, connection).finally(() => {
      if (this.resuming.get(sessionId)?.done === done) this.resuming.delete(sessionId);
    });
    this.resuming.set(sessionId, { connection, done });
    return done;
  }

  /**
   * Load a thread made on another connection with thread/resume, without its history (codexd
   * needs none of it). A thread that cannot be resumed (no rollout until its first turn) is
   * replaced by a new one.
   */
  private async reattach(session: SessionRecord, connection: unknown): Promise<void> {
    try {
      await callCodex(this.deps.child, "thread/resume", { threadId: session.threadId, excludeTurns: true }, ThreadStartResult);
      await this.deps.store.recordEvent({ level: "info", type: "session.resumed", message: `thread ${session.threadId} resumed`, sessionId: session.sessionId });
    } catch (error) {
      // Only the app-server's refusal means the thread cannot be resumed; a child that is down or
      // does not answer says nothing about the thread, and the caller hears of it.
      if (!(error instanceof ProblemError) || error.code !== "CODEXD_CODEX_ERROR") throw error;
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
      if (!(error instanceof ProblemError) || TRANSIENT.has(error.code)) throw error;
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
