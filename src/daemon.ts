import type { Logger } from "pino";
import type { ResolvedConfig } from "../schemas/config.js";
import { ChildSupervisor } from "./child/supervisor.js";
import { recordNotifications } from "./codex/notification-recorder.js";
import { StreamHub } from "./events/stream-hub.js";
import { StateStore } from "./state/store.js";

export interface DaemonOptions {
  /** Environment for the child; defaults to the daemon's own (so CODEX_HOME and credentials pass). */
  childEnv?: NodeJS.ProcessEnv;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean>;
  reasons: string[];
}

/**
 * Composes the store and the services, and owns the order in which they start and stop.
 * Constructing one does no I/O, so the app can be built from it to generate the contract.
 */
export class Daemon {
  readonly store: StateStore;
  readonly child: ChildSupervisor;
  /** Open SSE streams, ended with a final event at shutdown. */
  readonly streams = new StreamHub();
  private startedAtMs: number | null = null;
  private state: "new" | "starting" | "running" | "stopping" | "stopped" = "new";

  constructor(
    readonly config: ResolvedConfig,
    readonly logger: Logger,
    options: DaemonOptions = {},
  ) {
    this.store = new StateStore(config);
    this.child = new ChildSupervisor({
      config,
      store: this.store,
      logger: logger.child({ component: "child" }),
      clientInfo: { name: "codexd", title: "codexd", version: config.version },
      ...(options.childEnv ? { env: options.childEnv } : {}),
    });
    recordNotifications((l) => this.child.onNotification(l), this.store, logger);
  }

  get uptimeMs(): number {
    return this.startedAtMs === null ? 0 : Date.now() - this.startedAtMs;
  }

  async start(): Promise<void> {
    this.state = "starting";
    await this.store.initialize();
    await this.store.markDaemonStarted();
    await this.store.recordEvent({
      level: "info",
      type: "daemon.started",
      message: `codexd ${this.config.version} started (pid ${process.pid})`,
      detail: { pid: process.pid, version: this.config.version, nodeId: this.config.nodeId, bootId: this.store.bootId },
    });
    this.startedAtMs = Date.now();
    this.state = "running";
    await this.child.recover();
    this.logger.info({ stateDir: this.config.paths.stateDir, bootId: this.store.bootId }, "daemon started");
  }

  /** Stop services, record daemon.stopped, flush. Safe to call more than once. */
  async stop(reason: string): Promise<void> {
    if (this.state !== "running") return;
    this.state = "stopping";
    await this.streams.closeAll();
    await this.child.shutdown();
    await this.store.recordEvent({ level: "info", type: "daemon.stopped", message: `codexd stopping: ${reason}`, detail: { reason } });
    await this.store.markDaemonStopped();
    await this.store.close();
    this.state = "stopped";
    this.logger.info({ reason }, "daemon stopped");
  }

  readiness(): Readiness {
    const checks = { store: this.state === "running", child: this.child.ready };
    const reasons = Object.entries(checks)
      .filter(([, ok]) => !ok)
      .map(([name]) => (name === "child" ? `child is ${this.child.state.status}` : `${name} not ready`));
    return { ready: reasons.length === 0, checks, reasons };
  }
}
