/**
 * Real child processes for e2e tests: spawn with output captured, wait for exit with a deadline,
 * and kill whatever is still running at teardown.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { existsSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";
import { withDeadline } from "./deadline.js";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** Everything written so far (capped at a few MB per stream). */
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Exit>;
  /** Whether the process has exited. */
  hasExited: () => boolean;
  /** Wait for the exit, failing after `ms`. */
  waitExit: (ms?: number) => Promise<Exit>;
}

const live = new Set<Spawned>();
const CAP = 4 * 1024 * 1024;

/** Spawn with stdout/stderr captured; the process is tracked until killAll() or its exit. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions = {}): Spawned {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  if (child.pid === undefined) throw new Error(`could not spawn ${command}`);
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stdout?.on("data", (d: string) => {
    if (out.length < CAP) out += d;
  });
  child.stderr?.on("data", (d: string) => {
    if (err.length < CAP) err += d;
  });
  let done = false;
  // "close" rather than "exit": the output streams are drained by then.
  const exited = new Promise<Exit>((resolve) => {
    child.once("close", (code, signal) => {
      done = true;
      live.delete(spawned);
      resolve({ code, signal });
    });
  });
  const spawned: Spawned = {
    child,
    pid: child.pid,
    stdout: () => out,
    stderr: () => err,
    exited,
    hasExited: () => done,
    waitExit: (ms = 60_000) =>
      withDeadline(exited, ms, `pid ${child.pid} (${[command, ...args].join(" ")}) to exit; stderr so far:\n${err.slice(-2000)}`),
  };
  live.add(spawned);
  return spawned;
}

/** SIGKILL every tracked process that is still running and wait for each to be gone. */
export async function killAll(): Promise<void> {
  const running = [...live];
  for (const p of running) {
    try {
      p.child.kill("SIGKILL");
    } catch {
      /* already gone */
    }
  }
  await Promise.all(running.map((p) => p.waitExit(30_000)));
}

/** A TCP port that was free a moment ago (listen on 0, read it, close). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("no port"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** The test process's environment without any CODEXD_* setting, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("CODEXD_")) env[key] = value;
  return { ...env, ...extra };
}

/** Whether a pid names a live process (a zombie counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true;
  }
}

/**
 * Whether process `pid` holds a listening TCP socket on `port` (Linux /proc). A free port can be
 * taken by another test's process between freePort() and listen(): answering on the port is not
 * proof that the process we started is the one answering.
 */
export function listensOn(pid: number, port: number): boolean {
  // Without /proc there is no telling: answering on the port has to do.
  if (!existsSync("/proc/net/tcp")) return true;
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; the inode is the tenth field.
      if (f.length > 9 && f[3] === "0A" && Number.parseInt(f[1]!.split(":")[1]!, 16) === port) inodes.add(f[9]!);
    }
  }
  if (inodes.size === 0) return false;
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        return target.startsWith("socket:[") && inodes.has(target.slice(8, -1));
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
