/**
 * The daemon as a real process: `node dist/src/cli.js serve` on a free port, stopped by signals,
 * refusing bad settings and unusable state directories, and keeping seq across restarts.
 * Needs a build (`npm run build`; `npm test` builds first).
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CodexdEvent } from "../../schemas/events.js";
import type { StatusResponse } from "../../schemas/status.js";
import { waitUntil } from "../helpers/deadline.js";
import { fakeChildEnv, repoRoot } from "../helpers/in-process-daemon.js";
import { responseAuditEnv } from "../helpers/temp-config.js";
import { cleanEnv, freePort, killAll, listensOn, processAlive, spawnTracked, type Spawned } from "../helpers/processes.js";

const cli = join(repoRoot, "dist", "src", "cli.js");
let work: string;

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  work = await mkdtemp(join(tmpdir(), "codexd-e2e-"));
});

afterEach(async () => {
  await killAll();
});

afterAll(async () => {
  await killAll();
  if (work) await rm(work, { recursive: true, force: true });
});

let dirCount = 0;
const freshStateDir = () => join(work, `state-${++dirCount}`);

interface RunningDaemon {
  proc: Spawned;
  port: number;
  base: string;
  stateDir: string;
}

function spawnDaemon(stateDir: string, env: Record<string, string>): Spawned {
  return spawnTracked(process.execPath, [cli, "serve"], {
    cwd: work,
    env: cleanEnv({
      ...fakeChildEnv(),
      CODEXD_HOST: "127.0.0.1",
      CODEXD_STATE_DIR: stateDir,
      CODEXD_LOG_LEVEL: "warn",
      ...responseAuditEnv(),
      ...env,
    }),
  });
}

/** Start `codexd serve` and wait (deadline-polled) until /healthz answers. */
async function startDaemon(stateDir = freshStateDir(), env: Record<string, string> = {}): Promise<RunningDaemon> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc = spawnDaemon(stateDir, { CODEXD_PORT: String(port), ...env });
    const base = `http://127.0.0.1:${port}`;
    const up = await waitUntil(
      async () => {
        if (proc.hasExited()) return "exited" as const;
        const response = await fetch(`${base}/healthz`);
        return response.status === 200 && listensOn(proc.pid, port) ? ("up" as const) : false;
      },
      { timeoutMs: 90_000, intervalMs: 25, what: `${base}/healthz` },
    );
    if (up === "up") return { proc, port, base, stateDir };
    // Someone else took the port between freePort() and listen(): try another one.
    if (attempt < 3 && /cannot listen/.test(proc.stderr())) continue;
    throw new Error(`codexd exited before serving (exit ${JSON.stringify(await proc.exited)}):\n${proc.stderr()}`);
  }
}

async function readEvents(stateDir: string): Promise<CodexdEvent[]> {
  const text = await readFile(join(stateDir, "events.jsonl"), "utf8");
  expect(text.endsWith("\n"), "events.jsonl ends with a complete line").toBe(true);
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as CodexdEvent);
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return (await response.json()) as T;
}

describe("codexd serve", () => {
  it("serves /healthz, /v1/status and /docs on the chosen port", async () => {
    const d = await startDaemon();
    expect(await getJson(`${d.base}/healthz`)).toEqual({ status: "ok" });

    const status = await getJson<StatusResponse>(`${d.base}/v1/status`);
    expect(status.daemon).toMatchObject({ started: true, pid: d.proc.pid });
    expect(status.config.http.port).toBe(d.port);
    expect(status.config.paths.stateDir).toBe(d.stateDir);
    expect(status.events.lastSeq).toBeGreaterThanOrEqual(1);

    const docs = await fetch(`${d.base}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toMatch(/^text\/html\b/);
    expect(await docs.text()).toMatch(/<html/i);

    const contract = await fetch(`${d.base}/openapi.json`);
    expect(contract.status).toBe(200);
    expect(((await contract.json()) as { openapi: string }).openapi).toMatch(/^3\.1\./);
  });

  it.each(["SIGTERM", "SIGINT"] as const)("%s stops it: exit 0, daemon.stopped is the last event, state says stopped", async (signal) => {
    const d = await startDaemon();
    const status = await getJson<StatusResponse>(`${d.base}/v1/status`);
    const childPid = status.child.pid;
    d.proc.child.kill(signal);
    const exit = await d.proc.waitExit(20_000);
    expect(exit, d.proc.stderr()).toEqual({ code: 0, signal: null });

    const events = await readEvents(d.stateDir);
    const last = events.at(-1)!;
    expect(last.type, JSON.stringify(events.slice(-3))).toBe("daemon.stopped");
    expect(last.bootId).toBe(status.daemon.bootId);
    expect(last.detail).toMatchObject({ reason: signal });

    const state = JSON.parse(await readFile(join(d.stateDir, "daemon-state.json"), "utf8")) as { started: boolean; pid: number | null; stoppedAt: string | null };
    expect(state.started).toBe(false);
    expect(state.pid).toBeNull();
    expect(state.stoppedAt).not.toBeNull();

    // The supervised child went with it.
    if (childPid !== null) await waitUntil(() => !processAlive(childPid), { timeoutMs: 5_000, what: `child pid ${childPid} to be gone` });
  });

  it("restarts on the same state dir with seq still increasing and a new bootId", async () => {
    const stateDir = freshStateDir();
    const first = await startDaemon(stateDir);
    const firstStatus = await getJson<StatusResponse>(`${first.base}/v1/status`);
    first.proc.child.kill("SIGTERM");
    expect(await first.proc.waitExit(20_000), first.proc.stderr()).toEqual({ code: 0, signal: null });
    const stopped = (await readEvents(stateDir)).filter((e) => e.type === "daemon.stopped").at(-1)!;
    expect(stopped.bootId).toBe(firstStatus.daemon.bootId);

    const second = await startDaemon(stateDir);
    const secondStatus = await getJson<StatusResponse>(`${second.base}/v1/status`);
    expect(secondStatus.daemon.bootId).not.toBe(firstStatus.daemon.bootId);
    expect(secondStatus.identity.daemonId).toBe(firstStatus.identity.daemonId);
    // Stopped before events.jsonl is read: a live daemon may be appending to it.
    second.proc.child.kill("SIGTERM");
    expect(await second.proc.waitExit(20_000), second.proc.stderr()).toEqual({ code: 0, signal: null });

    const events = await readEvents(stateDir);
    const started = events.filter((e) => e.type === "daemon.started" && e.bootId === secondStatus.daemon.bootId);
    expect(started, JSON.stringify(events.map((e) => [e.seq, e.type]))).toHaveLength(1);
    expect(started[0]!.seq).toBeGreaterThan(stopped.seq);
    for (const e of events) expect([firstStatus.daemon.bootId, secondStatus.daemon.bootId], `bootId of seq ${e.seq}`).toContain(e.bootId);
    const seqs = events.map((e) => e.seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i], `seq after ${seqs[i - 1]}`).toBeGreaterThan(seqs[i - 1]!);
    expect(secondStatus.events.lastSeq).toBeGreaterThanOrEqual(started[0]!.seq);
  });
});

describe("codexd serve refuses to start", () => {
  const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at\s/);

  it("when the state dir is a regular file: exit 1 naming the directory", async () => {
    const file = join(work, "not-a-directory");
    await writeFile(file, "I am a file\n");
    const proc = spawnDaemon(file, { CODEXD_PORT: String(await freePort()) });
    const exit = await proc.waitExit(60_000);
    expect(exit.code, proc.stderr()).toBe(1);
    expect(proc.stderr()).toContain(file);
    expect(proc.stderr()).toMatch(/state dir/i);
    noStack(proc.stderr());
    expect(await readFile(file, "utf8")).toBe("I am a file\n");
  });

  it("while another live daemon uses the state dir: exit 1 naming its pid, the first one and its child untouched; after a kill -9 the lock is taken over", async () => {
    const first = await startDaemon();
    const child = await waitUntil(async () => {
      const state = await getJson<{ status: string; pid: number | null }>(`${first.base}/v1/child`);
      return state.status === "running" && state;
    }, { what: "the first daemon's child to run" });
    const stateFiles = await readFile(join(first.stateDir, "daemon-state.json"), "utf8");

    const second = spawnDaemon(first.stateDir, { CODEXD_PORT: String(await freePort()) });
    expect((await second.waitExit(60_000)).code, second.stderr()).toBe(1);
    expect(second.stderr()).toContain(`in use by another codexd (pid ${first.proc.pid}`);
    noStack(second.stderr());
    // The second one wrote nothing and killed nothing.
    expect(await readFile(join(first.stateDir, "daemon-state.json"), "utf8")).toBe(stateFiles);
    expect(processAlive(child.pid!)).toBe(true);
    expect((await getJson<{ pid: number }>(`${first.base}/v1/child`)).pid).toBe(child.pid);

    first.proc.child.kill("SIGKILL");
    await first.proc.waitExit(60_000);
    const next = await startDaemon(first.stateDir);
    expect((await getJson<StatusResponse>(`${next.base}/v1/status`)).daemon.pid).toBe(next.proc.pid);
  });

  it.each([
    ["CODEXD_PORT", "abc", /integer from 0 to 65535/],
    ["CODEXD_EVENT_CACHE_SIZE", "0", /integer from 1 to/],
    ["CODEXD_CHILD_ARGS", "notjson", /JSON array of strings/],
  ])("when %s=%s: exit 1 naming the setting, the value and what is allowed", async (name, value, allowed) => {
    const stateDir = freshStateDir();
    const proc = spawnDaemon(stateDir, { CODEXD_PORT: String(await freePort()), [name]: value });
    const exit = await proc.waitExit(60_000);
    expect(exit.code, proc.stderr()).toBe(1);
    const stderr = proc.stderr();
    expect(stderr).toContain(name);
    expect(stderr).toContain(value);
    expect(stderr).toMatch(allowed);
    noStack(stderr);
    expect(existsSync(stateDir), "nothing is written when the config is invalid").toBe(false);
  });
});
