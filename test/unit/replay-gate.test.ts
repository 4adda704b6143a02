import { describe, expect, it } from "vitest";
import { ReplayGate } from "../../src/events/replay-gate.js";

describe("ReplayGate", () => {
  it("runs at most `width` builds at once, the rest in the order they asked, and passes results and errors through", async () => {
    const gate = new ReplayGate(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const build = (n: number) =>
      gate.run(async () => {
        running++;
        most = Math.max(most, running);
        order.push(n);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        if (n === 3) throw new Error("page 3 failed");
        return n * 10;
      });
    const results = Array.from({ length: 6 }, (_, n) => build(n).catch((e: Error) => e.message));
    // Let the first two start; the other four wait.
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([0, 1]);
    expect(gate.queued).toBe(4);
    while (order.length < 6 || releases.length > 0) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(results)).toEqual([0, 10, 20, "page 3 failed", 40, 50]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(gate.queued).toBe(0);
    // Free again: a later build starts at once.
    expect(await gate.run(async () => "free")).toBe("free");
  });
});
