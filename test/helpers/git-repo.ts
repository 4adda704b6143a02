/**
 * Real git repositories for the workspace suites: made in a temp dir with a first commit, read
 * back with git itself (branches, worktrees, status, file contents at a ref).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, mkdir, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface TestRepo {
  dir: string;
  git: (...args: string[]) => string;
  branches: () => string[];
  /** Paths of the repository's worktrees, the main one first. */
  worktrees: () => string[];
  status: () => string;
  head: () => string;
  cleanup: () => Promise<void>;
}

const gitEnv = () => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GIT_")) env[k] = v;
  return { ...env, LC_ALL: "C" };
};

export function runGit(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: gitEnv(), stdio: ["ignore", "pipe", "pipe"] });
}

/** A repository with `files` committed on its first branch (main). */
export async function createRepo(files: Record<string, string> = { "README.md": "hello\n" }): Promise<TestRepo> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), "codexd-repo-")));
  const git = (...args: string[]) => runGit(dir, ...args);
  git("init", "-q", "-b", "main");
  git("config", "user.name", "Test");
  git("config", "user.email", "test@example.com");
  git("config", "commit.gpgsign", "false");
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  git("add", "-A");
  git("commit", "-q", "-m", "initial");
  return {
    dir,
    git,
    branches: () => git("for-each-ref", "--format=%(refname:short)", "refs/heads").split("\n").filter(Boolean).sort(),
    worktrees: () => git("worktree", "list", "--porcelain").split("\n").filter((l) => l.startsWith("worktree ")).map((l) => l.slice(9)),
    status: () => git("status", "--porcelain", "--untracked-files=all"),
    head: () => git("rev-parse", "HEAD").trim(),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
