/**
 * A state directory that fills up or turns read-only under a running daemon, on a real small
 * tmpfs and a real read-only bind mount (needs root, like the CI container): writes are refused
 * with 507/503 problem+json naming the state dir and the cause, nothing refused is executed,
 * reads answer from memory marked degraded, /readyz says why, and the daemon recovers by itself.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitUntil } from "../helpers/deadline.js";
import { startInProcessDaemon, type InProcessDaemon } from "../helpers/in-process-daemon.js";
import { cliPath } from "../helpers/daemon-process.js";
import { cleanEnv, spawnTracked } from "../helpers/processes.js";
import { RunsApi } from "../helpers/runs-api.js";

let d: InProcessDaemon | null = null;
let mountPoint: string | null = null;
let scratch: string | null = null;

afterEach(async () => {
  await d?.close().catch(() => {});
  d = null;
  if (mountPoint) execFileSync("umount", ["-l", mountPoint]);
  mountPoint = null;
  if (scratch) await rm(scratch, { recursive: true, force: true });
  scratch = null;
});

async function scratchDir(): Promise<string> {
  scratch = await mkdtemp(join(tmpdir(), "codexd-storage-"));
  return scratch;
}

/** Fill the file system under `dir` to the last byte; returns the filler's path. */
async function fill(dir: string): Promise<string> {
  const filler = join(dir, "filler");
  const chunk = Buffer.alloc(4096, 1);
  const { open } = await import("node:fs/promises");
  const handle = await open(filler, "w");
  try {
    for (;;) await handle.write(chunk);
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC");
  } finally {
    await handle.close();
  }
  return filler;
}

async function startOn(stateDir: string): Promise<RunsApi> {
  d = await startInProcessDaemon({ CODEXD_STATE_DIR: stateDir, CODEXD_STORAGE_RETRY_INTERVAL_MS: "100" }, { listen: true });
  const api = new RunsApi(d.baseUrl);
  await waitUntil(async () => (await api.call("GET", "/readyz")).status === 200, { what: "daemon ready", timeoutMs: 30_000 });
  return api;
}

function expectStorageProblem(res: { status: number; headers: Headers; body: any }, status: number, code: string, stateDir: string, cause: string): void {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/application\/problem\+json/);
  expect(res.body.code).toBe(code);
  expect(res.body.stateDir).toBe(stateDir);
  expect(res.body.cause).toBe(cause);
  expect(res.body.detail).toContain(stateDir);
  expect(res.body.detail).toContain(cause);
  // Neither temp file names nor a raw errno message with a path.
  expect(JSON.stringify(res.body)).not.toMatch(/\.tmp|open '|rename '/);
}

describe("storage full or read-only", () => {
  it("answers 507 on a full state dir, rolls the refused run back, reads on, and recovers when space returns", async () => {
    const dir = await scratchDir();
    mountPoint = join(dir, "mnt");
    await mkdir(mountPoint);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", mountPoint]);
    const stateDir = join(mountPoint, "state");
    const api = await startOn(stateDir);
    const first = await api.start({ prompt: "before the disk fills" });
    await api.waitTerminal(first.runId);

    const filler = await fill(mountPoint);
    const refused = await api.create({ prompt: "refused: must never run" });
    expectStorageProblem(refused, 507, "CODEXD_STORAGE_FULL", stateDir, "ENOSPC");
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);

    // Reads answer from memory, marked degraded; the refused run is not there.
    const list = await api.call("GET", "/v1/runs");
    expect(list.status).toBe(200);
    expect(list.headers.get("x-codexd-store")).toBe("degraded");
    expect(list.body.runs.map((r: { runId: string }) => r.runId)).toEqual([first.runId]);
    const status = await api.call("GET", "/v1/status");
    expect(status.status).toBe(200);
    expect(status.body.store).toMatchObject({ status: "degraded", stateDir, cause: "ENOSPC", code: "CODEXD_STORAGE_FULL" });
    const ready = await api.call("GET", "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.reasons.join(" ")).toContain("ENOSPC");
    expect((await api.call("GET", "/healthz")).status).toBe(200);

    // A second refused write is refused the same way, not a bare 500.
    expectStorageProblem(await api.call("POST", "/v1/sessions", { body: {} }), 507, "CODEXD_STORAGE_FULL", stateDir, "ENOSPC");

    await rm(filler);
    await waitUntil(async () => (await api.call("GET", "/readyz")).status === 200, { what: "recovery after space returned", timeoutMs: 30_000 });
    const after = await api.call("GET", "/v1/runs");
    expect(after.headers.get("x-codexd-store")).toBeNull();
    expect(after.body.runs.map((r: { runId: string }) => r.runId)).toEqual([first.runId]);
    expect((await api.call("GET", "/v1/status")).body.store).toMatchObject({ status: "ok" });

    const storeEvents = (await api.call("GET", "/v1/events?type=store.&limit=1000")).body.events;
    expect(storeEvents.map((e: { type: string }) => e.type)).toEqual(["store.degraded", "store.recovered"]);
    expect(storeEvents[0].detail).toMatchObject({ stateDir, cause: "ENOSPC" });
    // Nothing of the refused run was ever started: only the first run has run events.
    const runEvents = (await api.call("GET", "/v1/events?type=run.&limit=1000")).body.events;
    expect(new Set(runEvents.map((e: { runId: string }) => e.runId))).toEqual(new Set([first.runId]));

    // Writes work again, and a retry runs exactly once.
    const retried = await api.start({ prompt: "refused: must never run" });
    expect((await api.waitTerminal(retried.runId)).status).toBe("completed");
    const runs = (await api.call("GET", "/v1/runs")).body.runs;
    expect(runs.filter((r: { prompt: string }) => r.prompt === "refused: must never run")).toHaveLength(1);
  });

  it("answers 503 on a read-only state dir and recovers when it is writable again", async () => {
    const dir = await scratchDir();
    const stateDir = join(dir, "state");
    await mkdir(stateDir, { mode: 0o700 });
    await writeFile(join(dir, "keep"), "");
    const api = await startOn(stateDir);
    mountPoint = stateDir;
    execFileSync("mount", ["--bind", stateDir, stateDir]);
    execFileSync("mount", ["-o", "remount,bind,ro", stateDir]);

    const refused = await api.create({ prompt: "refused on a read-only dir" });
    expectStorageProblem(refused, 503, "CODEXD_STORAGE_UNAVAILABLE", stateDir, "EROFS");
    const list = await api.call("GET", "/v1/runs");
    expect(list.status).toBe(200);
    expect(list.headers.get("x-codexd-store")).toBe("degraded");
    expect(list.body.runs).toEqual([]);
    const ready = await api.call("GET", "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.reasons.join(" ")).toContain("EROFS");

    execFileSync("mount", ["-o", "remount,bind,rw", stateDir]);
    await waitUntil(async () => (await api.call("GET", "/readyz")).status === 200, { what: "recovery after remount rw", timeoutMs: 30_000 });
    expect((await api.call("GET", "/v1/runs")).body.runs).toEqual([]);
    const storeEvents = (await api.call("GET", "/v1/events?type=store.&limit=1000")).body.events;
    expect(storeEvents.map((e: { type: string }) => e.type)).toEqual(["store.degraded", "store.recovered"]);
    expect(storeEvents[0].detail).toMatchObject({ stateDir, cause: "EROFS" });
  });
});

describe("an event log that cannot rotate", () => {
  it("the status says so, with the cause and since when, and events record when it fails and when it rotates again", async () => {
    const stateDir = join(await scratchDir(), "state");
    await mkdir(stateDir);
    // A directory with a file in it where the newest rotated file goes: the rename fails.
    const obstacle = join(stateDir, "events.jsonl.1");
    await mkdir(obstacle);
    await writeFile(join(obstacle, "keep"), "x");
    d = await startInProcessDaemon({ CODEXD_STATE_DIR: stateDir, CODEXD_EVENT_LOG_MAX_BYTES: "4096" }, { listen: true });
    const api = new RunsApi(d.baseUrl);
    const filler = () => d!.daemon.store.recordEvent({ level: "info", type: "test.filler", message: "x".repeat(600) });
    const rotation = async () => (await api.call("GET", "/v1/status")).body.events.rotation;

    for (let i = 0; i < 8; i++) await filler();
    const failing = await waitUntil(async () => ((await rotation()).status === "failing" ? rotation() : false), { what: "the status to say the rotation fails" });
    expect(failing).toMatchObject({ status: "failing", cause: "EISDIR", reason: expect.stringContaining("EISDIR") });
    expect(Number.isNaN(Date.parse(failing.since))).toBe(false);
    const failed = await waitUntil(async () => (await api.events({ type: "event_log.rotation_failed" }))[0], { what: "the rotation_failed event" });
    expect(failed).toMatchObject({ level: "warn", detail: { cause: "EISDIR", file: join(stateDir, "events.jsonl") } });
    // The command line's status shows it too.
    const status = spawnTracked(process.execPath, [cliPath, "status"], { env: cleanEnv({ CODEXD_URL: d.baseUrl, NO_COLOR: "1" }) });
    expect((await status.waitExit(60_000)).code).toBe(0);
    expect(status.stdout()).toMatch(/^event log: +not rotating since .+: EISDIR \(.*EISDIR.*\)$/m);

    await rm(obstacle, { recursive: true });
    // A rotation is tried again on an append a second or more after the last failure.
    await waitUntil(async () => (await filler(), (await rotation()).status === "ok"), { what: "the status to say the log rotates again", intervalMs: 200 });
    expect(await rotation()).toEqual({ status: "ok", cause: null, reason: null, since: null });
    const events = await waitUntil(async () => {
      const all = await api.events({ type: "event_log." });
      return all.length === 2 && all;
    }, { what: "the rotation_recovered event" });
    expect(events.map((e) => [e.level, e.type])).toEqual([["warn", "event_log.rotation_failed"], ["info", "event_log.rotation_recovered"]]);
  });
});
