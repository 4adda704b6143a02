import { execFile, spawn } from "node:child_process";

/** A git command that failed: `message` is git's own stderr (or how it ended). */
export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

export interface GitOptions {
  cwd: string;
  /** Extra environment (GIT_INDEX_FILE for a scratch index). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Lock files git takes (index.lock, ref locks, packed-refs.lock): another git is at work there. */
const LOCKED = /\.lock'?: File exists|Unable to create '.*\.lock'|cannot lock ref|could not lock/i;
const LOCK_RETRIES = 40;
const MAX_OUTPUT = 64 * 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * git's environment: no terminal prompts, messages in English (they end up in error texts and
 * are matched for lock contention), and nothing inherited that would point git elsewhere.
 */
function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("GIT_")) env[key] = value;
  return { ...env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C", LANGUAGE: "C", GIT_OPTIONAL_LOCKS: "0", ...extra };
}

function once(args: readonly string[], options: GitOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      { cwd: options.cwd, env: gitEnv(options.env), timeout: options.timeoutMs ?? 120_000, maxBuffer: MAX_OUTPUT, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = typeof error.code === "number" ? error.code : null;
        const text = stderr.trim() || stdout.trim() || error.message;
        reject(new GitError(args, text, code));
      },
    );
  });
}

/**
 * Run git with an argument array (never a shell). A command that finds one of git's lock files
 * taken by another git process is retried with a growing, jittered pause: the lock is waited
 * for, never removed.
 */
export async function git(args: readonly string[], options: GitOptions): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await once(args, options);
    } catch (error) {
      if (!(error instanceof GitError) || !LOCKED.test(error.message) || attempt >= LOCK_RETRIES) throw error;
      await sleep(Math.min(500, 20 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
    }
  }
}

/** Like git(), answering null instead of throwing when git exits non-zero. */
export async function gitMaybe(args: readonly string[], options: GitOptions): Promise<string | null> {
  try {
    return await git(args, options);
  } catch (error) {
    if (error instanceof GitError && error.exitCode !== null) return null;
    throw error;
  }
}

/** Output cut at `maxBytes`; `totalBytes` is what git printed in all. */
export interface BoundedOutput {
  text: string;
  totalBytes: number;
  truncated: boolean;
}

/** Run git and keep at most `maxBytes` of its stdout (a diff can be larger than memory should hold). */
export function gitBounded(args: readonly string[], options: GitOptions, maxBytes: number): Promise<BoundedOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd: options.cwd, env: gitEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let totalBytes = 0;
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.stdout.on("data", (chunk: Buffer) => {
      totalBytes += chunk.length;
      if (keptBytes < maxBytes) {
        const part = chunk.subarray(0, maxBytes - keptBytes);
        kept.push(part);
        keptBytes += part.length;
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 16_384) stderr += chunk.toString("utf8");
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new GitError(args, error.message, null));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new GitError(args, stderr.trim() || `git ${args[0]} ended with ${signal ?? `exit code ${code}`}`, code));
      // Cut back to a whole UTF-8 character: a split one would decode as a replacement char.
      let buffer = Buffer.concat(kept);
      const truncated = totalBytes > buffer.length;
      if (truncated) while (buffer.length > 0 && (buffer[buffer.length - 1]! & 0xc0) === 0x80) buffer = buffer.subarray(0, -1);
      if (truncated && buffer.length > 0 && buffer[buffer.length - 1]! >= 0xc0) buffer = buffer.subarray(0, -1);
      resolve({ text: buffer.toString("utf8"), totalBytes, truncated });
    });
  });
}
