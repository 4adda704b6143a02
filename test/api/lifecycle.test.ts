import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { startInProcessDaemon } from "../helpers/in-process-daemon.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Start a daemon with its app, use its metrics, close both; weak references to what should go. */
async function openUseAndClose(): Promise<WeakRef<object>[]> {
  const d = await startInProcessDaemon({}, { listen: true });
  await d.daemon.child.waitFor("ready", 10_000, ["fatal"]);
  const metrics = await fetch(`${d.baseUrl}/metrics`);
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toMatch(/codexd_process_cpu_seconds_total[\s\S]*codexd_event_last_seq/);
  const refs = [new WeakRef(d.daemon), new WeakRef(d.app), new WeakRef(d.daemon.store)];
  await d.close();
  return refs;
}

describe("daemon lifecycle in one process", () => {
  it("keeps nothing of a closed app and stopped daemon (process metrics are registered once)", async () => {
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 3; i++) refs.push(...(await openUseAndClose()));
    const alive = () => refs.map((r) => r.deref() !== undefined);
    const deadline = Date.now() + 5_000;
    while (alive().some(Boolean) && Date.now() < deadline) {
      // Handles finish closing over a few turns of the event loop.
      await new Promise((resolve) => setTimeout(resolve, 50));
      gc();
    }
    expect(alive()).toEqual(refs.map(() => false));
  });
});
