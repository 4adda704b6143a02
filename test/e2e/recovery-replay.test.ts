/**
 * Recovery from `.bak` never undoes an acknowledged change: a run cancelled before the daemon
 * stopped stays cancelled (and never executes) when run-registry.json is damaged while stopped
 * and its previous version, which still had the run queued, is restored.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startInProcessDaemon, type InProcessDaemon } from "../helpers/in-process-daemon.js";
import { RunsApi } from "../helpers/runs-api.js";
import { startRunsDaemon, type RunsDaemon } from "../helpers/runs-daemon.js";

let first: InProcessDaemon | null = null;
let second: RunsDaemon | null = null;
let dir: string | null = null;

afterEach(async () => {
  await first?.close().catch(() => {});
  await second?.close().catch(() => {});
  first = second = null;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

describe("recovery from .bak", () => {
  it("keeps a cancelled run cancelled, and never runs it, after run-registry.json is damaged while stopped", { timeout: 120_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), "codexd-replay-"));
    const stateDir = join(dir, "state");
    // A child that never answers initialize: runs stay queued.
    first = await startInProcessDaemon(
      { CODEXD_STATE_DIR: stateDir, CODEXD_CHILD_COMMAND: "sleep", CODEXD_CHILD_ARGS: JSON.stringify(["600"]), CODEXD_CHILD_READY_TIMEOUT_MS: "600000", CODEXD_CHILD_STOP_EOF_TIMEOUT_MS: "100" },
      { listen: true, fakeChild: false },
    );
    const api = new RunsApi(first.baseUrl);
    const queued = await api.start({ prompt: "cancelled before it could run" });
    const cancel = await api.call("POST", `/v1/runs/${queued.runId}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ changed: true, run: { status: "cancelled" } });
    await first.close();
    first = null;

    const registry = join(stateDir, "run-registry.json");
    // The previous version still has the run queued: exactly what a restore from .bak would bring back.
    const backup = JSON.parse(await readFile(`${registry}.bak`, "utf8"));
    expect(backup.runs.find((r: { runId: string }) => r.runId === queued.runId)?.status).toBe("queued");
    await writeFile(registry, '{"updatedAt": "2026-01-01T00:00:00.000Z", "runs": [tr');

    second = await startRunsDaemon({ CODEXD_STATE_DIR: stateDir });
    const after = second.api;
    expect((await after.run(queued.runId)).status).toBe("cancelled");
    // A later run executes: had the cancelled one been queued again, it would have gone first.
    const later = await after.start({ prompt: "after the restore" });
    expect((await after.waitTerminal(later.runId)).status).toBe("completed");
    expect((await after.run(queued.runId)).status).toBe("cancelled");
    const events = await after.events({ runId: queued.runId, limit: "1000" });
    expect(events.map((e) => e.type)).toEqual(["run.queued", "run.cancelled"]);
    const recovered = await after.events({ type: "state.recovered", limit: "1000" });
    const replay = recovered.find((e) => e.detail?.problem === "replayed-events");
    expect(replay?.detail).toMatchObject({ file: registry, changed: [queued.runId] });
  });
});
