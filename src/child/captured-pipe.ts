import type { Readable } from "node:stream";

/** Characters of a pipe's output waiting for the log before the pipe is paused. */
const HIGH_WATER_CHARS = 1024 * 1024;

/**
 * Hands what a child prints on one pipe to its log, and pauses reading that pipe while the log
 * is behind: a child printing in a tight loop then waits on its own pipe (as it would on a full
 * disk) instead of piling its output up in the daemon's memory.
 */
export class CapturedPipe {
  private backlog = 0;
  private paused = false;

  constructor(
    private readonly pipe: Readable,
    private readonly append: (text: string) => Promise<void>,
  ) {}

  capture(text: string): void {
    const chars = text.length;
    this.backlog += chars;
    void this.append(text).then(() => {
      this.backlog -= chars;
      if (this.paused && this.backlog <= HIGH_WATER_CHARS / 4) {
        this.paused = false;
        this.pipe.resume();
      }
    });
    if (!this.paused && this.backlog > HIGH_WATER_CHARS) {
      this.paused = true;
      this.pipe.pause();
    }
  }
}
