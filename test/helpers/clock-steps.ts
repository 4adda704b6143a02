import { vi } from "vitest";
import { realMonotonicNow, realWallNow } from "./real-clocks.js";

export interface ClockStep {
  /** Added to the wall clock (`Date.now()`, `new Date()`): negative sets it back, as an operator or NTP may. */
  wallMs?: number;
  /** Added to the monotonic clock (`performance.now()`): time that passed meanwhile. */
  monotonicMs?: number;
}

/**
 * Steps this process's clocks from now on, by the given amounts on top of the real ones (a
 * second step replaces the first). The monotonic clock goes on at its real pace; the faked
 * `Date` goes on in 1 ms ticks of a real timer, so it may fall behind by a little. Only `Date` is
 * faked: timers keep real time. Undo with `restoreClocks()`, and only once what read the stepped
 * clocks is closed: a monotonic clock must not go back under it.
 */
export function stepClocks(step: ClockStep): void {
  const { wallMs = 0, monotonicMs = 0 } = step;
  vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true, advanceTimeDelta: 1 });
  vi.setSystemTime(realWallNow() + wallMs);
  vi.spyOn(performance, "now").mockImplementation(() => realMonotonicNow() + monotonicMs);
}

/** Undo every step (and, with it, every other spy of the test file: `vi.restoreAllMocks()`). */
export function restoreClocks(): void {
  vi.useRealTimers();
  vi.restoreAllMocks();
}
