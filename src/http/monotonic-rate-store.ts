import type { FastifyRateLimitStore } from "@fastify/rate-limit";

/** Keys counted at most, the least recently counted dropped first (the built-in store's default). */
const KEYS_KEPT = 5_000;

/**
 * @fastify/rate-limit's counters with their windows on the monotonic clock. Its own store times
 * them with `Date.now()`, so a wall clock set back an hour would keep a window open, and a client
 * refused, for that hour. Fixed windows per key, counted as the built-in store counts them
 * (codexd uses neither its `continueExceeding` nor its backoff).
 */
export class MonotonicRateStore implements FastifyRateLimitStore {
  private readonly windows = new Map<string, { count: number; startedAt: number }>();

  incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
    const now = performance.now();
    let window = this.windows.get(key);
    // Taken out and put back: the Map's order is then the order of last use.
    this.windows.delete(key);
    if (window === undefined || now - window.startedAt >= timeWindow) window = { count: 0, startedAt: now };
    window.count++;
    this.windows.set(key, window);
    if (this.windows.size > KEYS_KEPT) this.windows.delete(this.windows.keys().next().value!);
    callback(null, { current: window.count, ttl: Math.ceil(timeWindow - (now - window.startedAt)) });
  }

  child(): FastifyRateLimitStore {
    return new MonotonicRateStore();
  }
}
