import type { Logger } from "pino";
import type { ChildState, ChildStatus, WAIT_CONDITION_VALUES } from "../../schemas/child.js";
import type { EventLevel } from "../../schemas/common.js";
import type { ResolvedConfig } from "../../schemas/config.js";
import type { IncomingNotification, IncomingServerRequest, JsonRpcConnection, ProtocolErrorInfo } from "../codex/jsonrpc-connection.js";
import { CodexAccount } from "../codex/account.js";
import { handshake, type ClientInfo } from "../codex/handshake.js";
import { conflict } from "../errors.js";
import type { StateStore } from "../state/store.js";
import { childEnvironment } from "./child-env.js";
import { AppServerProcess, SpawnError, type StopStep } from "./app-server-process.js";
import { ConnectError, ExternalLink } from "./external-link.js";
import { StartLimiter, backoffDelay } from "./backoff.js";
import { LivenessProbe } from "./liveness.js";
import { liveGroupMembers, processStartTicks, signalGroup, waitForGroupGone } from "./process-group.js";
import { ProtocolErrorThrottle } from "./protocol-error-throttle.js";

export type ChildCause =
  | "operator"
  | "ready"
  | "exit"
  | "crash"
  | "liveness"
  | "start-limit"
  | "spawn-failed"
  | "ready-timeout"
  | "stdout-closed"
  | "backoff"
  | "connect-failed"
  | "daemon";

/** A spawned child, or a connection to an app-server run by someone else (strategy external). */
type AppServerLink = AppServerProcess | ExternalLink;

export type WaitCondition = (typeof WAIT_CONDITION_VALUES)[number];

/** How long the account read may hold up readiness; the real CLI answers within milliseconds. */
const ACCOUNT_READ_AT_READY_MS = 2_000;

const FAILURE_CAUSES: ReadonlySet<ChildCause> = new Set(["crash", "liveness", "stdout-closed", "ready-timeout", "spawn-failed", "start-limit", "connect-failed"]);

const DOWN: ReadonlySet<ChildStatus> = new Set(["idle", "stopped", "exited", "fatal"]);

export function conditionHolds(condition: WaitCondition, status: ChildStatus): boolean {
  if (condition === "ready") return status === "running";
  if (condition === "down") return DOWN.has(status);
  return status === condition;
}

export interface ChildOutput {
  stream: "stderr" | "stdout";
  /** stderr: a chunk as read; stdout: one raw line, protocol or not. */
  text: string;
}

export interface VerbResult {
  changed: boolean;
  state: ChildState;
}

export interface SupervisorDeps {
  config: ResolvedConfig;
  store: StateStore;
  logger: Logger;
  clientInfo: ClientInfo;
  env?: NodeJS.ProcessEnv;
  random?: () => number;
}

/**
 * Keeps one `codex app-server` child in the desired state: spawns it in its own process group,
 * declares it running once the handshake is answered, restarts it on failure with backoff, trips
 * a breaker on crash loops, probes liveness, and stops it in three steps. Every transition is
 * persisted in daemon-state.json and recorded as a `child.state_changed` event.
 */
export class ChildSupervisor {
  private proc: AppServerLink | null = null;
  private liveness: LivenessProbe | null = null;
  private backoffTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  /** When the current child was spawned, on the monotonic clock: a wall clock stepped meanwhile changes no interval. */
  private spawnedAtMono = 0;
  private closed = false;
  private ops: Promise<unknown> = Promise.resolve();
  /** Processes we are ending on purpose, and why; their exit is not a crash to react to. */
  private readonly ending = new WeakMap<AppServerLink, ChildCause | "stop">();
  private readonly limiter: StartLimiter;
  private readonly stateListeners = new Set<(state: ChildState) => void>();
  private readonly transitionListeners = new Set<(state: ChildState) => void>();
  private readonly waitReleases = new Set<() => void>();
  /** Transitions applied in memory whose persistence is still in flight. */
  private persisting = 0;
  private readonly notificationListeners = new Set<(n: IncomingNotification) => void>();
  private readonly requestListeners = new Set<(r: IncomingServerRequest, c: JsonRpcConnection) => void>();
  private readonly protocolErrors: ProtocolErrorThrottle;
  private readonly outputListeners = new Set<(output: ChildOutput) => void>();
  /** Codex's sign-in state, read when the child is ready and on each account/updated. */
  readonly account: CodexAccount;

  constructor(private readonly deps: SupervisorDeps) {
    const c = deps.config.child;
    this.account = new CodexAccount({ store: deps.store, logger: deps.logger });
    this.limiter = new StartLimiter(c.startLimitBurst, c.startLimitWindowMs);
    this.protocolErrors = new ProtocolErrorThrottle(deps.store, deps.logger);
  }

  get state(): ChildState {
    return this.deps.store.getChildState();
  }

  get ready(): boolean {
    return this.state.status === "running" && this.proc !== null;
  }

  /** How long a request to the app-server waits for its answer (codex.requestTimeoutMs). */
  get requestTimeoutMs(): number {
    return this.deps.config.codex.requestTimeoutMs;
  }

  /** The live connection to the app-server, when it is running. */
  get connection(): JsonRpcConnection | null {
    return this.ready ? this.proc!.connection : null;
  }

  /**
   * Called synchronously at each transition, before it is durable: for reactions that must be in
   * place before anything else can use the new state (e.g. gating turns until threads resume).
   */
  onTransition(listener: (state: ChildState) => void): () => void {
    this.transitionListeners.add(listener);
    return () => this.transitionListeners.delete(listener);
  }

  /** Called after each transition is durable. */
  onStateChange(listener: (state: ChildState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }
  onNotification(listener: (n: IncomingNotification) => void): () => void {
    this.notificationListeners.add(listener);
    return () => this.notificationListeners.delete(listener);
  }
  /** The child's output as it arrives: stderr chunks and stdout lines (see ChildOutput). */
  onOutput(listener: (output: ChildOutput) => void): () => void {
    this.outputListeners.add(listener);
    return () => this.outputListeners.delete(listener);
  }
  onServerRequest(listener: (r: IncomingServerRequest, c: JsonRpcConnection) => void): () => void {
    this.requestListeners.add(listener);
    return () => this.requestListeners.delete(listener);
  }

  /** At daemon start: kill what a previous daemon left running, then reach the desired state. */
  recover(): Promise<void> {
    return this.serial(async () => {
      const previous = this.state.status;
      await this.killOrphans();
      if (previous === "starting" || previous === "running" || previous === "stopping" || previous === "backoff") {
        // The previous daemon died with its child up: say so, instead of carrying a stale status.
        await this.transition("exited", "daemon", { pid: null, pgid: null, lastError: "the previous daemon ended without stopping the child" });
      }
      const desired = this.state.desired ?? "running";
      if (desired === "running") await this.launch("daemon", { desired, restartCount: this.state.restartCount ?? 0 });
      else if (this.state.status !== "stopped") await this.transition("stopped", "daemon", { pid: null, pgid: null });
    });
  }

  start(): Promise<VerbResult> {
    return this.serial(async () => {
      const { status } = this.state;
      if (status === "running" || status === "starting") {
        await this.persistDesired("running");
        return { changed: false, state: this.state };
      }
      this.clearBackoff();
      // An explicit start begins a fresh crash-loop window (and clears a tripped breaker).
      this.attempt = 0;
      this.limiter.reset();
      await this.launch("operator", { desired: "running" });
      return { changed: true, state: this.state };
    });
  }

  /** `graceMs` overrides the timeouts of the EOF and SIGTERM steps. */
  stop(graceMs?: number): Promise<VerbResult> {
    return this.serial(async () => {
      const { status } = this.state;
      if (status === "backoff") {
        this.clearBackoff();
        await this.transition("stopped", "operator", { desired: "stopped", nextRestartAt: null });
        return { changed: true, state: this.state };
      }
      if (!this.proc) {
        await this.persistDesired("stopped");
        return { changed: false, state: this.state };
      }
      await this.endProcess("operator", { desired: "stopped" }, graceMs);
      return { changed: true, state: this.state };
    });
  }

  restart(): Promise<VerbResult> {
    return this.serial(async () => {
      this.clearBackoff();
      if (this.proc) await this.endProcess("operator", {});
      this.attempt = 0;
      this.limiter.reset();
      await this.launch("operator", { desired: "running" });
      return { changed: true, state: this.state };
    });
  }

  signal(signal: NodeJS.Signals): ChildState {
    if (this.proc instanceof ExternalLink) throw conflict("CODEXD_CHILD_EXTERNAL", "An external app-server is not a process of ours to signal", this.state.status);
    if (!this.proc) throw conflict("CODEXD_CHILD_NOT_RUNNING", "The child has no process to signal", this.state.status);
    this.proc.signal(signal);
    return this.state;
  }

  /**
   * Resolve when the condition holds (or, with `orStatuses`, when one of those is reached
   * instead), or with matched=false when the timeout passes.
   */
  waitFor(condition: WaitCondition, timeoutMs: number, orStatuses: readonly ChildStatus[] = []): Promise<{ matched: boolean; state: ChildState }> {
    const holds = (status: ChildStatus) => conditionHolds(condition, status) || orStatuses.includes(status);
    // A state still being persisted does not count yet: its onStateChange will follow.
    if (this.persisting === 0 && holds(this.state.status)) return Promise.resolve({ matched: true, state: this.state });
    return new Promise((resolve) => {
      const release = () => done(false);
      const done = (matched: boolean) => {
        clearTimeout(timer);
        unsubscribe();
        this.waitReleases.delete(release);
        resolve({ matched, state: this.state });
      };
      const timer = setTimeout(release, timeoutMs);
      const unsubscribe = this.onStateChange((s) => holds(s.status) && done(true));
      this.waitReleases.add(release);
    });
  }

  /** Answer every pending waitFor now (matched=false): shutdown must not wait on a long wait. */
  releaseWaiters(): void {
    for (const release of [...this.waitReleases]) release();
    this.waitReleases.clear();
  }

  /** Daemon shutdown: stop the process but keep `desired`, so the next daemon start resumes it. */
  shutdown(): Promise<void> {
    return this.serial(async () => {
      this.closed = true;
      this.clearBackoff();
      if (this.proc) await this.endProcess("daemon", {});
    });
  }

  /** Verbs and reactions run one at a time, in arrival order: a start after a stop waits for it. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.ops.then(op);
    this.ops = next.catch(() => {});
    return next;
  }

  private async launch(cause: ChildCause, patch: Partial<ChildState> = {}): Promise<void> {
    const { config, store } = this.deps;
    if (!this.limiter.tryStart(performance.now())) {
      const c = config.child;
      await this.transition("fatal", "start-limit", {
        ...patch,
        fatalReason: "start-limit-hit",
        lastError: `more than ${c.startLimitBurst} starts within ${c.startLimitWindowMs} ms`,
        nextRestartAt: null,
      });
      return;
    }
    let proc: AppServerLink;
    try {
      proc =
        config.server.childStrategy === "external"
          ? await ExternalLink.connect(config.server.endpoint ?? "", config.child.readyTimeoutMs)
          : await AppServerProcess.spawn(
              { command: config.server.childCommand, args: config.server.childArgs, cwd: config.server.childCwd, env: childEnvironment(this.deps.env ?? process.env, config.http.token) },
              {
                maxLineBytes: 16 * 1024 * 1024,
                appendLog: (stream, text) => store.appendChildOutput(stream, text),
                onStderr: (text) => {
                  this.outputListeners.forEach((l) => l({ stream: "stderr", text }));
                },
              },
            );
    } catch (error) {
      if (error instanceof ConnectError) {
        // The external server may be restarting: treat it like a crash and retry with backoff.
        await this.transition("exited", "connect-failed", { ...patch, lastError: error.message, pid: null, pgid: null });
        if (this.deps.config.child.restartPolicy !== "no" && !this.closed && (this.state.desired ?? "running") === "running") {
          await this.scheduleRestart("connect-failed");
        }
        return;
      }
      if (!(error instanceof SpawnError)) throw error;
      await this.transition("fatal", "spawn-failed", { ...patch, fatalReason: "spawn-failed", lastError: error.message, pid: null, pgid: null, nextRestartAt: null });
      return;
    }
    this.proc = proc;
    this.spawnedAtMono = performance.now();
    this.wire(proc);
    await this.transition(
      "starting",
      cause,
      {
        ...patch,
        pid: proc.pid,
        pgid: proc.pgid,
        startTicks: proc.startTicks,
        startedAt: new Date().toISOString(),
        exitedAt: null,
        exitCode: null,
        signal: null,
        readyAt: null,
        nextRestartAt: null,
        fatalReason: null,
        protocol: null,
      },
      { pid: proc.pid, strategy: config.server.childStrategy },
    );
    // A store that cannot write (disk full) makes the transition fail: logged, never unhandled.
    void this.awaitReady(proc).catch((error: unknown) => this.deps.logger.error({ err: error }, "cannot record the child's readiness"));
  }

  private wire(proc: AppServerLink): void {
    const conn = proc.connection;
    void proc.exited.then((exit) => this.serial(() => this.onExit(proc, exit.code, exit.signal)));
    conn.onProtocolError((info: ProtocolErrorInfo) => {
      this.protocolErrors.record(info);
      if (proc instanceof AppServerProcess) proc.logStdout(`${info.sample}\n`);
      else void this.deps.store.appendChildOutput("stdout", `${info.sample}\n`);
    });
    conn.onLateResponse((late) => this.deps.logger.warn({ rpcId: late.id, method: late.method }, "the child answered a request codexd had stopped waiting for"));
    // Raw stdout lines are only split out while someone follows them.
    conn.onRawLine((line) => {
      if (this.outputListeners.size > 0) this.outputListeners.forEach((l) => l({ stream: "stdout", text: line }));
    });
    conn.onNotification((n) => {
      if (n.method === "account/updated" && this.proc === proc) void this.account.refresh(conn, this.requestTimeoutMs);
      this.notificationListeners.forEach((l) => l(n));
    });
    conn.onServerRequest((request) => {
      // Nobody to ask: answer at once, or the turn that asked would stall.
      if (this.requestListeners.size === 0) conn.respondError(request.id, -32601, `codexd does not handle ${request.method}`);
      else this.requestListeners.forEach((l) => l(request, conn));
    });
    conn.onClose(() => {
      if (!proc.alive || this.ending.has(proc)) return;
      // stdout closed: normally the exit follows at once; if the process lives on, it is useless.
      setTimeout(() => {
        if (proc.alive && !this.ending.has(proc)) void this.serial(() => this.fail(proc, "stdout-closed", "stdout closed while the process was running"));
      }, 250).unref();
    });
  }

  private async awaitReady(proc: AppServerLink): Promise<void> {
    const { config, clientInfo } = this.deps;
    try {
      const protocol = await handshake(proc.connection, clientInfo, config.child.readyTimeoutMs);
      // The account is known when the child counts as ready (readiness depends on it); a child
      // that does not answer this quickly is ready all the same, with the account unknown.
      await this.account.refresh(proc.connection, Math.min(this.requestTimeoutMs, config.child.readyTimeoutMs, ACCOUNT_READ_AT_READY_MS));
      await this.serial(async () => {
        if (this.proc !== proc || this.state.status !== "starting") return;
        await this.transition("running", "ready", { readyAt: new Date().toISOString(), protocol, lastError: null }, { readyMs: Math.round(performance.now() - this.spawnedAtMono) });
        this.startLiveness(proc);
        this.account.retryWhileUnknown(proc.connection, this.requestTimeoutMs, () => this.proc === proc && !this.closed && !this.ending.has(proc));
      });
    } catch (error) {
      if (!proc.alive) return; // the exit handler reports it
      await this.serial(() => this.fail(proc, "ready-timeout", `no answer to initialize within ${config.child.readyTimeoutMs} ms: ${(error as Error).message}`));
    }
  }

  /** The liveness probe and any account read still to be retried belong to one process. */
  private stopProbes(): void {
    this.liveness?.stop();
    this.account.stopRetrying();
  }

  private startLiveness(proc: AppServerLink): void {
    const c = this.deps.config.child;
    this.liveness?.stop();
    this.liveness = new LivenessProbe(proc.connection, {
      intervalMs: c.livenessIntervalMs,
      timeoutMs: c.livenessTimeoutMs,
      failures: c.livenessFailures,
      onFailure: (n, error) =>
        void this.deps.store
          .recordEvent({ level: "warn", type: "child.liveness_failed", message: `liveness probe failed (${n} in a row)`, detail: { consecutive: n, error: error.message } })
          .catch(() => {}),
      onDead: () => void this.serial(() => this.fail(proc, "liveness", `no answer to ${c.livenessFailures} liveness probes in a row`)),
    });
    this.liveness.start();
  }

  /** The process is alive but useless: end it; its exit is then handled as a failure. */
  private async fail(proc: AppServerLink, cause: ChildCause, reason: string): Promise<void> {
    if (this.proc !== proc || this.ending.has(proc)) return;
    this.ending.set(proc, cause);
    this.deps.logger.warn({ cause, reason, childPid: proc.pid }, "child failed");
    await this.deps.store.updateChildState({ lastError: reason });
    // Not awaited: the exit it causes arrives through the normal exit handler.
    void proc.stop(this.stopTimeouts(), true);
  }

  /** Kill the child's process group at once, recording nothing (the daemon is leaving without a stop). */
  abandon(): void {
    this.stopProbes();
    this.proc?.killGroup();
  }

  private async onExit(proc: AppServerLink, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (this.proc !== proc) return; // already handled (operator stop, or a duplicate report)
    const failedAs = this.ending.get(proc);
    if (failedAs === "stop") return;
    this.proc = null;
    this.stopProbes();
    proc.killGroup();
    const crashed = failedAs !== undefined || code !== 0 || signal !== null;
    const cause: ChildCause = (failedAs as ChildCause | undefined) ?? (crashed ? "crash" : "exit");
    const at = new Date();
    if (performance.now() - this.spawnedAtMono >= this.deps.config.child.backoffResetAfterMs) this.attempt = 0;
    const lastError = failedAs ? this.state.lastError : crashed ? `exited with ${signal ?? `code ${code}`}` : this.state.lastError;
    await this.transition(
      "exited",
      cause,
      { pid: null, pgid: null, exitedAt: at.toISOString(), exitCode: code, signal, lastError, lastExit: { at: at.toISOString(), exitCode: code, signal, cause, stopStep: null } },
      { exitCode: code, signal },
    );
    const policy = this.deps.config.child.restartPolicy;
    const restart = policy === "always" || (policy === "on-failure" && crashed);
    if (restart && !this.closed && (this.state.desired ?? "running") === "running") await this.scheduleRestart(cause);
  }

  private async scheduleRestart(cause: ChildCause): Promise<void> {
    this.attempt++;
    const c = this.deps.config.child;
    const delay = backoffDelay(this.attempt, { initialMs: c.backoffInitialMs, maxMs: c.backoffMaxMs }, this.deps.random);
    const at = new Date(Date.now() + delay).toISOString();
    await this.transition("backoff", cause, { nextRestartAt: at, restartCount: (this.state.restartCount ?? 0) + 1 }, { delayMs: delay, attempt: this.attempt });
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = null;
      void this.serial(async () => {
        if (this.state.status === "backoff" && !this.closed) await this.launch("backoff");
      }).catch((error: unknown) => this.deps.logger.error({ err: error }, "restart failed"));
    }, delay);
  }

  /** Stop the current process on purpose and record which step ended it. */
  private async endProcess(cause: ChildCause, patch: Partial<ChildState>, graceMs?: number): Promise<StopStep> {
    const proc = this.proc!;
    this.ending.set(proc, "stop");
    this.stopProbes();
    await this.transition("stopping", cause, patch);
    const timeouts = this.stopTimeouts();
    if (graceMs !== undefined) timeouts.eofMs = timeouts.termMs = graceMs;
    const step = await proc.stop(timeouts);
    this.proc = null;
    const at = new Date().toISOString();
    const exit = proc.exit;
    await this.transition(
      "stopped",
      cause,
      {
        pid: null,
        pgid: null,
        exitedAt: at,
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        lastExit: { at, exitCode: exit?.code ?? null, signal: exit?.signal ?? null, cause, stopStep: step },
      },
      { stopStep: step },
    );
    return step;
  }

  /** A group recorded by a previous daemon that still has live members is ours: kill it. */
  private async killOrphans(): Promise<void> {
    const { pid, pgid, startTicks } = this.state;
    if (!pgid) return;
    const members = liveGroupMembers(pgid);
    if (members.length === 0) return;
    // A live leader must be the very process we started (same start time), not a recycled pid.
    // With the leader gone, the pgid cannot have been reused while members still hold it.
    if (pid && members.includes(pid) && startTicks != null && processStartTicks(pid) !== startTicks) return;
    signalGroup(pgid, "SIGKILL");
    const gone = await waitForGroupGone(pgid, this.deps.config.child.stopKillTimeoutMs);
    await this.deps.store.recordEvent({
      level: "warn",
      type: "child.orphan_killed",
      message: `killed ${members.length} process(es) left in group ${pgid} by a previous daemon`,
      detail: { pgid, pid: pid ?? null, members, gone },
    });
    await this.deps.store.updateChildState({ pid: null, pgid: null });
  }

  private async persistDesired(desired: "running" | "stopped"): Promise<void> {
    if (this.state.desired !== desired) await this.deps.store.updateChildState({ desired });
  }

  private clearBackoff(): void {
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = null;
  }

  private stopTimeouts() {
    const c = this.deps.config.child;
    return { eofMs: c.stopEofTimeoutMs, termMs: c.stopTermTimeoutMs, killMs: c.stopKillTimeoutMs };
  }

  private async transition(to: ChildStatus, cause: ChildCause, patch: Partial<ChildState> = {}, detail: Record<string, unknown> = {}): Promise<void> {
    const { store, logger } = this.deps;
    const from = this.state.status;
    const level: EventLevel = to === "fatal" ? "error" : FAILURE_CAUSES.has(cause) ? "warn" : "info";
    const updated = store.updateChildState({ ...patch, status: to });
    const recorded = store.recordEvent({ level, type: "child.state_changed", message: `child ${from} -> ${to} (${cause})`, detail: { from, to, cause, ...detail } });
    for (const listener of this.transitionListeners) listener(this.state);
    this.persisting++;
    try {
      await Promise.all([updated, recorded]);
    } finally {
      this.persisting--;
    }
    // `pid` is the daemon's own in every log line: the child's goes by another name.
    const { pid: childPid, ...rest } = detail as { pid?: unknown };
    logger.info({ from, to, cause, ...(childPid === undefined ? {} : { childPid }), ...rest }, "child state changed");
    for (const listener of this.stateListeners) listener(this.state);
  }
}
