/**
 * Valid JSON, wrong inside: every loaded file and record is checked against its schema; a
 * record that fails is kept aside in a `.corrupt` file (a `state.recovered` event names it) and
 * the rest is used; seq continues from the highest valid safe integer.
 */
import { appendFile, readFile, readdir, writeFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../schemas/runs.js";
import type { StateStore } from "../../src/state/store.js";
import { storeOpener } from "../helpers/store-opener.js";

const { open, config } = storeOpener();

const at = () => new Date().toISOString();
const run = (runId: string): RunRecord => ({ runId, status: "queued", createdAt: at(), updatedAt: at() });

async function asideFiles(path: string): Promise<string[]> {
  return (await readdir(dirname(path))).filter((n) => n.startsWith(`${basename(path)}.corrupt-`));
}

async function recoveredEvents(store: StateStore) {
  return (await store.queryEvents({ type: "state.recovered", limit: 1000 })).events.map((e) => e.detail as Record<string, unknown>);
}

describe("record validation at load", () => {
  const registries = [
    { key: "runRegistryPath", list: "runs", good: { ...run("r-good") }, id: "runId" },
    { key: "sessionRegistryPath", list: "sessions", good: { sessionId: "s-good", status: "idle", currentTurnId: null, updatedAt: at() }, id: "sessionId" },
    {
      key: "turnRegistryPath",
      list: "turns",
      good: { turnId: "t-good", sessionId: "s", threadId: "th", status: "completed", input: "hi", createdAt: at(), updatedAt: at(), startedAt: null, completedAt: null, items: [], finalMessage: null, usage: null, error: null },
      id: "turnId",
    },
    { key: "recentEventsPath", list: "events", good: { seq: 1, createdAt: at(), level: "info", type: "x.good", message: "m", detail: null }, id: "seq" },
  ] as const;

  for (const r of registries) {
    it(`moves a null in ${r.list} aside and uses the rest`, async () => {
      await (await open()).close();
      const path = config().paths[r.key];
      const doc: Record<string, unknown> = { updatedAt: null, [r.list]: [null, r.good] };
      if (r.list === "events") doc.maxEntries = 500;
      await writeFile(path, JSON.stringify(doc));
      const store = await open(true);
      const aside = await asideFiles(path);
      expect(aside).toHaveLength(1);
      const kept = JSON.parse(await readFile(`${dirname(path)}/${aside[0]}`, "utf8"));
      expect(kept.records.map((b: { record: unknown }) => b.record)).toEqual([null]);
      const event = (await recoveredEvents(store)).find((d) => d.problem === "invalid-records");
      expect(event).toMatchObject({ file: path, count: 1, movedTo: `${dirname(path)}/${aside[0]}` });
      if (r.list === "runs") expect((await store.getRun("r-good"))?.status).toBe("queued");
      if (r.list === "sessions") expect(store.getSession("s-good")?.status).toBe("idle");
      if (r.list === "turns") expect(store.getTurn("t-good")?.status).toBe("completed");
    });
  }

  it("moves a run without createdAt aside; the others list", async () => {
    let store = await open();
    await store.upsertRun(run("r1"));
    await store.close();
    const path = config().paths.runRegistryPath;
    const doc = JSON.parse(await readFile(path, "utf8"));
    const { createdAt: _dropped, ...broken } = run("r-broken");
    doc.runs.push(broken);
    await writeFile(path, JSON.stringify(doc));
    store = await open(true);
    expect(store.listRuns().map((r) => r.runId)).toEqual(["r1"]);
    expect(await store.getRun("r-broken")).toBeNull();
    const event = (await recoveredEvents(store)).find((d) => d.problem === "invalid-records");
    expect(event?.reasons).toEqual([expect.stringContaining("createdAt")]);
  });

  it("continues seq from the event log when daemon-state.json says lastEventSeq \"x\"", async () => {
    let store = await open();
    const before = await store.recordEvent({ level: "info", type: "x.before", message: "m" });
    await store.close();
    const path = config().paths.daemonStatePath;
    const state = JSON.parse(await readFile(path, "utf8"));
    await writeFile(path, JSON.stringify({ ...state, lastEventSeq: "x" }));
    store = await open(true);
    const next = await store.recordEvent({ level: "info", type: "x.after", message: "m" });
    expect(Number.isSafeInteger(next.seq)).toBe(true);
    expect(next.seq).toBeGreaterThan(before.seq);
    expect((await recoveredEvents(store)).find((d) => d.file === path)).toMatchObject({ problem: "invalid-shape", usedBackup: true });
  });

  it("continues seq from the highest valid safe integer when the last event line says seq 1e300", async () => {
    let store = await open();
    const before = await store.recordEvent({ level: "info", type: "x.before", message: "m" });
    await store.close();
    const path = config().paths.structuredEventLogPath;
    await appendFile(path, `{"seq":1e300,"createdAt":"${at()}","level":"info","type":"x.huge","message":"m","detail":null}\n`);
    store = await open(true);
    const a = await store.recordEvent({ level: "info", type: "x.a", message: "m" });
    const b = await store.recordEvent({ level: "info", type: "x.b", message: "m" });
    expect(a.seq).toBeGreaterThan(before.seq);
    expect(a.seq).toBeLessThan(before.seq + 10);
    expect(b.seq).toBe(a.seq + 1);
    const aside = await asideFiles(path);
    expect(aside).toHaveLength(1);
    expect(await readFile(`${dirname(path)}/${aside[0]}`, "utf8")).toContain("1e300");
    expect((await recoveredEvents(store)).find((d) => d.problem === "torn-tail")).toMatchObject({ movedTo: `${dirname(path)}/${aside[0]}` });
  });
});
