/**
 * Reads never show what a crash could take back: a GET answered while a mutation is still in
 * memory waits for the flush that makes it durable.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RunRecord } from "../../schemas/runs.js";
import { startInProcessDaemon, type InProcessDaemon } from "../helpers/in-process-daemon.js";

let d: InProcessDaemon | null = null;
afterEach(async () => {
  await d?.close();
  d = null;
});

/** Hold the store's next event-log append until `release` is called. */
function holdNextAppend(daemon: InProcessDaemon["daemon"]): { entered: Promise<void>; release: () => void } {
  const log = (daemon.store as unknown as { eventLog: { append: (text: string) => Promise<void> } }).eventLog;
  const append = log.append.bind(log);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let enter!: () => void;
  const entered = new Promise<void>((resolve) => (enter = resolve));
  log.append = async (text) => {
    log.append = append;
    enter();
    await gate;
    return append(text);
  };
  return { entered, release };
}

describe("durable reads", () => {
  it("answers a GET of a record changed in memory only after its flush is durable", async () => {
    d = await startInProcessDaemon({}, { start: true });
    const now = new Date().toISOString();
    const run: RunRecord = { runId: "run-durable-read", status: "queued", createdAt: now, updatedAt: now };
    await d.daemon.store.upsertRun(run);

    // The update is in memory; its flush (record first, then the event) is held in the event append.
    const hold = holdNextAppend(d.daemon);
    const updated = d.daemon.store.upsertRun({ ...run, status: "cancelled", updatedAt: new Date().toISOString() });
    void d.daemon.store.recordEvent({ level: "info", type: "run.cancelled", message: "cancelled", runId: run.runId });
    await hold.entered;

    let released = false;
    const answer = d.app.inject({ method: "GET", url: `/v1/runs/${run.runId}` }).then((res) => ({ res, afterRelease: released }));
    // Give an answer that does not wait every chance to arrive early.
    await new Promise((resolve) => setTimeout(resolve, 100));
    released = true;
    hold.release();
    const { res, afterRelease } = await answer;
    await updated;
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ runId: run.runId, status: "cancelled" });
    expect(afterRelease, "the answer waited for the flush").toBe(true);
  });

  it("holds a HEAD the same way", async () => {
    d = await startInProcessDaemon({}, { start: true });
    const hold = holdNextAppend(d.daemon);
    const now = new Date().toISOString();
    const created = d.daemon.store.upsertRun({ runId: "run-head", status: "queued", createdAt: now, updatedAt: now });
    void d.daemon.store.recordEvent({ level: "info", type: "run.queued", message: "queued", runId: "run-head" });
    await hold.entered;
    let released = false;
    const answer = d.app.inject({ method: "HEAD", url: "/v1/runs/run-head" }).then((res) => ({ res, afterRelease: released }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    released = true;
    hold.release();
    const { res, afterRelease } = await answer;
    await created;
    expect(res.statusCode).toBe(200);
    expect(afterRelease, "the answer waited for the flush").toBe(true);
  });

  it("retries a write that failed before it answers a read", async () => {
    d = await startInProcessDaemon({}, { start: true });
    const log = (d.daemon.store as unknown as { eventLog: { append: (text: string) => Promise<void> } }).eventLog;
    const append = log.append.bind(log);
    log.append = () => {
      log.append = append;
      return Promise.reject(new Error("EIO: i/o error"));
    };
    await expect(d.daemon.store.recordEvent({ level: "info", type: "x.retried", message: "first try fails" })).rejects.toThrow(/EIO/);
    expect((await d.daemon.store.queryEvents({ type: "x.retried" })).events).toHaveLength(0);
    // The read waits for the retried write (events pages show durable events only anyway).
    expect((await d.app.inject({ method: "GET", url: "/v1/status" })).statusCode).toBe(200);
    expect((await d.daemon.store.queryEvents({ type: "x.retried" })).events.map((e) => e.type)).toEqual(["x.retried"]);
  });

  it("answers health checks while a flush hangs, and reads once nothing is pending", async () => {
    d = await startInProcessDaemon({}, { start: true });
    const hold = holdNextAppend(d.daemon);
    void d.daemon.store.recordEvent({ level: "info", type: "x.pending", message: "pending" });
    await hold.entered;
    // /healthz is not a read of state: it answers while a flush hangs.
    expect((await d.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    hold.release();
    await d.daemon.store.settled();
    expect((await d.app.inject({ method: "GET", url: "/v1/status" })).statusCode).toBe(200);
  });
});
