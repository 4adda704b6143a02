export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so restarts
 * of many daemons spread out while each still waits at least half the nominal delay.
 */
export function backoffDelay(attempt: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const nominal = Math.min(settings.maxMs, settings.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/** Crash-loop breaker: more than `burst` starts within `windowMs` trips it. Times are monotonic (`performance.now()`). */
export class StartLimiter {
  private starts: number[] = [];

  constructor(
    private readonly burst: number,
    private readonly windowMs: number,
  ) {}

  /** Record a start at `now`; false when this start would exceed the limit. */
  tryStart(now: number): boolean {
    this.starts = this.starts.filter((t) => now - t < this.windowMs);
    if (this.starts.length >= this.burst) return false;
    this.starts.push(now);
    return true;
  }

  reset(): void {
    this.starts = [];
  }
}
