import { afterEach, describe, expect, it, vi } from "vitest";
import { MonotonicRateStore } from "../../src/http/monotonic-rate-store.js";
import { realMonotonicNow } from "../helpers/real-clocks.js";

afterEach(() => {
  vi.restoreAllMocks();
});

/** The store's answer for one more request of `key`. */
function count(store: MonotonicRateStore, key: string, timeWindow = 60_000): { current: number; ttl: number } {
  let result: { current: number; ttl: number } | undefined;
  store.incr(key, (error, answer) => {
    expect(error).toBeNull();
    result = answer;
  }, timeWindow);
  return result!;
}

describe("the rate limit's store", () => {
  it("counts each key in windows of monotonic time, and says how long the window has left", () => {
    let now = realMonotonicNow();
    vi.spyOn(performance, "now").mockImplementation(() => now);
    const store = new MonotonicRateStore();
    expect(count(store, "a")).toEqual({ current: 1, ttl: 60_000 });
    now += 20_000;
    expect(count(store, "a")).toEqual({ current: 2, ttl: 40_000 });
    expect(count(store, "b")).toEqual({ current: 1, ttl: 60_000 });
    now += 40_000;
    expect(count(store, "a")).toEqual({ current: 1, ttl: 60_000 });
    expect(count(store, "b")).toEqual({ current: 2, ttl: 20_000 });
  });

  it("keeps 5,000 keys at most, forgetting the one counted longest ago", () => {
    const store = new MonotonicRateStore();
    for (let i = 0; i < 5_000; i++) count(store, `k${i}`);
    count(store, "k0"); // k0 counted again: k1 is now the one counted longest ago
    count(store, "new");
    expect(count(store, "k0").current).toBe(3);
    expect(count(store, "k1").current).toBe(1);
  });

  it("gives each route a store of its own", () => {
    const store = new MonotonicRateStore();
    count(store, "a");
    expect(count(store.child() as MonotonicRateStore, "a").current).toBe(1);
  });
});
