import { spawn, type ChildProcess } from "node:child_process";
import { JsonRpcConnection } from "../codex/jsonrpc-connection.js";
import { CapturedPipe } from "./captured-pipe.js";
import { processStartTicks, signalGroup, waitForGroupGone } from "./process-group.js";

export interface SpawnSpec {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Appends to the child's stdout/stderr log; resolves once written. */
export type OutputLogAppender = (stream: "stdout" | "stderr", text: string) => Promise<void>;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type StopStep = "eof" | "sigterm" | "sigkill";

export interface StopTimeouts {
  eofMs: number;
  termMs: number;
  killMs: number;
}

export class SpawnError extends Error {
  constructor(
    readonly errno: string,
    message: string,
  ) {
    super(message);
  }
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), ms);
    void promise.then((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });

/**
 * One running `codex app-server` process: its own process group, its JSON-RPC connection over
 * stdio, stderr handed to a sink, and the three-step stop. The supervisor decides policy.
 */
export class AppServerProcess {
  readonly connection: JsonRpcConnection;
  readonly exited: Promise<ExitInfo>;
  readonly startTicks: number | null;
  private exitInfo: ExitInfo | null = null;
  private readonly stdoutLog: CapturedPipe;

  private constructor(
    private readonly proc: ChildProcess,
    readonly pid: number,
    maxLineBytes: number,
    onStderr: (text: string) => void,
    appendLog: OutputLogAppender,
  ) {
    this.startTicks = processStartTicks(pid);
    this.exited = new Promise((resolve) => {
      proc.once("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    this.connection = new JsonRpcConnection({ input: proc.stdout!, output: proc.stdin!, maxLineBytes });
    this.stdoutLog = new CapturedPipe(proc.stdout!, (text) => appendLog("stdout", text));
    const stderrLog = new CapturedPipe(proc.stderr!, (text) => appendLog("stderr", text));
    proc.stderr!.setEncoding("utf8");
    proc.stderr!.on("data", (text: string) => {
      stderrLog.capture(text);
      onStderr(text);
    });
    // Errors after spawn (a failed kill of an already-dead pid) must not crash the daemon.
    proc.on("error", () => {});
  }

  /** Write to the stdout log (what the child printed that is not protocol); reading waits while the log is behind. */
  logStdout(text: string): void {
    this.stdoutLog.capture(text);
  }

  /** The group id: the child leads its own group (spawned detached). */
  get pgid(): number {
    return this.pid;
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  get exit(): ExitInfo | null {
    return this.exitInfo;
  }

  static spawn(spec: SpawnSpec, options: { maxLineBytes: number; onStderr: (text: string) => void; appendLog: OutputLogAppender }): Promise<AppServerProcess> {
    return new Promise((resolve, reject) => {
      let proc: ChildProcess;
      try {
        proc = spawn(spec.command, [...spec.args], {
          cwd: spec.cwd,
          env: spec.env,
          detached: true, // own process group, so stop and orphan clean-up reach grandchildren too
          stdio: ["pipe", "pipe", "pipe"],
        });
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        reject(new SpawnError(e.code ?? "EINVAL", `cannot spawn ${spec.command}: ${e.message}`));
        return;
      }
      proc.once("error", (error: NodeJS.ErrnoException) => {
        const reason =
          error.code === "ENOENT"
            ? `command not found: ${spec.command}`
            : error.code === "EACCES"
              ? `command not executable: ${spec.command}`
              : error.message;
        reject(new SpawnError(error.code ?? "EUNKNOWN", reason));
      });
      proc.once("spawn", () => resolve(new AppServerProcess(proc, proc.pid!, options.maxLineBytes, options.onStderr, options.appendLog)));
    });
  }

  /**
   * Stop in three steps, each with its own timeout: close stdin (the app-server exits on EOF),
   * SIGTERM the group, SIGKILL the group. Whatever is left of the group after the leader is
   * gone is killed too. Returns the step that ended the leader.
   */
  async stop(timeouts: StopTimeouts, skipEof = false): Promise<StopStep> {
    let step: StopStep = "eof";
    if (this.alive && !skipEof) {
      this.connection.close("stopping", { endOutput: true });
      if ((await withTimeout(this.exited, timeouts.eofMs)) === "timeout") step = "sigterm";
    } else if (this.alive) {
      step = "sigterm";
    }
    if (this.alive && step === "sigterm") {
      signalGroup(this.pgid, "SIGTERM");
      if ((await withTimeout(this.exited, timeouts.termMs)) === "timeout") step = "sigkill";
    }
    if (this.alive && step === "sigkill") {
      signalGroup(this.pgid, "SIGKILL");
      await withTimeout(this.exited, timeouts.killMs);
    }
    this.connection.close("stopped");
    this.killGroup();
    await waitForGroupGone(this.pgid, timeouts.killMs);
    return step;
  }

  /** SIGKILL whatever is still in the group. */
  killGroup(): void {
    signalGroup(this.pgid, "SIGKILL");
  }

  signal(signal: NodeJS.Signals): void {
    this.proc.kill(signal);
  }
}
