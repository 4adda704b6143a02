interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: any number of callers wait on one durable flush. A flush takes everything
 * queued before it starts; callers arriving while it runs are served by the next one, so under
 * load the number of flushes (and fsyncs) grows much slower than the number of mutations.
 */
export class GroupCommit {
  private waiters: Waiter[] = [];
  private running: Promise<void> | null = null;
  /** The flush in progress itself (rejects when it fails; `running` never does). */
  private flushing: Promise<void> | null = null;
  private scheduled = false;
  flushes = 0;

  /** `flush` must capture its pending work synchronously, before its first await. */
  constructor(private readonly flush: () => Promise<void>) {}

  /** Resolves after a flush that began after this call has completed. */
  commit(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  /**
   * Resolves when everything queued before this call is durable: at once when nothing is, else
   * with the flush that takes it. Rejects when that flush fails.
   */
  settled(): Promise<void> {
    if (this.waiters.length > 0 || this.scheduled) return this.commit();
    return this.flushing ?? Promise.resolve();
  }

  /**
   * Reject everyone waiting for the next flush: their changes were built on a flush that failed
   * and have been taken back, so no later flush will carry them.
   */
  rejectQueued(error: unknown): void {
    const queued = this.waiters;
    this.waiters = [];
    for (const w of queued) w.reject(error);
  }

  /** Whether a flush is running or waiting to run. */
  get busy(): boolean {
    return this.running !== null || this.scheduled || this.waiters.length > 0;
  }

  /** Resolves when nothing is queued or being flushed. */
  async idle(): Promise<void> {
    while (this.running || this.scheduled || this.waiters.length > 0) {
      await (this.running ?? this.commit());
    }
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // setImmediate rather than a microtask: callers woken in the same event-loop turn join in.
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    const batch = this.waiters;
    this.waiters = [];
    this.flushes++;
    const flushing = this.flush();
    this.flushing = flushing;
    this.running = flushing.then(
      () => batch.forEach((w) => w.resolve()),
      (error: unknown) => batch.forEach((w) => w.reject(error)),
    );
    await this.running;
    this.running = null;
    this.flushing = null;
    if (this.waiters.length > 0) this.schedule();
  }
}
