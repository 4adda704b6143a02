/**
 * Runs the built daemon (`node dist/src/cli.js serve`) as a real process for e2e tests, and
 * finds, checks and kills the real processes it leads to (children, grandchildren).
 *
 * Every daemon gets a unique CODEXD_E2E_TAG in its environment. The daemon passes its
 * environment to the child and the fake passes it to its grandchild, so `killTagged(tag)` finds
 * every process of a test through /proc/<pid>/environ, even when the test failed half-way and
 * nobody knows their pids.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { waitUntil } from "./deadline.js";
import { freePort, listensOn } from "./processes.js";
import { realMonotonicNow } from "./real-clocks.js";
import { responseAuditEnv } from "./temp-config.js";

export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const cliPath = join(repoRoot, "dist", "src", "cli.js");
export const fakeAppServerPath = join(repoRoot, "test", "fixtures", "fake-app-server.mjs");

const TAG_VAR = "CODEXD_E2E_TAG";

// ---------------------------------------------------------------------------------------------
// waiting
// ---------------------------------------------------------------------------------------------

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// processes through /proc
// ---------------------------------------------------------------------------------------------

export interface ProcInfo {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  /** utime + stime in clock ticks */
  cpuTicks: number;
}

export function procStat(pid: number): ProcInfo | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // comm is in parentheses and may hold spaces: the fields start after the last ')'.
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { pid, state: f[0]!, ppid: Number(f[1]), pgrp: Number(f[2]), cpuTicks: Number(f[11]) + Number(f[12]) };
}

/** Alive and not a zombie (a zombie has ended; it only waits to be reaped). */
export function isAlive(pid: number): boolean {
  const s = procStat(pid);
  return s !== null && s.state !== "Z" && s.state !== "X";
}

function allPids(): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
}

/** Live (non-zombie) members of a process group. */
export function liveGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const pid of allPids()) {
    const s = procStat(pid);
    if (s && s.pgrp === pgid && s.state !== "Z" && s.state !== "X") members.push(pid);
  }
  return members;
}

function hasTag(pid: number, tag: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(`${TAG_VAR}=${tag}`);
  } catch {
    return false;
  }
}

/** Live processes started (directly or not) by the daemons of one test. */
export function taggedProcesses(tag: string): number[] {
  return allPids().filter((pid) => pid !== process.pid && isAlive(pid) && hasTag(pid, tag));
}

const ownPgrp = procStat(process.pid)?.pgrp ?? -1;

function kill(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch {
    // already gone
  }
}

/** SIGKILL every process (and its whole group) carrying the tag, until none is left. */
export async function killTagged(tag: string, timeoutMs = 5_000): Promise<number[]> {
  const killed = new Set<number>();
  const deadline = realMonotonicNow() + timeoutMs;
  for (;;) {
    const pids = taggedProcesses(tag);
    if (pids.length === 0) return [...killed];
    for (const pid of pids) {
      const pgrp = procStat(pid)?.pgrp;
      if (pgrp !== undefined && pgrp > 1 && pgrp !== ownPgrp) kill(-pgrp, "SIGKILL");
      kill(pid, "SIGKILL");
      killed.add(pid);
    }
    if (realMonotonicNow() >= deadline) throw new Error(`processes tagged ${tag} survive SIGKILL: ${pids.join(", ")}`);
    await delay(20);
  }
}

/** CPU time (ms) a process has used so far. */
export function cpuTimeMs(pid: number): number {
  const s = procStat(pid);
  if (!s) throw new Error(`no process ${pid}`);
  return s.cpuTicks * 10; // USER_HZ is 100 on Linux
}

// ---------------------------------------------------------------------------------------------
// ports and directories
// ---------------------------------------------------------------------------------------------

export interface Workspace {
  /** Temp dir: daemon cwd; state lives in `<dir>/state`. */
  dir: string;
  stateDir: string;
  /** A tag shared by all daemons of this workspace (and so by their children). */
  tag: string;
  daemons: DaemonProcess[];
  start(env?: Record<string, string>, launch?: Pick<StartOptions, "prefix" | "readyTimeoutMs">): Promise<DaemonProcess>;
  /** Kill every daemon and every process they led to, then remove the directory. */
  cleanup(): Promise<void>;
}

export async function createWorkspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), "codexd-e2e-"));
  const tag = randomUUID();
  const ws: Workspace = {
    dir,
    stateDir: join(dir, "state"),
    tag,
    daemons: [],
    async start(env = {}, launch = {}) {
      const daemon = await startDaemon({ cwd: dir, stateDir: ws.stateDir, tag, env, ...launch });
      ws.daemons.push(daemon);
      return daemon;
    },
    async cleanup() {
      for (const d of ws.daemons) d.kill("SIGKILL");
      await Promise.all(ws.daemons.map((d) => d.exited));
      await killTagged(tag);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return ws;
}

// ---------------------------------------------------------------------------------------------
// the daemon process
// ---------------------------------------------------------------------------------------------

export interface HttpResult<T = any> {
  status: number;
  contentType: string;
  body: T;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildEvent {
  seq: number;
  type: string;
  level: string;
  message: string;
  createdAt: string;
  detail: Record<string, any> | null;
}

export interface DaemonProcess {
  pid: number;
  port: number;
  baseUrl: string;
  proc: ChildProcess;
  exited: Promise<ExitInfo>;
  /** What the daemon printed (pino JSON lines and anything on stderr), for failure messages. */
  output(): string;
  request<T = any>(method: string, path: string, body?: unknown): Promise<HttpResult<T>>;
  get<T = any>(path: string): Promise<HttpResult<T>>;
  post<T = any>(path: string, body?: unknown): Promise<HttpResult<T>>;
  /** GET /v1/child, body only. */
  child(): Promise<any>;
  /** POST /v1/child/wait; throws when the condition is not reached in time. */
  waitForChild(condition: string, timeoutMs?: number): Promise<any>;
  /** Events of a type (exact, or a prefix ending in '.'), oldest first, all pages. */
  events(type: string): Promise<ChildEvent[]>;
  /** `child.state_changed` events as {from, to, cause, ...detail}. */
  transitions(): Promise<Array<{ from: string; to: string; cause: string; [k: string]: any }>>;
  kill(signal: NodeJS.Signals): void;
}

export interface StartOptions {
  cwd: string;
  stateDir: string;
  tag: string;
  env?: Record<string, string>;
  /** How long to wait for /healthz. */
  readyTimeoutMs?: number;
  /** A command that execs the daemon, e.g. `["prlimit", "--nofile=256"]` (the pid stays the daemon's). */
  prefix?: string[];
}

/** The environment of the test runner without any setting that would leak into the daemon. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith("CODEXD_") || k.startsWith("FAKE_") || k.startsWith("VITEST") || k === "NODE_OPTIONS") continue;
    env[k] = v;
  }
  return env;
}

/**
 * Spawn `codexd serve` on a free port with the fake app-server as its child (unless `env`
 * says otherwise) and wait until /healthz answers. A port taken in between is retried.
 */
export async function startDaemon(options: StartOptions): Promise<DaemonProcess> {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run npm run build first`);
  let lastFailure = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const daemon = spawnDaemon(port, options);
    const outcome = await waitUntil(
      async () => {
        if (daemon.proc.exitCode !== null || daemon.proc.signalCode !== null) return "exited" as const;
        // Answered by our process, not by another test's daemon that took the port meanwhile.
        return (await daemon.get("/healthz")).status === 200 && listensOn(daemon.pid, port) && ("up" as const);
      },
      { what: `daemon /healthz on port ${port}`, timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 25 },
    ).catch((error: Error) => error);
    if (outcome === "up") return daemon;
    daemon.kill("SIGKILL");
    await daemon.exited;
    lastFailure = outcome instanceof Error ? outcome.message : `daemon exited (${JSON.stringify(await daemon.exited)})`;
    if (!/EADDRINUSE|cannot listen/.test(daemon.output())) {
      throw new Error(`daemon did not come up: ${lastFailure}\n--- daemon output ---\n${daemon.output()}`);
    }
  }
  throw new Error(`daemon did not come up after 3 ports: ${lastFailure}`);
}

function spawnDaemon(port: number, options: StartOptions): DaemonProcess {
  const env: Record<string, string> = {
    ...baseEnv(),
    [TAG_VAR]: options.tag,
    CODEXD_HOST: "127.0.0.1",
    CODEXD_PORT: String(port),
    CODEXD_STATE_DIR: options.stateDir,
    CODEXD_LOG_LEVEL: "info",
    CODEXD_CHILD_COMMAND: process.execPath,
    CODEXD_CHILD_ARGS: JSON.stringify([fakeAppServerPath]),
    ...responseAuditEnv(),
    ...options.env,
  };
  // Own process group: a kill of the daemon's group never reaches the test runner.
  const [command, ...args] = [...(options.prefix ?? []), process.execPath, cliPath, "serve"];
  const proc = spawn(command!, args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  const keep = (chunk: Buffer) => {
    out += chunk.toString("utf8");
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout!.on("data", keep);
  proc.stderr!.on("data", keep);
  const exited = new Promise<ExitInfo>((r) => proc.once("exit", (code, signal) => r({ code, signal })));
  proc.once("error", () => {});
  const baseUrl = `http://127.0.0.1:${port}`;

  const request = async <T = any>(method: string, path: string, body?: unknown): Promise<HttpResult<T>> => {
    const init: RequestInit = { method, signal: AbortSignal.timeout(20_000) };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { "content-type": "application/json" };
    }
    const res = await fetch(baseUrl + path, init).catch((error: Error) => {
      // Say what the daemon was doing: a refused or reset request alone tells nothing.
      const state = proc.exitCode !== null || proc.signalCode !== null ? `exited (${proc.exitCode ?? proc.signalCode})` : "running";
      throw new Error(`${method} ${path} on pid ${proc.pid} failed: ${error.message} (${(error.cause as Error | undefined)?.message ?? "no cause"}); daemon ${state}\n--- daemon output (tail) ---\n${out.slice(-4000)}`, { cause: error });
    });
    const contentType = res.headers.get("content-type") ?? "";
    const text = await res.text();
    const parsed: unknown = contentType.includes("json") && text.length > 0 ? JSON.parse(text) : text;
    return { status: res.status, contentType, body: parsed as T };
  };

  const daemon: DaemonProcess = {
    pid: proc.pid!,
    port,
    baseUrl,
    proc,
    exited,
    output: () => out,
    request,
    get: (path) => request("GET", path),
    post: (path, body) => request("POST", path, body),
    async child() {
      const res = await request("GET", "/v1/child");
      if (res.status !== 200) throw new Error(`GET /v1/child: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async waitForChild(condition, timeoutMs = 60_000) {
      const res = await request("POST", `/v1/child/wait?condition=${encodeURIComponent(condition)}&timeoutMs=${timeoutMs}`);
      if (res.status !== 200) throw new Error(`wait ${condition}: ${res.status} ${JSON.stringify(res.body)}`);
      if (!res.body.matched) throw new Error(`child did not reach ${condition} within ${timeoutMs} ms; state: ${JSON.stringify(res.body.state)}`);
      return res.body.state;
    },
    async events(type) {
      const all: ChildEvent[] = [];
      let after = 0;
      for (;;) {
        const res = await request("GET", `/v1/events?type=${encodeURIComponent(type)}&after=${after}&limit=1000`);
        if (res.status !== 200) throw new Error(`GET /v1/events: ${res.status} ${JSON.stringify(res.body)}`);
        all.push(...(res.body.events as ChildEvent[]));
        if (res.body.nextAfter === null) return all;
        after = res.body.nextAfter as number;
      }
    },
    async transitions() {
      const events = await daemon.events("child.state_changed");
      return events.map((e) => ({ ...(e.detail ?? {}), seq: e.seq }) as unknown as { from: string; to: string; cause: string });
    },
    kill(signal) {
      if (proc.exitCode === null && proc.signalCode === null) kill(proc.pid!, signal);
    },
  };
  return daemon;
}
