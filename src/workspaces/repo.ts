import { copyFile, mkdtemp, realpath, rm, stat, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { git, gitBounded, gitMaybe, type BoundedOutput } from "./git.js";

/** One file a run changed, as git counts it (binary files count no lines: null). */
export interface FileChange {
  path: string;
  previousPath: string | null;
  status: "added" | "modified" | "deleted" | "renamed" | "copied" | "type_changed" | "unknown";
  insertions: number | null;
  deletions: number | null;
}

const STATUS: Record<string, FileChange["status"]> = { A: "added", M: "modified", D: "deleted", R: "renamed", C: "copied", T: "type_changed" };
/** Diffs as people read them: no colour, no external or text-conversion drivers, renames found. */
const DIFF_FLAGS = ["--no-color", "--no-ext-diff", "--no-textconv", "-M"];

/** The top level of the work tree holding `path`, or null when it is not in a git work tree. */
export async function topLevel(path: string): Promise<string | null> {
  const real = await realpath(path).catch(() => null);
  if (!real) return null;
  const out = await gitMaybe(["rev-parse", "--show-toplevel"], { cwd: real }).catch(() => null);
  return out ? out.trim() : null;
}

/** The commit `ref` names in `repo`, or null. */
export async function resolveCommit(repo: string, ref: string): Promise<string | null> {
  const out = await gitMaybe(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], { cwd: repo });
  return out ? out.trim() : null;
}

export async function isValidBranchName(repo: string, name: string): Promise<boolean> {
  return (await gitMaybe(["check-ref-format", "--branch", name], { cwd: repo })) !== null;
}

export async function branchExists(repo: string, name: string): Promise<boolean> {
  return (await gitMaybe(["show-ref", "--verify", "--quiet", `refs/heads/${name}`], { cwd: repo })) !== null;
}

/** The commit a branch points at, or null when there is no such branch. */
export async function branchHead(repo: string, name: string): Promise<string | null> {
  return resolveCommit(repo, `refs/heads/${name}`);
}

/** A new worktree at `path` on a new branch `branch` starting at `commit`. */
export async function addWorktree(repo: string, path: string, branch: string, commit: string): Promise<void> {
  await git(["worktree", "add", "--quiet", "-b", branch, path, commit], { cwd: repo });
}

/** The branch (full ref) checked out in the worktree registered at `path`, or null when none is. */
export async function worktreeBranch(repo: string, path: string): Promise<string | null> {
  const listed = await git(["worktree", "list", "--porcelain"], { cwd: repo });
  for (const block of listed.split("\n\n")) {
    const lines = block.split("\n");
    if (lines[0] !== `worktree ${path}`) continue;
    const branch = lines.find((l) => l.startsWith("branch "));
    return branch ? branch.slice("branch ".length) : null;
  }
  return null;
}

/** Remove a worktree (its changes with it: they are in the diff, or committed); the branch stays. */
export async function removeWorktree(repo: string, path: string): Promise<void> {
  const listed = await git(["worktree", "list", "--porcelain"], { cwd: repo });
  const paths = listed.split("\n").filter((l) => l.startsWith("worktree ")).map((l) => l.slice("worktree ".length));
  if (paths.includes(path)) await git(["worktree", "remove", "--force", "--force", path], { cwd: repo });
  await rm(path, { recursive: true, force: true });
  await git(["worktree", "prune"], { cwd: repo });
}

export async function pruneWorktrees(repo: string): Promise<void> {
  await git(["worktree", "prune"], { cwd: repo });
}

export async function deleteBranch(repo: string, name: string): Promise<void> {
  await git(["branch", "-D", "--", name], { cwd: repo });
}

/**
 * The tree of everything in `dir`'s work tree now (tracked and untracked, .gitignore honoured),
 * written through a scratch copy of its index: the checkout's own index is never touched, and
 * the copy's stat cache keeps unchanged files from being hashed again.
 */
export async function snapshotTree(dir: string): Promise<string> {
  const scratch = await mkdtemp(join(tmpdir(), "codexd-index-"));
  try {
    const index = join(scratch, "index");
    const own = (await git(["rev-parse", "--path-format=absolute", "--git-path", "index"], { cwd: dir })).trim();
    // The copy keeps the index's mtime: git re-reads a file whose mtime is not older than the
    // index ("racily clean"); a fresh mtime would make a same-size edit made in the same second
    // as the index look unchanged.
    const seeded = await copyFile(own, index).then(
      async () => {
        const { atime, mtime } = await stat(own);
        await utimes(index, atime, mtime);
        return true;
      },
      () => false,
    );
    const env = { GIT_INDEX_FILE: index };
    if (!seeded) await git(["read-tree", "HEAD"], { cwd: dir, env });
    await git(["add", "--all"], { cwd: dir, env });
    return (await git(["write-tree"], { cwd: dir, env })).trim();
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The tree of a commit. */
export async function treeOf(repo: string, commit: string): Promise<string> {
  return (await git(["rev-parse", "--verify", `${commit}^{tree}`], { cwd: repo })).trim();
}

/** The unified diff between two trees, at most `maxBytes` of it. */
export function diffTrees(repo: string, from: string, to: string, maxBytes: number): Promise<BoundedOutput> {
  return gitBounded(["diff", ...DIFF_FLAGS, from, to], { cwd: repo }, maxBytes);
}

/** The files changed between two trees, with their line counts. */
export async function changedFiles(repo: string, from: string, to: string): Promise<FileChange[]> {
  const [numstat, nameStatus] = await Promise.all([
    git(["diff", ...DIFF_FLAGS, "--numstat", "-z", from, to], { cwd: repo }),
    git(["diff", ...DIFF_FLAGS, "--name-status", "-z", from, to], { cwd: repo }),
  ]);
  const counts = new Map<string, { insertions: number | null; deletions: number | null }>();
  const n = numstat.split("\0");
  for (let i = 0; i < n.length; i++) {
    const entry = n[i]!;
    if (entry === "") continue;
    const [ins, del, path] = entry.split("\t");
    const count = { insertions: ins === "-" ? null : Number(ins), deletions: del === "-" ? null : Number(del) };
    if (path === "") {
      // A rename: "ins\tdel\t" then the old and the new path as fields of their own.
      i += 2;
      counts.set(n[i]!, count);
    } else counts.set(path!, count);
  }
  const out: FileChange[] = [];
  const s = nameStatus.split("\0");
  for (let i = 0; i < s.length; i++) {
    const code = s[i]!;
    if (code === "") continue;
    const letter = code[0]!;
    const twoPaths = letter === "R" || letter === "C";
    const previousPath = twoPaths ? s[++i]! : null;
    const path = s[++i]!;
    const count = counts.get(path) ?? { insertions: null, deletions: null };
    out.push({ path, previousPath, status: STATUS[letter] ?? "unknown", ...count });
  }
  return out;
}

/** Commit everything in the worktree `dir` on its branch; null when there is nothing to commit. */
export async function commitAll(dir: string, message: string): Promise<string | null> {
  await git(["add", "--all"], { cwd: dir });
  const unchanged = await gitMaybe(["diff", "--cached", "--quiet"], { cwd: dir });
  if (unchanged !== null) return null;
  // A repository without an identity still gets a commit, by codexd; a configured one is used.
  const hasIdentity = (await gitMaybe(["config", "user.email"], { cwd: dir })) !== null && (await gitMaybe(["config", "user.name"], { cwd: dir })) !== null;
  const identity = hasIdentity ? [] : ["-c", "user.name=codexd", "-c", "user.email=codexd@localhost"];
  await git([...identity, "commit", "--quiet", "--no-gpg-sign", "-m", message], { cwd: dir });
  return (await git(["rev-parse", "HEAD"], { cwd: dir })).trim();
}
