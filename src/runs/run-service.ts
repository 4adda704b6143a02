import { createHash, randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { ResolvedConfig } from "../../schemas/config.js";
import { TERMINAL_RUN_STATUSES, type CreateRunBody, type RunRecord, type RunStatus } from "../../schemas/runs.js";
import type { TurnRecord } from "../../schemas/turns.js";

type RunError = NonNullable<RunRecord["error"]>;

/** The run's error is its turn's: the code, the message and what Codex said (no free-form detail). */
function runErrorOf(error: NonNullable<TurnRecord["error"]>): RunError {
  const { code, message, codexErrorInfo, httpStatus, additionalDetails } = error;
  return {
    code,
    message,
    ...(codexErrorInfo !== undefined ? { codexErrorInfo } : {}),
    ...(httpStatus !== undefined ? { httpStatus } : {}),
    ...(additionalDetails !== undefined ? { additionalDetails } : {}),
  };
}
import type { ChildSupervisor } from "../child/supervisor.js";
import { ProblemError, notFound } from "../errors.js";
import type { ApprovalService } from "../sessions/approval-service.js";
import type { SessionService } from "../sessions/session-service.js";
import type { TurnService } from "../sessions/turn-service.js";
import type { StateStore } from "../state/store.js";
import { turnArtifacts } from "../workspaces/artifacts.js";
import type { RunWorkspaces } from "../workspaces/run-workspaces.js";

export interface RunDeps {
  config: ResolvedConfig;
  store: StateStore;
  child: ChildSupervisor;
  logger: Logger;
  sessions: SessionService;
  turns: TurnService;
  approvals: ApprovalService;
  workspaces: RunWorkspaces;
}

const now = () => new Date().toISOString();

interface Execution {
  cancel: boolean;
  sessionId: string | null;
  approvalPolicy: string | null;
  /** The run made its session itself, and closes it when it ends. */
  ownSession: boolean;
  /**
   * performance.now() when it started in this process: its time limit and its duration run on
   * the monotonic clock, so a wall clock stepped during the run moves neither.
   */
  startedAtMono?: number;
}

/** The event type and level of each way a run can end. */
const END_EVENT: Record<string, { type: string; level: "info" | "warn" }> = {
  completed: { type: "run.completed", level: "info" },
  failed: { type: "run.failed", level: "warn" },
  cancelled: { type: "run.cancelled", level: "info" },
  timed_out: { type: "run.timed_out", level: "warn" },
  interrupted: { type: "run.interrupted", level: "warn" },
};

/** The same body in any key order hashes the same. */
function hashBody(body: CreateRunBody): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, canonical(x)])) : v;
  return createHash("sha256").update(JSON.stringify(canonical(body))).digest("hex");
}

/**
 * Runs: an orchestrator's unit of work. Queued durably, executed as one turn each under a global
 * concurrency limit and one turn at a time per session, awaited by long-poll, cancelled, timed
 * out, and recovered after a daemon restart. A prompt is never replayed automatically.
 */
export class RunService {
  private readonly executing = new Map<string, Execution>();
  private readonly waiters = new Map<string, Set<(run: RunRecord) => void>>();
  private readonly creating = new Map<string, Promise<RunRecord>>();
  private scheduling = false;
  private rescheduleRequested = false;
  private closed = false;

  constructor(private readonly deps: RunDeps) {}

  /** Runs left running by a previous daemon end `interrupted`; queued ones will start in order. */
  async recoverAfterRestart(): Promise<void> {
    for (const run of this.deps.store.listRuns()) {
      if (run.status === "running") {
        await this.finish(run, "interrupted", { code: "CODEXD_DAEMON_RESTARTED", message: "the daemon restarted while the run was running" });
      }
    }
  }

  /** Schedule again when the child becomes ready (queued runs wait for it) and when a turn ends. */
  start(): void {
    this.deps.child.onStateChange((state) => state.status === "running" && this.schedule());
    this.deps.turns.onTurnEnded(() => this.schedule());
    this.deps.store.onStorageChange((fault) => fault === null && void this.afterStorageRecovered());
    this.schedule();
  }

  /**
   * The state dir is writable again: a run whose end could not be recorded while it was not is
   * ended now (its turn is over and its result is gone), and queued runs go on.
   */
  private async afterStorageRecovered(): Promise<void> {
    for (const run of this.deps.store.listRuns()) {
      if (run.status !== "running" || this.executing.has(run.runId)) continue;
      await this.finish(run, "interrupted", { code: "CODEXD_STORAGE_UNAVAILABLE", message: "the run's end could not be recorded while the state directory could not be written" }).catch(() => undefined);
    }
    this.schedule();
  }

  /** Daemon shutdown: start nothing new, and answer every long-poll now with the current state. */
  async stop(): Promise<void> {
    this.closed = true;
    for (const [runId, set] of this.waiters) {
      const latest = await this.deps.store.getRun(runId);
      if (latest) for (const waiter of [...set]) waiter(latest);
    }
  }

  /** The approval policy of the run executing on a session, which wins over the session's own. */
  approvalPolicyFor(sessionId: string): "manual" | "accept" | "decline" | null {
    for (const e of this.executing.values()) if (e.sessionId === sessionId && e.approvalPolicy) return e.approvalPolicy as "manual" | "accept" | "decline";
    return null;
  }

  /** Create (or, with a known Idempotency-Key, find) a run. `replayed` when it already existed. */
  async create(body: CreateRunBody, idempotencyKey?: string): Promise<{ run: RunRecord; replayed: boolean }> {
    if (body.sessionId !== undefined) {
      const session = this.deps.sessions.get(body.sessionId);
      if (session.status === "closed") throw new ProblemError(409, "CODEXD_SESSION_CLOSED", "The session is closed", undefined, { currentState: "closed" });
    }
    const requestHash = hashBody(body);
    if (idempotencyKey !== undefined) {
      // Two concurrent POSTs with one key: the second waits for the first and gets its run.
      const pending = this.creating.get(idempotencyKey);
      const existing = pending ? await pending : await this.deps.store.runForIdempotencyKey(idempotencyKey);
      if (existing) {
        if (existing.requestHash !== requestHash) {
          throw new ProblemError(409, "CODEXD_IDEMPOTENCY_KEY_REUSED", "Idempotency-Key reused with another body", `Run ${existing.runId} was created with this key and a different body`, { runId: existing.runId });
        }
        return { run: (await this.deps.store.getRun(existing.runId)) ?? existing, replayed: true };
      }
    }
    this.ensureQueueRoom();
    const creation = this.enqueue(body, requestHash, idempotencyKey);
    if (idempotencyKey !== undefined) this.creating.set(idempotencyKey, creation);
    try {
      return { run: await creation, replayed: false };
    } finally {
      if (idempotencyKey !== undefined) this.creating.delete(idempotencyKey);
    }
  }

  async get(runId: string, waitMs = 0): Promise<RunRecord> {
    const run = await this.deps.store.getRun(runId);
    if (!run) throw notFound("run", runId);
    if (waitMs <= 0 || TERMINAL_RUN_STATUSES.has(run.status)) return run;
    return new Promise((resolve) => {
      const set = this.waiters.get(runId) ?? new Set();
      this.waiters.set(runId, set);
      const done = (latest: RunRecord) => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(runId);
        resolve(latest);
      };
      const timer = setTimeout(() => void this.deps.store.getRun(runId).then((latest) => done(latest ?? run)), waitMs);
      set.add(done);
    });
  }

  /** Newest first; archived runs are found by id only. */
  list(query: { status?: RunStatus; sessionId?: string; limit?: number; cursor?: string }) {
    const { status, sessionId } = query;
    const keep = status === undefined && sessionId === undefined ? undefined : (r: RunRecord) => (status === undefined || r.status === status) && (sessionId === undefined || r.sessionId === sessionId);
    const { page, nextCursor } = this.deps.store.pageRuns(true, query.limit ?? 50, query.cursor, keep);
    return { runs: page, nextCursor };
  }

  /** Dequeue a queued run, interrupt a running one; a finished run is left as it is. */
  async cancel(runId: string): Promise<{ changed: boolean; run: RunRecord }> {
    const run = await this.deps.store.getRun(runId);
    if (!run) throw notFound("run", runId);
    if (TERMINAL_RUN_STATUSES.has(run.status)) return { changed: false, run };
    if (run.status === "queued") return { changed: true, run: await this.finish(run, "cancelled", null) };
    const exec = this.executing.get(runId);
    if (exec) {
      exec.cancel = true;
      if (run.sessionId && run.turnId) await this.interruptTurn(run);
    }
    const ended = await this.get(runId, 10_000);
    return { changed: true, run: ended };
  }

  /** Runs being queued right now count too, so concurrent POSTs cannot overshoot the limit. */
  private enqueuing = 0;

  /** Refuse a new run while runs.maxQueued wait already: 429 with Retry-After, nothing recorded. */
  private ensureQueueRoom(): void {
    const max = this.deps.config.runs.maxQueued;
    let queued = this.enqueuing;
    for (const run of this.deps.store.listRuns()) if (run.status === "queued" && ++queued >= max) break;
    if (queued >= max) {
      throw new ProblemError(429, "CODEXD_QUEUE_FULL", "Run queue full", `${max} runs are waiting already (runs.maxQueued); retry later`, { maxQueued: max }, { "retry-after": "5" });
    }
  }

  private async enqueue(body: CreateRunBody, requestHash: string, idempotencyKey: string | undefined): Promise<RunRecord> {
    const runId = randomUUID();
    const workspace = await this.deps.workspaces.plan(body, runId);
    const at = now();
    const run: RunRecord = {
      runId,
      status: "queued",
      createdAt: at,
      updatedAt: at,
      prompt: body.prompt,
      sessionId: body.sessionId ?? null,
      threadId: null,
      turnId: null,
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      finalMessage: null,
      usage: null,
      error: null,
      attempt: 0,
      metadata: body.metadata ?? null,
      cwd: body.cwd ?? null,
      model: body.model ?? null,
      approvalPolicy: body.approvalPolicy ?? null,
      timeoutMs: body.timeoutMs ?? this.deps.config.runs.defaultTimeoutMs,
      idempotencyKey: idempotencyKey ?? null,
      requestHash,
      approvals: [],
      workspace,
      outputSchema: body.outputSchema ?? null,
    };
    this.enqueuing++;
    let saved: RunRecord;
    try {
      [saved] = await Promise.all([
        this.deps.store.upsertRun(run),
        this.event(run, "info", "run.queued", "run queued", { idempotencyKey: idempotencyKey ?? null }),
      ]);
    } finally {
      this.enqueuing--;
    }
    this.schedule();
    return saved;
  }

  /** Start queued runs in creation order while there is room and their session is free. */
  private schedule(): void {
    if (this.scheduling) {
      this.rescheduleRequested = true;
      return;
    }
    this.scheduling = true;
    try {
      do {
        this.rescheduleRequested = false;
        if (this.closed || !this.deps.child.ready) return;
        const busy = new Set<string>();
        for (const e of this.executing.values()) if (e.sessionId) busy.add(e.sessionId);
        for (const run of this.deps.store.listRuns()) {
          if (this.executing.size >= this.deps.config.runs.concurrency) break;
          if (run.status !== "queued" || this.executing.has(run.runId)) continue;
          // A run whose creation is not durable yet may still be taken back: never start it early.
          if (!this.deps.store.isDurable("runs", run.runId)) continue;
          if (run.sessionId) {
            // Later runs on a session wait behind earlier ones, and behind a turn started elsewhere.
            const session = this.deps.store.getSession(run.sessionId);
            if (busy.has(run.sessionId) || session?.currentTurnId) {
              busy.add(run.sessionId);
              continue;
            }
            busy.add(run.sessionId);
          }
          this.executing.set(run.runId, { cancel: false, sessionId: run.sessionId ?? null, approvalPolicy: run.approvalPolicy ?? null, ownSession: false });
          void this.execute(run).catch((error: unknown) => this.deps.logger.error({ err: error, runId: run.runId }, "run execution failed"));
        }
      } while (this.rescheduleRequested);
    } finally {
      this.scheduling = false;
    }
  }

  private async execute(queued: RunRecord): Promise<void> {
    const { store, sessions, turns } = this.deps;
    const exec = this.executing.get(queued.runId)!;
    const startedAt = now();
    const startedAtMono = (exec.startedAtMono = performance.now());
    let run: RunRecord;
    try {
      [run] = await Promise.all([
        store.upsertRun({ ...queued, status: "running", startedAt, updatedAt: startedAt, attempt: (queued.attempt ?? 0) + 1 }),
        this.event(queued, "info", "run.started", "run started"),
      ]);
    } catch (error) {
      // Not durable, so taken back: the run is still queued and starts once the store can write.
      this.executing.delete(queued.runId);
      throw error;
    }
    try {
      run = await this.deps.workspaces.prepare(run);
      if (!run.sessionId) {
        const cwd = run.workspace?.path ?? run.cwd;
        const session = await sessions.create({
          ...(cwd ? { cwd } : {}),
          // The workspace is the sandbox's writable root.
          ...(run.workspace ? { sandbox: "workspace-write" as const } : {}),
          ...(run.model ? { model: run.model } : {}),
          ...(run.approvalPolicy ? { approvals: run.approvalPolicy as "manual" | "accept" | "decline" } : {}),
          metadata: { runId: run.runId },
        });
        exec.sessionId = session.sessionId;
        exec.ownSession = true;
        run = await store.upsertRun({ ...run, sessionId: session.sessionId, threadId: session.threadId ?? null, updatedAt: now() });
      }
      if (exec.cancel) return void (await this.finish(run, "cancelled", null));
      const accepted = await turns.start(run.sessionId!, { input: run.prompt ?? "", ...(run.model ? { model: run.model } : {}), ...(run.outputSchema ? { outputSchema: run.outputSchema } : {}) });
      run = await store.upsertRun({ ...run, threadId: sessions.get(run.sessionId!).threadId ?? null, turnId: accepted.turnId, updatedAt: now() });
      // A cancel that arrived while turn/start was in flight could not interrupt yet: do it now.
      if (exec.cancel) await this.interruptTurn(run);
      const remaining = Math.max(0, (run.timeoutMs ?? this.deps.config.runs.defaultTimeoutMs) - (performance.now() - startedAtMono));
      let turn = await turns.waitForEnd(accepted.turnId, remaining);
      let timedOut = false;
      if (!turn) {
        timedOut = true;
        await this.interruptTurn(run);
        turn = await turns.waitForEnd(accepted.turnId, 10_000);
      }
      await this.conclude(run, turn, exec.cancel, timedOut);
    } catch (error) {
      const problem = error instanceof ProblemError ? error : null;
      await this.finish(run, exec.cancel ? "cancelled" : "failed", { code: problem?.code ?? "CODEXD_INTERNAL", message: (error as Error).message });
    } finally {
      this.executing.delete(queued.runId);
      if (exec.ownSession) await this.closeOldRunSessions().catch(() => undefined);
      this.schedule();
    }
  }

  /** Map how the turn ended (and why) to how the run ends. */
  private async conclude(run: RunRecord, turn: TurnRecord | null, cancelled: boolean, timedOut: boolean): Promise<void> {
    const latest = (await this.deps.store.getRun(run.runId)) ?? run;
    const artifacts = turnArtifacts(latest.outputSchema, turn);
    const withTurn: RunRecord = {
      ...latest,
      ...artifacts.fields,
      finalMessage: turn?.finalMessage ?? null,
      // The turn's final message may have been cut already (limits.registryTextBytes): say so on the run too.
      ...(turn?.finalMessageTruncated ? { finalMessageTruncated: true, finalMessageBytes: turn.finalMessageBytes } : {}),
      usage: turn?.usage ?? null,
      approvals: turn ? this.approvalsOf(turn.turnId) : [],
    };
    if (timedOut) return void (await this.finish(withTurn, "timed_out", { code: "CODEXD_RUN_TIMEOUT", message: `no result within ${run.timeoutMs} ms` }));
    if (cancelled) return void (await this.finish(withTurn, "cancelled", null));
    if (!turn) return void (await this.finish(withTurn, "failed", { code: "CODEXD_TURN_LOST", message: "the turn did not end" }));
    if (turn.status === "completed") return void (await this.finish(withTurn, artifacts.outputError ? "failed" : "completed", artifacts.outputError));
    if (turn.error?.code === "CODEXD_CHILD_EXITED") {
      // Stopping the daemon stops the child too: that is an interruption, not a failure of the run.
      if (this.closed) return void (await this.finish(withTurn, "interrupted", { code: "CODEXD_DAEMON_STOPPED", message: "the daemon stopped while the run was running" }));
      return void (await this.finish(withTurn, "failed", runErrorOf(turn.error)));
    }
    if (turn.status === "interrupted") {
      const deny = withTurn.approvals?.find((a) => a.decision === "cancel");
      return void (await this.finish(withTurn, "interrupted", { code: deny ? "CODEXD_APPROVAL_DENIED" : "CODEXD_TURN_INTERRUPTED", message: deny ? "an approval was denied with cancel, which ends the turn" : "the turn was interrupted" }));
    }
    await this.finish(withTurn, "failed", turn.error ? runErrorOf(turn.error) : { code: "CODEXD_TURN_FAILED", message: "the turn failed" });
  }

  /**
   * Sessions made by runs stay open so a later run can continue on them, but only the newest
   * `sessions.retention` of them: older idle ones are closed (and then pruned from the registry),
   * so an orchestrator's thousands of runs do not grow session-registry.json without bound.
   */
  private async closeOldRunSessions(): Promise<void> {
    const idle = this.deps.store.listSessions().filter((s) => s.status === "idle" && typeof s.metadata?.runId === "string" && !s.currentTurnId);
    const excess = idle.length - this.deps.config.sessions.retention;
    if (excess <= 0) return;
    idle.sort((a, b) => (a.updatedAt < b.updatedAt ? -1 : 1));
    for (const session of idle.slice(0, excess)) await this.deps.sessions.close(session.sessionId);
  }

  private approvalsOf(turnId: string): NonNullable<RunRecord["approvals"]> {
    return this.deps.approvals
      .list({ limit: 500 })
      .approvals.filter((a) => a.turnId === turnId)
      .map((a) => ({ approvalId: a.approvalId, kind: a.kind, status: a.status, decision: a.decision, decidedBy: a.decidedBy }));
  }

  private async interruptTurn(run: RunRecord): Promise<void> {
    await this.deps.turns.interrupt(run.sessionId!).catch(() => undefined);
  }

  private async finish(run: RunRecord, status: RunStatus, error: RunError | null): Promise<RunRecord> {
    ({ run, status, error } = await this.deps.workspaces.settle(run, status, error));
    const at = now();
    const startedAtMono = this.executing.get(run.runId)?.startedAtMono;
    // From the recorded start when the run started in another process (before a restart).
    const durationMs = startedAtMono !== undefined ? Math.round(performance.now() - startedAtMono) : run.startedAt ? Math.max(0, Date.now() - Date.parse(run.startedAt)) : null;
    const ended: RunRecord = { ...run, status, error, finishedAt: at, updatedAt: at, durationMs };
    const { type, level } = END_EVENT[status]!;
    const [saved] = await Promise.all([
      this.deps.store.upsertRun(ended),
      this.event(ended, level, type, `run ${status}${error ? `: ${error.code}` : ""}`, { status, error, durationMs }),
    ]);
    for (const waiter of this.waiters.get(run.runId) ?? []) waiter(saved);
    return saved;
  }

  private event(run: RunRecord, level: "info" | "warn", type: string, message: string, detail: Record<string, unknown> = {}) {
    return this.deps.store.recordEvent({ level, type, message, runId: run.runId, ...(run.sessionId ? { sessionId: run.sessionId } : {}), detail });
  }
}
