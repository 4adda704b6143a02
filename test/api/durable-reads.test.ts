/**
 * Reads never show what a crash could take back: a GET answered while a mutation is still in
 * memory waits for the flush that makes it durable.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RunRecord } from "../../schemas/runs.js";
import { startInProcessDaemon, type InProcessDaemon } from "../helpers/in-process-daemon.js";
import { waitUntil } from "../helpers/deadline.js";
import { failAppends, holdNextAppend } from "../helpers/store-faults.js";

let d: InProcessDaemon | null = null;
afterEach(async () => {
  await d?.close();
  d = null;
});

describe("durable reads", () => {
  it.each(["GET", "HEAD"] as const)("answers a %s of a record changed in memory only after its flush is durable", async (method) => {
    d = await startInProcessDaemon({}, { start: true });
    const now = new Date().toISOString();
    const run: RunRecord = { runId: "run-durable-read", status: "queued", createdAt: now, updatedAt: now };
    await d.daemon.store.upsertRun(run);

    // The update is in memory; its flush (record first, then the event) is held in the event append.
    const hold = holdNextAppend(d.daemon.store);
    const updated = d.daemon.store.upsertRun({ ...run, status: "cancelled", updatedAt: new Date().toISOString() });
    void d.daemon.store.recordEvent({ level: "info", type: "run.cancelled", message: "cancelled", runId: run.runId });
    await hold.entered;

    let released = false;
    const answer = d.app.inject({ method, url: `/v1/runs/${run.runId}` }).then((res) => ({ res, afterRelease: released }));
    // Give an answer that does not wait every chance to arrive early.
    await new Promise((resolve) => setTimeout(resolve, 100));
    released = true;
    hold.release();
    const { res, afterRelease } = await answer;
    await updated;
    expect(res.statusCode).toBe(200);
    if (method === "GET") expect(res.json()).toMatchObject({ runId: run.runId, status: "cancelled" });
    expect(afterRelease, "the answer waited for the flush").toBe(true);
  });

  it("takes a write that failed back; reads answer from memory, marked degraded, until writes get through", async () => {
    d = await startInProcessDaemon({ CODEXD_STORAGE_RETRY_INTERVAL_MS: "20" }, { start: true });
    const restore = failAppends(d.daemon.store, "EIO: i/o error");
    const now = new Date().toISOString();
    const refused = d.daemon.store.upsertRun({ runId: "run-refused", status: "queued", createdAt: now, updatedAt: now });
    const told = d.daemon.store.recordEvent({ level: "info", type: "x.refused", message: "never written", runId: "run-refused" });
    await expect(refused).rejects.toMatchObject({ status: 503, code: "CODEXD_STORAGE_UNAVAILABLE", extra: { cause: "EIO" } });
    await expect(told).rejects.toMatchObject({ code: "CODEXD_STORAGE_UNAVAILABLE" });
    expect(await d.daemon.store.getRun("run-refused")).toBeNull();

    const read = await d.app.inject({ method: "GET", url: "/v1/runs/run-refused" });
    expect(read.statusCode).toBe(404);
    expect(read.headers["x-codexd-store"]).toBe("degraded");
    const status = await d.app.inject({ method: "GET", url: "/v1/status" });
    expect(status.statusCode).toBe(200);
    expect(status.json().store).toMatchObject({ status: "degraded", cause: "EIO", code: "CODEXD_STORAGE_UNAVAILABLE" });

    restore();
    await waitUntil(() => d!.daemon.store.storageFault === null, { what: "the store to recover" });
    const after = await d.app.inject({ method: "GET", url: "/v1/runs/run-refused" });
    expect(after.statusCode).toBe(404);
    expect(after.headers["x-codexd-store"]).toBeUndefined();
    expect((await d.daemon.store.queryEvents({ type: "x.refused" })).events).toHaveLength(0);
    expect((await d.daemon.store.queryEvents({ type: "store." })).events.map((e) => e.type)).toEqual(["store.degraded", "store.recovered"]);
  });

  it("answers health checks while a flush hangs, and reads once nothing is pending", async () => {
    d = await startInProcessDaemon({}, { start: true });
    const hold = holdNextAppend(d.daemon.store);
    void d.daemon.store.recordEvent({ level: "info", type: "x.pending", message: "pending" });
    await hold.entered;
    // /healthz is not a read of state: it answers while a flush hangs.
    expect((await d.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    hold.release();
    await d.daemon.store.settled();
    expect((await d.app.inject({ method: "GET", url: "/v1/status" })).statusCode).toBe(200);
  });

  it("holds a read asked while a flush is pending until that flush is durable, then answers it", async () => {
    d = await startInProcessDaemon({}, { start: true });
    await d.daemon.store.settled();
    const hold = holdNextAppend(d.daemon.store);
    void d.daemon.store.recordEvent({ level: "info", type: "x.pending", message: "pending" });
    await hold.entered;
    const reads = ["/v1/status", "/v1/runs", "/v1/events?after=0"].map((url) => d!.app.inject({ method: "GET", url }));
    // Held: whatever the reads do in memory is done within these turns; none may answer.
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      return "still waiting" as const;
    };
    expect(await Promise.race([Promise.any(reads).then(() => "answered" as const), turns(100)])).toBe("still waiting");
    hold.release();
    expect((await Promise.all(reads)).map((r) => r.statusCode)).toEqual([200, 200, 200]);
  });
});
