import type { Logger } from "pino";
import type { ResolvedConfig } from "../schemas/config.js";
import { ChildSupervisor } from "./child/supervisor.js";
import { EventFanout } from "./events/event-fanout.js";
import { StreamHub } from "./events/stream-hub.js";
import { RunService } from "./runs/run-service.js";
import { ApprovalService } from "./sessions/approval-service.js";
import { routeCodexTraffic } from "./sessions/codex-router.js";
import { SessionService } from "./sessions/session-service.js";
import { TurnService, childDownReason } from "./sessions/turn-service.js";
import { StateStore } from "./state/store.js";
import { RunWorkspaces } from "./workspaces/run-workspaces.js";

export interface DaemonOptions {
  /** Environment for the child; defaults to the daemon's own (so CODEX_HOME and credentials pass). */
  childEnv?: NodeJS.ProcessEnv;
  /**
   * Another daemon took the state directory over (this one was paused past the lock's stale
   * window): the store writes nothing more; the process should end without a graceful stop.
   */
  onStateDirLost?: (reason: string) => void;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean>;
  reasons: string[];
}

export type DaemonPhase = "new" | "starting" | "running" | "stopping" | "stopped";

/**
 * Composes the store and the services, and owns the order in which they start and stop.
 * Constructing one does no I/O, so the app can be built from it to generate the contract.
 */
export class Daemon {
  readonly store: StateStore;
  readonly child: ChildSupervisor;
  readonly sessions: SessionService;
  readonly turns: TurnService;
  readonly approvals: ApprovalService;
  readonly runs: RunService;
  readonly workspaces: RunWorkspaces;
  /** Open SSE streams, ended with a final event at shutdown. */
  readonly streams = new StreamHub();
  /** Live events for the open event streams, encoded once per flush. */
  readonly liveEvents: EventFanout;
  /** When start() finished, on the monotonic clock: uptime does not follow a wall clock set back or forward. */
  private startedAtMonoMs: number | null = null;
  private state: DaemonPhase = "new";

  constructor(
    readonly config: ResolvedConfig,
    readonly logger: Logger,
    options: DaemonOptions = {},
  ) {
    this.store = new StateStore(config, {
      onLockLost: (reason) => {
        logger.fatal({ reason, stateDir: config.paths.stateDir }, "state directory lock lost: another daemon owns it now");
        this.child.abandon();
        options.onStateDirLost?.(reason);
      },
      // Out of descriptors or an I/O error is no proof of another owner: keep the directory.
      onLockCheckFailed: (reason, error) => logger.warn({ reason, code: error?.code, stateDir: config.paths.stateDir }, "state directory lock check failed; keeping the lock and retrying"),
      onEventLogRotationFailed: (error, stuck) =>
        logger.warn(
          { err: error, code: error.code, file: config.paths.structuredEventLogPath },
          stuck
            ? "event log rotation failed; events are still written to the live file, and an append 1 s or more later tries again"
            : "event log rotated, but a step after moving the live file failed",
        ),
      onEventLogRotationRecovered: () => logger.info({ file: config.paths.structuredEventLogPath }, "event log rotates again"),
    });
    this.liveEvents = new EventFanout(this.store);
    this.child = new ChildSupervisor({
      config,
      store: this.store,
      logger: logger.child({ component: "child" }),
      clientInfo: { name: "codexd", title: "codexd", version: config.version },
      ...(options.childEnv ? { env: options.childEnv } : {}),
    });
    const deps = { config, store: this.store, child: this.child, logger };
    this.workspaces = new RunWorkspaces(deps);
    this.workspaces.follow();
    this.sessions = new SessionService({ ...deps, workspaces: this.workspaces, interruptActiveTurn: (s) => this.turns.interruptAndWait(s) });
    this.approvals = new ApprovalService({ ...deps, sessions: this.sessions, policyOverride: (s) => this.runs.approvalPolicyFor(s) });
    this.turns = new TurnService({ ...deps, sessions: this.sessions, waitingOnApproval: (t) => this.approvals.hasPendingForTurn(t) });
    this.runs = new RunService({ ...deps, sessions: this.sessions, turns: this.turns, approvals: this.approvals, workspaces: this.workspaces });
    routeCodexTraffic(this.child, this.store, this.turns, this.approvals, logger);
    this.followChildConnection();
  }

  /**
   * Losing the connection to the app-server ends the turns in flight and the approvals they
   * waited on. (A session's thread is resumed on a new connection when the session is next used.)
   */
  private followChildConnection(): void {
    let connected: unknown = null;
    this.child.onTransition((state) => {
      const connection = this.child.connection;
      if (state.status === "running" && connection && connection !== connected) {
        connected = connection;
      } else if (state.status !== "running" && connected) {
        connected = null;
        void this.turns.childDown(childDownReason(state)).catch((error: unknown) => this.logger.error({ err: error }, "cannot end turns"));
        this.approvals.expire(() => true, "child-exited");
      }
    });
  }

  /** Where the daemon is in its life: readiness and the status follow it. */
  get phase(): DaemonPhase {
    return this.state;
  }

  get uptimeMs(): number {
    return this.startedAtMonoMs === null ? 0 : Math.floor(performance.now() - this.startedAtMonoMs);
  }

  async start(): Promise<void> {
    this.state = "starting";
    await this.store.initialize();
    this.sessions.load();
    await this.turns.recoverAfterRestart();
    await this.runs.recoverAfterRestart();
    await this.workspaces.sweep();
    await this.store.markDaemonStarted();
    await this.store.recordEvent({
      level: "info",
      type: "daemon.started",
      message: `codexd ${this.config.version} started (pid ${process.pid})`,
      detail: { pid: process.pid, version: this.config.version, nodeId: this.config.nodeId, bootId: this.store.bootId },
    });
    this.startedAtMonoMs = performance.now();
    this.state = "running";
    await this.child.recover();
    this.turns.startWatchdog();
    this.runs.start();
    this.logger.info({ stateDir: this.config.paths.stateDir, bootId: this.store.bootId }, "daemon started");
  }

  /** Stop services, record daemon.stopped, flush. Safe to call more than once. */
  async stop(reason: string): Promise<void> {
    if (this.state !== "running") return;
    this.state = "stopping";
    await this.releaseClients();
    this.turns.stop();
    await this.child.shutdown();
    await this.store.recordEvent({ level: "info", type: "daemon.stopped", message: `codexd stopping: ${reason}`, detail: { reason } });
    await this.store.markDaemonStopped();
    await this.store.close();
    this.state = "stopped";
    this.logger.info({ reason }, "daemon stopped");
  }

  /**
   * The first step of shutdown, also taken before the HTTP server closes: end streams and answer
   * long-polls and waits now, so no open request holds the shutdown up. Safe to call twice.
   */
  async releaseClients(): Promise<void> {
    await this.streams.closeAll();
    await this.runs.stop();
    this.child.releaseWaiters();
  }

  readiness(): Readiness {
    const running = this.state === "running";
    // Before start the store holds nothing to ask the child about.
    const fault = this.store.storageFault;
    const checks = { store: running && !fault, child: running && this.child.ready, codexAccount: !this.child.account.signInMissing };
    const reasons = Object.entries(checks)
      .filter(([, ok]) => !ok)
      .map(([name]) => {
        if (name === "child" && running) return `child is ${this.child.state.status}`;
        if (name === "codexAccount") return "codex is not signed in";
        if (name === "store" && fault) return `store degraded: state directory ${fault.stateDir} cannot be written: ${fault.cause} (${fault.reason}) since ${fault.since}`;
        return `${name} not ready`;
      });
    return { ready: reasons.length === 0, checks, reasons };
  }
}
