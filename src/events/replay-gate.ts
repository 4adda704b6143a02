/**
 * Lets a few stream replays build a page at a time, the rest waiting their turn in order. A
 * replay page is a read of the log and the encoding of its frames, all on the event loop; with
 * hundreds of streams replaying at once (readers reconnecting with an old cursor), their pages
 * would be built back to back and a health check would wait behind all of them. Taking turns
 * bounds what runs between two other requests to `width` pages.
 */
export class ReplayGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly width: number) {}

  async run<T>(build: () => Promise<T>): Promise<T> {
    if (this.running >= this.width) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await build();
    } finally {
      // Hand the slot straight to the next in line (running stays the same), or free it.
      const next = this.waiting.shift();
      if (next) setImmediate(next);
      else this.running--;
    }
  }

  /** Replays waiting for their turn. */
  get queued(): number {
    return this.waiting.length;
  }
}
