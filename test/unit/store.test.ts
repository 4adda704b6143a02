import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { appendFile, mkdir, readFile, readdir, stat, truncate, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RunRecord } from "../../schemas/runs.js";
import type { EventLogOptions } from "../../src/state/event-log.js";
import { LOCK_FILE, StateDirLockedError } from "../../src/state/state-dir-lock.js";
import { StateStore } from "../../src/state/store.js";
import { waitUntil } from "../helpers/deadline.js";
import { failAppends } from "../helpers/store-faults.js";
import { tempState, type TempState } from "../helpers/temp-config.js";

let temp: TempState;
const stores: StateStore[] = [];

async function open(env: Record<string, string> = {}, reuse = false): Promise<StateStore> {
  if (!reuse) temp = await tempState(env);
  const store = new StateStore(temp.config);
  stores.push(store);
  await store.initialize();
  return store;
}

async function reopen(store: StateStore): Promise<StateStore> {
  await store.close();
  return open({}, true);
}

const run = (runId: string, status: RunRecord["status"] = "queued"): RunRecord => ({
  runId,
  status,
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
});

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await temp?.cleanup();
});

describe("state store", () => {
  it("creates the seed file set with 0600 files in a 0700 directory", async () => {
    await open();
    const p = temp.config.paths;
    for (const file of [p.identityPath, p.daemonStatePath, p.sessionRegistryPath, p.runRegistryPath, p.recentEventsPath, p.structuredEventLogPath]) {
      expect((await stat(file)).mode & 0o777, file).toBe(0o600);
    }
    expect((await stat(p.stateDir)).mode & 0o777).toBe(0o700);
    const registry = JSON.parse(await readFile(p.sessionRegistryPath, "utf8"));
    expect(registry).toMatchObject({ updatedAt: null, sessions: [] });
    const recent = JSON.parse(await readFile(p.recentEventsPath, "utf8"));
    expect(recent.maxEntries).toBe(500);
  });

  it("keeps every record across a reopen and never restarts seq", async () => {
    let store = await open();
    const now = new Date().toISOString();
    await store.upsertSession({ sessionId: "s1", status: "idle", currentTurnId: null, updatedAt: now });
    await store.upsertRun(run("r1"));
    const e1 = await store.recordEvent({ level: "info", type: "test.one", message: "one" });
    await store.updateChildState({ status: "running", pid: 42 });
    store = await reopen(store);
    expect(store.getSession("s1")?.status).toBe("idle");
    expect((await store.getRun("r1"))?.status).toBe("queued");
    expect(store.getChildState().status).toBe("running");
    const e2 = await store.recordEvent({ level: "info", type: "test.two", message: "two" });
    expect(e2.seq).toBe(e1.seq + 1);
    expect(e2.bootId).toBe(store.bootId);
    expect(e1.bootId).not.toBe(store.bootId);
  });

  it("serves many concurrent mutations with few durable flushes", async () => {
    const store = await open();
    const before = store.flushCount;
    const events = await Promise.all(
      Array.from({ length: 500 }, (_, i) => store.recordEvent({ level: "info", type: "burst", message: String(i) })),
    );
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
    expect(store.flushCount - before).toBeLessThan(10);
    const lines = (await readFile(temp.config.paths.structuredEventLogPath, "utf8")).trim().split("\n");
    expect(lines.filter((l) => JSON.parse(l).type === "burst")).toHaveLength(500);
  });

  it("hands out frozen records instead of copies", async () => {
    const store = await open();
    await store.upsertSession({ sessionId: "s1", status: "idle", currentTurnId: null, updatedAt: "x", metadata: { a: 1 } });
    const s = store.getSession("s1")!;
    expect(store.getSession("s1")).toBe(s);
    expect(() => ((s as { status: string }).status = "closed")).toThrow(TypeError);
    expect(() => ((s.metadata as Record<string, unknown>).a = 2)).toThrow(TypeError);
  });

  it("closes a session like the seed does", async () => {
    const store = await open();
    await store.upsertSession({ sessionId: "s1", status: "active", currentTurnId: "t1", updatedAt: new Date().toISOString() });
    const closed = await store.closeSession("s1");
    expect(closed).toMatchObject({ status: "closed", currentTurnId: null });
    expect(await store.closeSession("nope")).toBeNull();
  });

  it("records an event whose detail is nested too deep to serialize, without a hole in the seqs", async () => {
    const store = await open();
    let deep: Record<string, unknown> = {};
    const root = { method: "x/deep", params: deep };
    for (let i = 0; i < 200_000; i++) deep = (deep.next = {}) as Record<string, unknown>;
    const before = await store.recordEvent({ level: "info", type: "x", message: "before" });
    const event = await store.recordEvent({ level: "debug", type: "codex.notification", message: "x/deep", detail: root });
    const after = await store.recordEvent({ level: "info", type: "x", message: "after" });
    expect([event.seq, after.seq]).toEqual([before.seq + 1, before.seq + 2]);
    expect(event.detail).toMatchObject({ method: "x/deep", unrecordable: true });
    const lines = (await readFile(temp.config.paths.structuredEventLogPath, "utf8")).trim().split("\n");
    expect(JSON.parse(lines.at(-2)!).detail.method).toBe("x/deep");
  });

  it("notifies listeners only after the event is durable, in order", async () => {
    const store = await open();
    const seen: number[] = [];
    store.onEvent((e) => seen.push(e.seq));
    const a = store.recordEvent({ level: "info", type: "x", message: "a" });
    const b = store.recordEvent({ level: "info", type: "x", message: "b" });
    expect(seen).toEqual([]);
    const [ea, eb] = await Promise.all([a, b]);
    expect(seen).toEqual([ea.seq, eb.seq]);
  });
});

describe("one store per state dir", () => {
  it("refuses a second store while the first is open, and lets the next one in once it closes", async () => {
    const first = await open();
    const second = new StateStore(temp.config);
    const refused = await second.initialize().then(() => null, (error: unknown) => error);
    expect(refused).toBeInstanceOf(StateDirLockedError);
    expect((refused as StateDirLockedError).code).toBe("CODEXD_STATE_DIR_LOCKED");
    expect((refused as Error).message).toContain(`pid ${process.pid}`);
    // The refused store touched nothing: the first one goes on.
    const event = await first.recordEvent({ level: "info", type: "x.after", message: "still here" });
    await first.close();
    const third = await open({}, true);
    expect(third.lastSeq).toBe(event.seq);
  });

  it("takes over a lock whose owner is provably gone; one it cannot check only once it is stale", async () => {
    temp = await tempState();
    await mkdir(temp.config.paths.stateDir, { recursive: true });
    const lock = join(temp.config.paths.stateDir, LOCK_FILE);
    // A pid that exited a moment ago on this machine (the owner killed -9): taken over at once.
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const sameMachine = {
      host: hostname(),
      bootId: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(),
      pidNamespace: readlinkSync("/proc/self/ns/pid"),
      startTicks: null,
      acquiredAt: "2026-01-01T00:00:00.000Z",
    };
    await writeFile(lock, JSON.stringify({ ...sameMachine, pid: Number(gone.stdout) }));
    const store = await open({}, true);
    expect(JSON.parse(await readFile(lock, "utf8")).pid).toBe(process.pid);
    await store.close();
    expect(existsSync(lock), "the lock goes with a clean close").toBe(false);

    // Written in another pid namespace (another container on the same volume), or torn: its pid
    // means nothing here, so it holds while its heartbeat moves and is taken over once it stops.
    for (const content of [JSON.stringify({ ...sameMachine, pidNamespace: "pid:[1]", pid: 1 }), '{"pid": 12']) {
      await writeFile(lock, content);
      const beat = setInterval(() => void utimes(lock, new Date(), new Date()).catch(() => {}), 50);
      const refused = await new StateStore(temp.config, { lockStaleAfterMs: 400 }).initialize().then(() => null, (error: unknown) => error);
      clearInterval(beat);
      expect(refused, content).toBeInstanceOf(StateDirLockedError);
      const next = new StateStore(temp.config, { lockStaleAfterMs: 400 });
      stores.push(next);
      await next.initialize();
      expect(JSON.parse(await readFile(lock, "utf8")).pid).toBe(process.pid);
      await next.close();
    }
  });

  it("stops writing, and says so, when another daemon takes its directory over", async () => {
    temp = await tempState();
    const lost: string[] = [];
    const store = new StateStore(temp.config, { lockStaleAfterMs: 200, onLockLost: (reason) => lost.push(reason) });
    stores.push(store);
    await store.initialize();
    await store.recordEvent({ level: "info", type: "x.before", message: "mine" });
    // What a takeover after a long pause looks like from here: the lock names someone else.
    const lock = join(temp.config.paths.stateDir, LOCK_FILE);
    await writeFile(lock, JSON.stringify({ pid: 1, startTicks: null, host: "elsewhere", bootId: null, pidNamespace: null, acquiredAt: new Date().toISOString() }));
    await waitUntil(() => lost.length > 0, { what: "the lock loss to be noticed" });
    expect(lost[0]).toMatch(/taken over by pid 1 on elsewhere/);
    await expect(store.recordEvent({ level: "info", type: "x.after", message: "not mine" })).rejects.toThrow(/lock lost/);
    expect(JSON.parse(await readFile(lock, "utf8")).host).toBe("elsewhere");
  });

  it("lets go of the directory when the last flush fails on close", async () => {
    const store = await open();
    failAppends(store, "ENOSPC: no space left on device");
    void store.recordEvent({ level: "info", type: "x.lost", message: "not written" }).catch(() => {});
    await expect(store.close()).rejects.toThrow(/ENOSPC/);
    const next = await open({}, true);
    expect(next.lastSeq).toBeGreaterThan(0);
  });

  it("takes back a failed flush and every change queued behind it, and reuses their seqs", async () => {
    const store = await open({ CODEXD_STORAGE_RETRY_INTERVAL_MS: "60000" });
    await store.upsertRun(run("r1"));
    const durable = store.lastSeq;
    const restore = failAppends(store, "ENOSPC: no space left on device");
    const created = store.upsertRun(run("r2"));
    const told = store.recordEvent({ level: "info", type: "run.queued", message: "r2", runId: "r2" });
    expect(store.isDurable("runs", "r2")).toBe(false);
    // Once that flush has begun, a change built on it queues behind it.
    await new Promise((resolve) => setImmediate(resolve));
    const cancelled = store.upsertRun({ ...run("r1"), status: "cancelled" });
    const results = await Promise.allSettled([created, told, cancelled]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ status: 507, code: "CODEXD_STORAGE_FULL" });
    expect(store.storageFault).toMatchObject({ kind: "full", cause: "ENOSPC", stateDir: temp.config.paths.stateDir });
    expect(await store.getRun("r2")).toBeNull();
    expect((await store.getRun("r1"))?.status).toBe("queued");

    restore();
    const next = await store.recordEvent({ level: "info", type: "x.after", message: "written" });
    expect(store.storageFault).toBeNull();
    const lines = (await readFile(temp.config.paths.structuredEventLogPath, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.filter((e) => e.seq > durable).map((e) => [e.seq, e.type])).toEqual([
      [durable + 1, "store.degraded"],
      [durable + 2, "store.recovered"],
      [durable + 3, "x.after"],
    ]);
    expect(next.seq).toBe(durable + 3);
    const reopened = await reopen(store);
    expect(await reopened.getRun("r2")).toBeNull();
    expect((await reopened.getRun("r1"))?.status).toBe("queued");
  });

  it("removes the temp files of atomic writes a crash interrupted", async () => {
    temp = await tempState();
    await mkdir(temp.config.paths.stateDir, { recursive: true });
    const leftovers = [".run-registry.json.4242.7.tmp", ".daemon-state.json.99.1.tmp"];
    for (const name of leftovers) await writeFile(join(temp.config.paths.stateDir, name), "half a write");
    await writeFile(join(temp.config.paths.stateDir, "notes.tmp"), "not ours");
    const store = await open({}, true);
    const names = await readdir(temp.config.paths.stateDir);
    for (const name of leftovers) expect(names).not.toContain(name);
    expect(names).toContain("notes.tmp");
    const [recovered] = (await store.queryEvents({ type: "state.recovered" })).events;
    expect(recovered?.detail).toMatchObject({ problem: "abandoned-temp-files" });
    expect([...((recovered?.detail as { files: string[] }).files)].sort()).toEqual([...leftovers].sort());
  });
});

describe("recovery", () => {
  const docs = ["identityPath", "daemonStatePath", "sessionRegistryPath", "runRegistryPath", "recentEventsPath"] as const;

  for (const key of docs) {
    it(`recovers a corrupt ${key} from .bak and records state.recovered`, async () => {
      // Identity is written once per start, so a second start is what gives it a .bak.
      let store = await reopen(await open());
      await store.upsertSession({ sessionId: "s1", status: "idle", currentTurnId: null, updatedAt: new Date().toISOString() });
      await store.upsertRun(run("r1"));
      await store.recordEvent({ level: "info", type: "before", message: "x" });
      await store.updateChildState({ lastError: "kept" });
      // A second write of each document makes sure a .bak of a good version exists.
      await store.upsertSession({ sessionId: "s2", status: "idle", currentTurnId: null, updatedAt: new Date().toISOString() });
      await store.upsertRun(run("r2"));
      await store.close();
      const path = temp.config.paths[key];
      const bak = await readFile(`${path}.bak`, "utf8");
      expect(() => JSON.parse(bak)).not.toThrow();
      await writeFile(path, '{"truncated": ');
      store = await open({}, true);
      const files = await readdir(temp.config.paths.stateDir);
      const base = path.split("/").at(-1)!;
      expect(files.some((f) => f.startsWith(`${base}.corrupt-`))).toBe(true);
      const page = await store.queryEvents({ type: "state.recovered" });
      expect(page.events).toHaveLength(1);
      expect(page.events[0]!.detail).toMatchObject({ problem: "unparsable", usedBackup: true });
      expect(store.getSession("s1")).not.toBeNull();
      expect(await store.getRun("r1")).not.toBeNull();
    });
  }

  it("treats an empty file as damage, not as a fresh start", async () => {
    let store = await open();
    await store.upsertSession({ sessionId: "s1", status: "idle", currentTurnId: null, updatedAt: new Date().toISOString() });
    await store.upsertSession({ sessionId: "s2", status: "idle", currentTurnId: null, updatedAt: new Date().toISOString() });
    await store.close();
    await truncate(temp.config.paths.sessionRegistryPath, 0);
    store = await open({}, true);
    expect(store.getSession("s1")).not.toBeNull();
    const page = await store.queryEvents({ type: "state.recovered" });
    expect(page.events[0]!.detail).toMatchObject({ problem: "empty", usedBackup: true });
  });

  it("starts empty, loudly, when neither the file nor its .bak is usable", async () => {
    let store = await open();
    await store.close();
    await writeFile(temp.config.paths.runRegistryPath, "[1,2,3]");
    await writeFile(`${temp.config.paths.runRegistryPath}.bak`, "garbage");
    store = await open({}, true);
    expect(store.listRuns()).toEqual([]);
    const page = await store.queryEvents({ type: "state.recovered" });
    expect(page.events[0]!.detail).toMatchObject({ problem: "invalid-shape", usedBackup: false });
  });

  it("cuts a half-written last line and continues the seq", async () => {
    let store = await open();
    const last = await store.recordEvent({ level: "info", type: "x", message: "last good" });
    await store.close();
    await appendFile(temp.config.paths.structuredEventLogPath, '{"seq": 999, "createdAt": "2026');
    store = await open({}, true);
    const text = await readFile(temp.config.paths.structuredEventLogPath, "utf8");
    for (const line of text.trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
    const page = await store.queryEvents({ type: "state.recovered" });
    expect(page.events[0]!.detail).toMatchObject({ problem: "torn-tail" });
    expect(page.events[0]!.seq).toBe(last.seq + 1);
  });

  it("cuts a NUL-filled tail", async () => {
    let store = await open();
    const last = await store.recordEvent({ level: "info", type: "x", message: "last good" });
    await store.close();
    await appendFile(temp.config.paths.structuredEventLogPath, Buffer.alloc(8192));
    store = await open({}, true);
    const next = await store.recordEvent({ level: "info", type: "x", message: "next" });
    expect(next.seq).toBeGreaterThan(last.seq);
    const text = await readFile(temp.config.paths.structuredEventLogPath, "utf8");
    expect(text.includes("\0")).toBe(false);
    expect(text.trim().split("\n").map((l) => JSON.parse(l).seq)).toContain(next.seq);
  });

  it("continues seq from recent-events.json when the event log is gone", async () => {
    let store = await open();
    await Promise.all(Array.from({ length: 5 }, () => store.recordEvent({ level: "info", type: "x", message: "m" })));
    const last = store.lastSeq;
    await store.close();
    await writeFile(temp.config.paths.structuredEventLogPath, "");
    store = await open({}, true);
    const next = await store.recordEvent({ level: "info", type: "x", message: "after" });
    expect(next.seq).toBeGreaterThan(last);
  });
});

describe("events", () => {
  it("record a rotation of the event log that leaves its live file stuck, and none for one whose files had moved", async () => {
    const store = await open();
    const report = (store as unknown as { eventLog: { options: EventLogOptions } }).eventLog.options.onRotationFailed!;
    report(Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" }), false);
    report(Object.assign(new Error("EISDIR: illegal operation on a directory, rename"), { code: "EISDIR" }), true);
    await waitUntil(async () => (await store.queryEvents({ type: "event_log." })).events.length > 0, { what: "the rotation event" });
    await store.settled();
    const events = (await store.queryEvents({ type: "event_log." })).events;
    expect(events.map((e) => [e.type, e.level, e.detail?.cause])).toEqual([["event_log.rotation_failed", "warn", "EISDIR"]]);
  });

  it("filters by type prefix, level and correlation ids, and pages with after", async () => {
    const store = await open();
    await store.recordEvent({ level: "info", type: "run.queued", message: "q", runId: "r1" });
    await store.recordEvent({ level: "warn", type: "run.failed", message: "f", runId: "r1" });
    await store.recordEvent({ level: "error", type: "runner.x", message: "other" });
    await store.recordEvent({ level: "info", type: "session.created", message: "s", sessionId: "s1" });
    expect((await store.queryEvents({ type: "run." })).events.map((e) => e.type)).toEqual(["run.queued", "run.failed"]);
    expect((await store.queryEvents({ type: "run" })).events.map((e) => e.type)).toEqual(["run.queued", "run.failed"]);
    expect((await store.queryEvents({ level: "warn" })).events.map((e) => e.level)).toEqual(["warn", "error"]);
    expect((await store.queryEvents({ sessionId: "s1" })).events).toHaveLength(1);
    const first = await store.queryEvents({ limit: 2 });
    const rest = await store.queryEvents({ after: first.events.at(-1)!.seq });
    expect([...first.events, ...rest.events].map((e) => e.seq)).toEqual(
      Array.from({ length: first.events.length + rest.events.length }, (_, i) => first.events[0]!.seq + i),
    );
  });

  it("reads pages older than the cache from the log, across rotated files", async () => {
    const store = await open({ CODEXD_EVENT_CACHE_SIZE: "10", CODEXD_EVENT_LOG_MAX_BYTES: "4096", CODEXD_EVENT_LOG_KEEP_FILES: "50" });
    for (let i = 0; i < 20; i++) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => store.recordEvent({ level: "info", type: "bulk", message: `${i}-${j}` })));
    }
    const files = (await readdir(temp.config.paths.stateDir)).filter((f) => /^events\.jsonl\.\d+$/.test(f));
    expect(files.length).toBeGreaterThan(3);
    const all: number[] = [];
    let after = 0;
    for (;;) {
      const page = await store.queryEvents({ after, limit: 37, type: "bulk" });
      if (page.events.length === 0) break;
      all.push(...page.events.map((e) => e.seq));
      after = page.events.at(-1)!.seq;
    }
    expect(all).toHaveLength(200);
    expect(new Set(all).size).toBe(200);
  });

  it("drops the oldest rotated files beyond keepFiles and reports the oldest seq", async () => {
    const store = await open({ CODEXD_EVENT_LOG_MAX_BYTES: "4096", CODEXD_EVENT_LOG_KEEP_FILES: "2" });
    for (let i = 0; i < 200; i++) await store.recordEvent({ level: "info", type: "bulk", message: "m".repeat(50) });
    const files = (await readdir(temp.config.paths.stateDir)).filter((f) => f.startsWith("events.jsonl"));
    expect(files.sort()).toEqual(["events.jsonl", "events.jsonl.1", "events.jsonl.2"]);
    const page = await store.queryEvents({ after: 0, limit: 1 });
    expect(page.oldestSeq).toBeGreaterThan(1);
  });
});

describe("run retention", () => {
  it("moves finished runs beyond the retention count to the archive, still readable", async () => {
    let store = await open({ CODEXD_RUN_RETENTION: "3" });
    for (let i = 0; i < 10; i++) await store.upsertRun(run(`done-${i}`, "completed"));
    await store.upsertRun(run("active", "running"));
    await store.upsertRun(run("trigger", "queued"));
    const registry = JSON.parse(await readFile(temp.config.paths.runRegistryPath, "utf8"));
    const ids = registry.runs.map((r: RunRecord) => r.runId);
    expect(ids).toEqual(["done-7", "done-8", "done-9", "active", "trigger"]);
    expect((await store.getRun("done-0"))?.status).toBe("completed");
    store = await reopen(store);
    expect((await store.getRun("done-2"))?.runId).toBe("done-2");
    expect(store.archivedRunCount).toBe(7);
  });

  it("finds every archived run and Idempotency-Key again after a restart, whatever its line holds", async () => {
    let store = await open({ CODEXD_RUN_RETENTION: "1" });
    const cases: RunRecord[] = [
      run("plain", "completed"),
      { ...run("keyed", "completed"), idempotencyKey: "key-1" },
      // A nested key of that name and an id with characters JSON escapes: parsed, not guessed.
      { ...run("nested", "completed"), metadata: { idempotencyKey: "not-this-one", quote: '"runId":"x"' } },
      { ...run('odd"id\\é', "failed"), idempotencyKey: "key-2" },
      { ...run("unicode-é-😀", "completed"), prompt: "line\nbreak \u2028 and 😀" },
    ];
    for (const r of cases) await store.upsertRun(r);
    await store.upsertRun(run("last", "completed"));
    expect(store.archivedRunCount).toBe(cases.length);
    store = await reopen(store);
    expect(store.archivedRunCount).toBe(cases.length);
    for (const r of cases) expect(await store.getRun(r.runId)).toEqual(r);
    expect((await store.runForIdempotencyKey("key-1"))?.runId).toBe("keyed");
    expect((await store.runForIdempotencyKey("key-2"))?.runId).toBe('odd"id\\é');
    expect(await store.runForIdempotencyKey("not-this-one")).toBeNull();
  });

  it("reads archived runs after one holding U+2028/U+2029 at their own offsets after a restart", async () => {
    // Lines end at \n only: a reader also ending them at U+2028/U+2029 (node:readline from Node
    // 24 on) loses that run and shifts the byte offset of every run archived after it.
    let store = await open({ CODEXD_RUN_RETENTION: "1" });
    const cases: RunRecord[] = [
      { ...run("separators", "completed"), prompt: "a\u2028b\u2029c\u2028\u2028d", finalMessage: "\u2029" },
      ...["after-1", "after-2", "after-3"].map((id) => run(id, "completed")),
    ];
    for (const r of cases) await store.upsertRun(r);
    await store.upsertRun(run("last", "completed"));
    store = await reopen(store);
    for (const r of cases.slice(1)) expect(await store.getRun(r.runId)).toEqual(r);
    expect(await store.getRun("separators")).toEqual(cases[0]);
    expect(store.archivedRunCount).toBe(cases.length);
  });

  it("keeps a late update to an archived run across a restart", async () => {
    let store = await open({ CODEXD_RUN_RETENTION: "1" });
    await store.upsertRun(run("a", "completed"));
    await store.upsertRun(run("b", "completed"));
    expect(store.archivedRunCount).toBe(1);
    await store.upsertRun({ ...run("a", "completed"), metadata: { note: "late" } });
    store = await reopen(store);
    expect((await store.getRun("a"))?.metadata).toEqual({ note: "late" });
    await store.upsertRun(run("c", "queued"));
    store = await reopen(store);
    expect((await store.getRun("a"))?.metadata).toEqual({ note: "late" });
  });
});
