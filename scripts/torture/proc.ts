/**
 * The daemon as a real process (`node dist/src/cli.js serve`, the fake app-server as its child)
 * and what /proc says about the processes it leads to. Every process the torture starts carries
 * TORTURE_TAG in its environment (the daemon passes its environment to the child, the fake to its
 * grandchild), so everything can be found and killed on exit even when no pid is known.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { liveGroupMembers } from "../../src/child/process-group.js";
import { packageRoot } from "../../src/package-info.js";
import { Api } from "./http.js";

export { liveGroupMembers };

export const TAG_VAR = "CODEXD_TORTURE_TAG";
export const cliPath = join(packageRoot, "dist", "src", "cli.js");
export const fakeAppServerPath = join(packageRoot, "test", "fixtures", "fake-app-server.mjs");

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Stat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
}

function stat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { pid, state: f[0]!, ppid: Number(f[1]), pgrp: Number(f[2]) };
  } catch {
    return null;
  }
}

const pids = () =>
  readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
const live = (s: Stat | null): s is Stat => s !== null && s.state !== "Z" && s.state !== "X";

/** Process groups of the live direct children of `pid`. */
export function childGroups(pid: number): number[] {
  const groups = new Set<number>();
  for (const p of pids()) {
    const s = stat(p);
    if (live(s) && s.ppid === pid) groups.add(s.pgrp);
  }
  return [...groups];
}

function tagged(tag: string): number[] {
  const needle = `${TAG_VAR}=${tag}`;
  return pids().filter((p) => {
    if (p === process.pid || !live(stat(p))) return false;
    try {
      return readFileSync(`/proc/${p}/environ`, "latin1").split("\0").includes(needle);
    } catch {
      return false;
    }
  });
}

const ownGroup = stat(process.pid)?.pgrp ?? -1;
function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // gone already
  }
}

/**
 * SIGKILL every live process carrying the tag, and its group, until none is left. Synchronous,
 * so it also works in an `exit` handler. Returns how many processes it had to kill.
 */
export function killTaggedSync(tag: string, timeoutMs = 3000): number {
  const killed = new Set<number>();
  const deadline = Date.now() + timeoutMs;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const found = tagged(tag);
    if (found.length === 0 || Date.now() > deadline) return killed.size;
    for (const p of found) {
      const g = stat(p)?.pgrp;
      if (g !== undefined && g > 1 && g !== ownGroup) signal(-g, "SIGKILL");
      signal(p, "SIGKILL");
      killed.add(p);
    }
    Atomics.wait(nap, 0, 0, 20);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface DaemonProcess {
  pid: number;
  port: number;
  baseUrl: string;
  api: Api;
  proc: ChildProcess;
  exited: Promise<ExitInfo>;
  /** The last part of what it printed, for failure messages. */
  output(): string;
  kill(sig: NodeJS.Signals): void;
  alive(): boolean;
}

export interface StartOptions {
  stateDir: string;
  cwd: string;
  tag: string;
  env: Record<string, string>;
  timeoutMs?: number;
}

/** The environment of this process without anything that would leak into the daemon. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith("CODEXD_") || k.startsWith("FAKE_") || k === "NODE_OPTIONS") continue;
    env[k] = v;
  }
  return env;
}

function spawnDaemon(port: number, options: StartOptions): DaemonProcess {
  const env = {
    ...baseEnv(),
    [TAG_VAR]: options.tag,
    CODEXD_HOST: "127.0.0.1",
    CODEXD_PORT: String(port),
    CODEXD_STATE_DIR: options.stateDir,
    CODEXD_CHILD_COMMAND: process.execPath,
    CODEXD_CHILD_ARGS: JSON.stringify([fakeAppServerPath]),
    ...options.env,
  };
  // Its own process group: a group kill aimed at it never reaches this process.
  const proc = spawn(process.execPath, [cliPath, "serve"], { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  const keep = (chunk: Buffer) => {
    out += chunk.toString("utf8");
    if (out.length > 64_000) out = out.slice(-32_000);
  };
  proc.stdout!.on("data", keep);
  proc.stderr!.on("data", keep);
  proc.once("error", () => {});
  const exited = new Promise<ExitInfo>((r) => proc.once("exit", (code, sig) => r({ code, signal: sig })));
  const baseUrl = `http://127.0.0.1:${port}`;
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  return {
    pid: proc.pid!,
    port,
    baseUrl,
    api: new Api(baseUrl),
    proc,
    exited,
    output: () => out,
    kill: (sig) => {
      if (alive()) signal(proc.pid!, sig);
    },
    alive,
  };
}

/** Start `codexd serve` on a free port and wait until /healthz answers (a port taken meanwhile is retried). */
export async function startDaemon(options: StartOptions): Promise<DaemonProcess> {
  let last = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const daemon = spawnDaemon(await freePort(), options);
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    while (Date.now() < deadline && daemon.alive()) {
      const res = await daemon.api.call("GET", "/healthz", undefined, {}, 1000).catch(() => null);
      if (res?.status === 200) return daemon;
      await sleep(20);
    }
    daemon.kill("SIGKILL");
    await daemon.exited;
    await daemon.api.close();
    last = daemon.output();
    if (!/EADDRINUSE|cannot listen/.test(last)) break;
  }
  throw new Error(`daemon did not come up; its output:\n${last.slice(-4000)}`);
}
