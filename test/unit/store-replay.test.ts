/**
 * A registry restored from `.bak` is brought up to date from the run.* / session.* events newer
 * than it: recovery never resurrects a change that was acknowledged.
 */
import { readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../schemas/runs.js";
import { storeOpener } from "../helpers/store-opener.js";

const { open, config } = storeOpener();

const at = () => new Date().toISOString();
const run = (runId: string, status: RunRecord["status"] = "queued"): RunRecord => ({ runId, status, createdAt: at(), updatedAt: at(), prompt: "p" });

describe("replay over a restored .bak", () => {
  it("keeps a closed session closed, a cancelled run cancelled, and never queues a run known only from events", async () => {
    let store = await open();
    await Promise.all([
      store.upsertSession({ sessionId: "s1", status: "idle", currentTurnId: null, updatedAt: at(), threadId: "th1" }),
      store.recordEvent({ level: "info", type: "session.created", message: "m", sessionId: "s1", detail: { threadId: "th1" } }),
    ]);
    await Promise.all([store.upsertRun(run("r1")), store.recordEvent({ level: "info", type: "run.queued", message: "m", runId: "r1" })]);
    // The last version of each registry (the one that will be damaged) holds changes the .bak lacks.
    await Promise.all([
      store.upsertSession({ ...store.getSession("s1")!, status: "closed", updatedAt: at() }),
      store.recordEvent({ level: "info", type: "session.closed", message: "m", sessionId: "s1" }),
      store.upsertRun({ ...(await store.getRun("r1"))!, status: "cancelled" }),
      store.recordEvent({ level: "info", type: "run.cancelled", message: "m", runId: "r1", detail: { status: "cancelled", error: null, durationMs: null } }),
      store.upsertRun(run("r2")),
      store.recordEvent({ level: "info", type: "run.queued", message: "m", runId: "r2" }),
    ]);
    await store.close();
    const { sessionRegistryPath, runRegistryPath } = config().paths;
    expect(JSON.parse(await readFile(`${runRegistryPath}.bak`, "utf8")).runs.map((r: RunRecord) => r.status)).toEqual(["queued"]);
    await writeFile(sessionRegistryPath, "{");
    await writeFile(runRegistryPath, "");

    store = await open(true);
    expect(store.getSession("s1")?.status).toBe("closed");
    expect((await store.getRun("r1"))?.status).toBe("cancelled");
    expect(await store.getRun("r2")).toMatchObject({ status: "interrupted", error: { code: "CODEXD_STATE_RECOVERED" } });
    const replays = (await store.queryEvents({ type: "state.recovered", limit: 100 })).events.filter((e) => e.detail?.problem === "replayed-events");
    expect(replays.map((e) => e.detail)).toEqual([
      expect.objectContaining({ file: sessionRegistryPath, changed: ["s1"] }),
      expect.objectContaining({ file: runRegistryPath, rebuilt: ["r2"] }),
    ]);
  });
});
