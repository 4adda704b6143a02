/**
 * Shown on stderr while waiting on a run or turn: on a terminal a spinner with the elapsed time
 * and the current status; otherwise a plain status line, at most one every `intervalMs`.
 */
import { formatDuration, truncate, type Writable } from "./output.js";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export interface ProgressOptions {
  /** Pause between plain status lines when stderr is not a terminal (default 5 s). */
  intervalMs?: number;
}

export class Progress {
  private status = "";
  private frame = 0;
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private readonly tty: boolean;
  private readonly onSigint = () => {
    this.stop();
    process.exit(130);
  };

  constructor(
    private readonly err: Writable,
    private readonly label: string,
    options: ProgressOptions = {},
  ) {
    this.tty = err.isTTY === true;
    this.timer = setInterval(() => this.tick(), this.tty ? 100 : (options.intervalMs ?? 5_000));
    this.timer.unref();
    if (this.tty) process.once("SIGINT", this.onSigint);
  }

  update(status: string): void {
    this.status = status;
  }

  stop(): void {
    clearInterval(this.timer);
    process.removeListener("SIGINT", this.onSigint);
    if (this.tty) this.err.write("\r\u001b[K");
  }

  private text(): string {
    return `${this.label}: ${this.status || "waiting"} (${formatDuration(performance.now() - this.started)})`;
  }

  private tick(): void {
    if (!this.tty) return void this.err.write(`${this.text()}\n`);
    this.frame = (this.frame + 1) % FRAMES.length;
    const line = `${FRAMES[this.frame]} ${this.text()}`;
    this.err.write(`\r\u001b[K${this.err.columns ? truncate(line, this.err.columns - 1) : line}`);
  }
}

/** Run `work` with a progress indicator that it can update; always cleared afterwards. */
export async function withProgress<T>(err: Writable, label: string, work: (progress: Progress) => Promise<T>): Promise<T> {
  const progress = new Progress(err, label);
  try {
    return await work(progress);
  } finally {
    progress.stop();
  }
}
