/**
 * The git wrapper and repository operations of run workspaces, against real git: lock files of
 * another git process are waited for (never removed), git's own message is the error, and the
 * diff of a work tree is taken without touching its index.
 */
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GitError, git, gitBounded } from "../../src/workspaces/git.js";
import { changedFiles, snapshotTree, treeOf } from "../../src/workspaces/repo.js";
import { changesOfUnifiedDiff } from "../../src/workspaces/artifacts.js";
import { createRepo, type TestRepo } from "../helpers/git-repo.js";

const repos: TestRepo[] = [];
afterEach(async () => {
  for (const r of repos.splice(0)) await r.cleanup();
});
async function repo(files?: Record<string, string>) {
  const r = await createRepo(files);
  repos.push(r);
  return r;
}

describe("git wrapper", () => {
  it("waits for another git's index.lock instead of failing, and leaves the lock to its owner", async () => {
    const r = await repo({ "a.txt": "a\n" });
    await writeFile(join(r.dir, "a.txt"), "changed\n");
    const lock = join(r.dir, ".git", "index.lock");
    await writeFile(lock, "");
    let released = false;
    const adding = git(["add", "a.txt"], { cwd: r.dir }).then(() => released);
    // The add is retrying while the lock is there: it has not removed it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(lock)).toBe(true);
    released = true;
    await rm(lock);
    expect(await adding).toBe(true);
    expect(r.git("diff", "--cached", "--name-only").trim()).toBe("a.txt");
  });

  it("a failure carries git's own message", async () => {
    const r = await repo();
    const error = await git(["rev-parse", "--verify", "no-such-ref"], { cwd: r.dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).message).toContain("fatal: Needed a single revision");
  });

  it("bounded output keeps at most maxBytes and counts the rest", async () => {
    const r = await repo({ "big.txt": "x".repeat(10_000) });
    const out = await gitBounded(["show", "HEAD:big.txt"], { cwd: r.dir }, 1000);
    expect(out).toEqual({ text: "x".repeat(1000), totalBytes: 10_000, truncated: true });
  });
});

describe("work tree snapshots", () => {
  it("capture tracked, untracked, deleted and renamed files; the index and ignored files are left alone", async () => {
    const r = await repo({ "keep.txt": "k\n", "old-name.txt": "same content\nline 2\nline 3\n", "gone.txt": "g\n", ".gitignore": "ignored/\n" });
    const base = await treeOf(r.dir, "HEAD");
    const index = await readFile(join(r.dir, ".git", "index"));
    await writeFile(join(r.dir, "new.txt"), "n1\nn2\n");
    await rm(join(r.dir, "gone.txt"));
    r.git("mv", "old-name.txt", "new-name.txt");
    const indexAfterMv = await readFile(join(r.dir, ".git", "index"));
    expect(indexAfterMv.equals(index)).toBe(false);
    await writeFile(join(r.dir, "keep.txt"), "k\nk2\n");
    await (await import("node:fs/promises")).mkdir(join(r.dir, "ignored"));
    await writeFile(join(r.dir, "ignored", "x.txt"), "secret\n");
    const tree = await snapshotTree(r.dir);
    expect(await changedFiles(r.dir, base, tree)).toEqual([
      { path: "gone.txt", previousPath: null, status: "deleted", insertions: 0, deletions: 1 },
      { path: "keep.txt", previousPath: null, status: "modified", insertions: 1, deletions: 0 },
      { path: "new-name.txt", previousPath: "old-name.txt", status: "renamed", insertions: 0, deletions: 0 },
      { path: "new.txt", previousPath: null, status: "added", insertions: 2, deletions: 0 },
    ]);
    expect((await readFile(join(r.dir, ".git", "index"))).equals(indexAfterMv)).toBe(true);
  });

  it("Codex's unified diff counts per file", () => {
    const diff = "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n-x\n+y\n z\ndiff --git a/n.txt b/n.txt\nnew file mode 100644\n--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1 @@\n+new\n";
    expect(changesOfUnifiedDiff(diff)).toEqual([
      { path: "a.txt", previousPath: null, status: "modified", insertions: 1, deletions: 1 },
      { path: "n.txt", previousPath: null, status: "added", insertions: 1, deletions: 0 },
    ]);
  });
});

describe("racy edits", () => {
  it("a same-size edit right after the index was written is seen", async () => {
    for (let i = 0; i < 5; i++) {
      const r = await repo({ "a.txt": "a\n" });
      const base = await treeOf(r.dir, "HEAD");
      r.git("update-index", "--refresh");
      await writeFile(join(r.dir, "a.txt"), "b\n");
      const tree = await snapshotTree(r.dir);
      expect(await changedFiles(r.dir, base, tree)).toEqual([{ path: "a.txt", previousPath: null, status: "modified", insertions: 1, deletions: 1 }]);
    }
  });
});
