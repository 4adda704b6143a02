/**
 * runs.maxQueued: beyond it POST /v1/runs is 429 CODEXD_QUEUE_FULL with Retry-After, and nothing
 * is queued or recorded; once a queued run leaves, there is room again.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startRunsDaemon, type RunsDaemon } from "../helpers/runs-daemon.js";

let d: RunsDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

describe("the run queue limit", () => {
  it("answers 429 CODEXD_QUEUE_FULL with Retry-After beyond runs.maxQueued, queueing nothing", { timeout: 120_000 }, async () => {
    d = await startRunsDaemon({ CODEXD_RUN_MAX_QUEUED: "3", CODEXD_RUN_CONCURRENCY: "1" });
    const { api } = d;
    // One run holds the only slot; three wait.
    const running = await api.start({ prompt: "[silent] holds the slot" });
    await api.waitTurnStarted(running.runId);
    const queued = [];
    for (let i = 0; i < 3; i++) queued.push(await api.start({ prompt: `waits ${i}` }));
    const before = await api.call("GET", "/v1/runs?limit=100");

    const refused = await api.create({ prompt: "one too many" });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe("CODEXD_QUEUE_FULL");
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const after = await api.call("GET", "/v1/runs?limit=100");
    expect(after.body.runs.map((r: { runId: string }) => r.runId)).toEqual(before.body.runs.map((r: { runId: string }) => r.runId));

    // A queued run cancelled leaves room.
    expect((await api.call("POST", `/v1/runs/${queued[0]!.runId}/cancel`)).status).toBe(200);
    expect((await api.create({ prompt: "fits again" })).status).toBe(202);
  });
});
