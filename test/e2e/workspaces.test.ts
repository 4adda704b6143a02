/**
 * Run workspaces with real git: worktrees made for runs of the fake app-server (whose
 * `[write:PATH=TEXT]` and `[exec:CMD]` directives change files and run commands in the thread's
 * cwd), their diffs, changes, commits and removal; bad input refused with nothing changed;
 * orphan-free recovery after kill -9 of a real daemon process.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RunRecord } from "../../schemas/runs.js";
import { execFile } from "node:child_process";
import { cliPath, createWorkspace, startDaemon, type DaemonProcess, type Workspace } from "../helpers/daemon-process.js";
import { OpenApiContract } from "../contract/openapi-contract.js";
import { createRepo, type TestRepo } from "../helpers/git-repo.js";
import { RunsApi } from "../helpers/runs-api.js";
import { startRunsDaemon, type RunsDaemon } from "../helpers/runs-daemon.js";

// Each test starts daemons, children and git processes: generous on a loaded machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

const daemons: RunsDaemon[] = [];
const repos: TestRepo[] = [];
const dirs: string[] = [];
let ws: Workspace | undefined;

afterEach(async () => {
  for (const d of daemons.splice(0).reverse()) await d.close();
  await ws?.cleanup();
  ws = undefined;
  for (const r of repos.splice(0)) await r.cleanup();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function daemon(env: Record<string, string> = {}): Promise<RunsDaemon> {
  const d = await startRunsDaemon({ CODEXD_APPROVAL_POLICY: "accept", ...env });
  daemons.push(d);
  return d;
}

async function repo(files?: Record<string, string>): Promise<TestRepo> {
  const r = await createRepo(files);
  repos.push(r);
  return r;
}

const worktreeDir = (d: RunsDaemon) => d.daemon.config.workspaces.dir;
const listDir = (dir: string) => readdir(dir).catch(() => [] as string[]);

async function finished(api: RunsApi, runId: string): Promise<RunRecord> {
  return api.waitTerminal(runId, 30_000);
}

describe("worktree runs", () => {
  it("two runs on one repository at once: separate branches and diffs, commits, the main checkout untouched", async () => {
    const d = await daemon();
    const r = await repo({ "README.md": "hello\n", "src/app.txt": "one\ntwo\n" });
    const head = r.head();
    const [a, b] = await Promise.all([
      d.api.start({ prompt: "[write:src/app.txt=one\\nTWO\\nthree\\n][delay:200] change app", workspace: { repo: r.dir, commit: true, keep: false } }),
      d.api.start({ prompt: "[write:notes/new.md=# notes\\n][delay:200] add notes", workspace: { repo: r.dir, commit: true, branch: "feature/notes", message: "Add notes" } }),
    ]);
    const [ra, rb] = await Promise.all([finished(d.api, a.runId), finished(d.api, b.runId)]);
    expect(ra.status, JSON.stringify(ra.error)).toBe("completed");
    expect(rb.status, JSON.stringify(rb.error)).toBe("completed");

    // Each run worked in its own worktree, on its own branch.
    expect(ra.workspace).toMatchObject({ mode: "worktree", repo: r.dir, branch: `codexd/${a.runId}`, baseCommit: head, status: "removed", keep: false });
    expect(rb.workspace).toMatchObject({ mode: "worktree", branch: "feature/notes", status: "active", keep: true });
    expect(ra.workspace!.path).not.toBe(rb.workspace!.path);
    expect(ra.changes).toEqual([{ path: "src/app.txt", previousPath: null, status: "modified", insertions: 2, deletions: 1 }]);
    expect(rb.changes).toEqual([{ path: "notes/new.md", previousPath: null, status: "added", insertions: 1, deletions: 0 }]);

    // Commits on the branches, from the base commit, holding each run's change only.
    expect(ra.commit).toEqual({ sha: expect.stringMatching(/^[0-9a-f]{40}$/), branch: `codexd/${a.runId}` });
    expect(r.git("rev-parse", `codexd/${a.runId}`).trim()).toBe(ra.commit!.sha);
    expect(r.git("rev-parse", `${ra.commit!.sha}^`).trim()).toBe(head);
    expect(r.git("show", `codexd/${a.runId}:src/app.txt`)).toBe("one\nTWO\nthree\n");
    expect(r.git("diff", "--name-only", head, `codexd/${a.runId}`).trim()).toBe("src/app.txt");
    expect(r.git("diff", "--name-only", head, "feature/notes").trim()).toBe("notes/new.md");
    expect(r.git("log", "-1", "--format=%s", "feature/notes").trim()).toBe("Add notes");

    // The diffs: text/x-diff by default, JSON on request; each names its own file only.
    const diffA = await d.api.call("GET", `/v1/runs/${a.runId}/diff`);
    expect(diffA.status).toBe(200);
    expect(diffA.headers.get("content-type")).toMatch(/^text\/x-diff/);
    expect(diffA.body).toContain("diff --git a/src/app.txt b/src/app.txt");
    expect(diffA.body).toContain("-two\n+TWO\n+three");
    expect(diffA.body).not.toContain("notes");
    const diffB = await d.api.call("GET", `/v1/runs/${b.runId}/diff?format=json`);
    expect(diffB.body).toMatchObject({ runId: b.runId, source: "git", truncated: false, changes: rb.changes });
    expect(diffB.body.diff).toContain("+++ b/notes/new.md");

    // The main checkout: same HEAD, same branch, clean, without either change.
    expect(r.head()).toBe(head);
    expect(r.git("symbolic-ref", "--short", "HEAD").trim()).toBe("main");
    expect(r.status()).toBe("");
    expect(await readFile(join(r.dir, "src/app.txt"), "utf8")).toBe("one\ntwo\n");
    expect(existsSync(join(r.dir, "notes"))).toBe(false);

    // keep: false removed a's worktree at the end; b's stays until DELETE.
    expect(r.worktrees()).toEqual([r.dir, rb.workspace!.path]);
    expect(existsSync(ra.workspace!.path)).toBe(false);
    const types = async (id: string) => (await d.api.runEvents(id)).map((e) => e.type);
    expect(await types(a.runId)).toEqual(["run.queued", "run.started", "run.workspace_created", "run.diff_updated", "run.committed", "run.workspace_removed", "run.completed"]);
    expect(await types(b.runId)).toEqual(["run.queued", "run.started", "run.workspace_created", "run.diff_updated", "run.committed", "run.completed"]);

    const removed = await d.api.call("DELETE", `/v1/runs/${b.runId}/workspace`);
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ changed: true, workspace: { status: "removed", removedAt: expect.any(String) } });
    expect(r.worktrees()).toEqual([r.dir]);
    expect(r.branches()).toEqual([`codexd/${a.runId}`, "feature/notes", "main"]);
    expect((await d.api.call("DELETE", `/v1/runs/${b.runId}/workspace`)).body).toMatchObject({ changed: false });
    expect((await d.api.runEvents(b.runId)).map((e) => e.type).at(-1)).toBe("run.workspace_removed");
    // The diff outlives the worktree.
    expect((await d.api.call("GET", `/v1/runs/${b.runId}/diff`)).body).toBe(diffB.body.diff);
    expect(await listDir(worktreeDir(d))).toEqual([]);
  });

  it("commands Codex ran are recorded with exit code, duration and output tail; untracked and deleted files count", async () => {
    const d = await daemon();
    const r = await repo({ "a.txt": "a\n", "gone.txt": "bye\n" });
    const run = await d.api.start({ prompt: "[exec:rm gone.txt && echo removed][exec:echo oops >&2; exit 3][write:b.txt=b] go", workspace: { repo: r.dir, keep: false } });
    const done = await finished(d.api, run.runId);
    expect(done.status).toBe("completed");
    expect(done.commands).toEqual([
      { command: "rm gone.txt && echo removed", cwd: done.workspace!.path, status: "completed", exitCode: 0, durationMs: expect.any(Number), outputTail: "removed\n" },
      { command: "echo oops >&2; exit 3", cwd: done.workspace!.path, status: "failed", exitCode: 3, durationMs: expect.any(Number), outputTail: "oops\n" },
    ]);
    expect(done.changes).toEqual([
      { path: "b.txt", previousPath: null, status: "added", insertions: 1, deletions: 0 },
      { path: "gone.txt", previousPath: null, status: "deleted", insertions: 0, deletions: 1 },
    ]);
    expect(done.commit ?? null).toBeNull();
    expect(r.status()).toBe("");
  });

  it("a diff larger than workspaces.diffMaxBytes is cut and marked, and stays readable", async () => {
    const d = await daemon({ CODEXD_WORKSPACES_DIFF_MAX_BYTES: "2048" });
    const r = await repo();
    const big = Array.from({ length: 400 }, (_, i) => `line ${i} ${"x".repeat(20)}`).join("\\n");
    const run = await d.api.start({ prompt: `[write:big.txt=${big}] big`, workspace: { repo: r.dir, keep: false } });
    const done = await finished(d.api, run.runId);
    expect(done.diff).toMatchObject({ source: "git", truncated: true });
    expect(done.diff!.totalBytes).toBeGreaterThan(10_000);
    const text = await d.api.call("GET", `/v1/runs/${run.runId}/diff`);
    expect(text.headers.get("x-codexd-diff-truncated")).toBe("true");
    expect(Buffer.byteLength(text.body as string)).toBeLessThan(2048 + 200);
    expect(text.body).toMatch(/\n# codexd: diff truncated: \d+ of \d+ bytes kept\n$/);
    const json = await d.api.call("GET", `/v1/runs/${run.runId}/diff?format=json`);
    expect(json.headers.get("x-codexd-diff-truncated")).toBe("true");
    // The contract declares the header for both answers.
    const declared = OpenApiContract.load().doc.paths["/v1/runs/{id}/diff"]!.get!.responses as Record<string, { headers?: Record<string, unknown> }>;
    expect(Object.keys(declared["200"]!.headers ?? {})).toContain("x-codexd-diff-truncated");
    expect(done.changes).toEqual([{ path: "big.txt", previousPath: null, status: "added", insertions: 400, deletions: 0 }]);
  });

  it("a git failure while the run starts fails it with CODEXD_WORKSPACE_FAILED and git's message", async () => {
    const d = await daemon({ CODEXD_RUN_CONCURRENCY: "1" });
    const r = await repo();
    const first = await d.api.start({ prompt: "[delay:300] hold the only slot" });
    const second = await d.api.start({ prompt: "never runs", workspace: { repo: r.dir, branch: "taken-later" } });
    // The branch appears after the run was accepted, before it starts.
    r.git("branch", "taken-later");
    await finished(d.api, first.runId);
    const failed = await finished(d.api, second.runId);
    expect(failed.status).toBe("failed");
    expect(failed.error!.code).toBe("CODEXD_WORKSPACE_FAILED");
    expect(failed.error!.message).toContain("a branch named 'taken-later' already exists");
    expect(r.worktrees()).toEqual([r.dir]);
    // The branch someone else made is not ours to remove.
    expect(r.branches()).toEqual(["main", "taken-later"]);
    expect(await listDir(worktreeDir(d))).toEqual([]);
  });
});

describe("in-place runs and runs without a workspace", () => {
  it("in-place: the diff holds the run's changes only, and the repository's index is not touched", async () => {
    const d = await daemon();
    const r = await repo({ "a.txt": "a\n", "b.txt": "b\n" });
    await writeFile(join(r.dir, "a.txt"), "dirty before the run\n");
    r.git("add", "a.txt");
    const indexBefore = r.git("diff", "--cached");
    const run = await d.api.start({ prompt: "[write:b.txt=changed\\n] edit", workspace: { repo: r.dir, mode: "in-place" } });
    const done = await finished(d.api, run.runId);
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    expect(done.workspace).toMatchObject({ mode: "in-place", path: r.dir, branch: null });
    expect(done.changes).toEqual([{ path: "b.txt", previousPath: null, status: "modified", insertions: 1, deletions: 1 }]);
    expect(r.git("diff", "--cached")).toBe(indexBefore);
    expect(r.worktrees()).toEqual([r.dir]);
    expect(r.branches()).toEqual(["main"]);
    expect((await d.api.runEvents(run.runId)).map((e) => e.type)).toEqual(["run.queued", "run.started", "run.diff_updated", "run.completed"]);
  });

  it("without a workspace the diff comes from Codex's turn/diff/updated", async () => {
    const d = await daemon();
    const cwd = await mkdtemp(join(tmpdir(), "codexd-plain-"));
    dirs.push(cwd);
    const run = await d.api.start({ prompt: "[write:x.txt=one\\ntwo\\n][write:y.txt=y\\n] plain", cwd });
    const done = await finished(d.api, run.runId);
    expect(done.diff).toMatchObject({ source: "codex", truncated: false });
    expect(done.changes).toEqual([
      { path: "x.txt", previousPath: null, status: "added", insertions: 2, deletions: 0 },
      { path: "y.txt", previousPath: null, status: "added", insertions: 1, deletions: 0 },
    ]);
    const text = await d.api.call("GET", `/v1/runs/${run.runId}/diff`);
    expect(text.body).toContain("+++ b/x.txt\n@@ -0,0 +1,2 @@\n+one\n+two\n");
    const plain = await d.api.start({ prompt: "no files" });
    await finished(d.api, plain.runId);
    const empty = await d.api.call("GET", `/v1/runs/${plain.runId}/diff?format=json`);
    expect(empty.body).toMatchObject({ diff: "", changes: [], bytes: 0 });
  });
});

describe("sessions with a workspace", () => {
  it("POST /v1/sessions with a workspace: the thread works in a worktree; closing commits and removes it, the branch stays", async () => {
    const d = await daemon();
    const r = await repo({ "README.md": "hello\n" });
    const head = r.head();
    const created = await d.api.call("POST", "/v1/sessions", { body: { workspace: { repo: r.dir, commit: true, message: "Session work" } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const session = created.body;
    const branch = `codexd/${session.sessionId}`;
    expect(session.workspace).toMatchObject({ mode: "worktree", repo: r.dir, branch, baseCommit: head, status: "active", commit: true });
    expect(session.cwd).toBe(session.workspace.path);
    expect(session.sandbox).toBe("workspace-write");
    expect(r.worktrees()).toContain(session.workspace.path);

    // A run on the session works in its worktree; the main checkout is untouched.
    const run = await d.api.start({ prompt: "[write:notes.md=from the session\\n] write notes", sessionId: session.sessionId });
    expect((await finished(d.api, run.runId)).status).toBe("completed");
    expect(readFileSync(join(session.workspace.path, "notes.md"), "utf8")).toBe("from the session\n");
    expect(r.status()).toBe("");

    const closed = await d.api.call("DELETE", `/v1/sessions/${session.sessionId}`);
    expect(closed.status).toBe(200);
    expect(closed.body.workspace).toMatchObject({ status: "removed", removedAt: expect.any(String) });
    expect(closed.body.commit).toEqual({ sha: r.git("rev-parse", branch).trim(), branch });
    expect(r.git("show", `${branch}:notes.md`)).toBe("from the session\n");
    expect(r.git("log", "-1", "--format=%s", branch).trim()).toBe("Session work");
    expect(r.worktrees()).toEqual([r.dir]);
    expect(existsSync(session.workspace.path)).toBe(false);
    expect(r.head()).toBe(head);
    const types = (await d.api.events({ sessionId: session.sessionId, type: "session." })).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["session.workspace_created", "session.committed", "session.workspace_removed"]));
  });

  it("a bad workspace on POST /v1/sessions is a 4xx that leaves no session, worktree or branch", async () => {
    const d = await daemon();
    const r = await repo();
    const plain = await mkdtemp(join(tmpdir(), "codexd-notrepo-"));
    dirs.push(plain);
    r.git("branch", "existing");
    const before = { branches: r.branches(), worktrees: r.worktrees(), status: r.status() };
    const cases: [Record<string, unknown>, number, string][] = [
      [{ workspace: { repo: plain } }, 422, "CODEXD_WORKSPACE_NOT_A_REPO"],
      [{ workspace: { repo: r.dir, ref: "no-such-ref" } }, 422, "CODEXD_WORKSPACE_UNKNOWN_REF"],
      [{ workspace: { repo: r.dir, branch: "existing" } }, 409, "CODEXD_WORKSPACE_BRANCH_EXISTS"],
      [{ workspace: { repo: r.dir, keep: false } }, 400, "CODEXD_WORKSPACE_INVALID"],
      [{ cwd: r.dir, workspace: { repo: r.dir } }, 400, "CODEXD_WORKSPACE_INVALID"],
    ];
    for (const [body, status, code] of cases) {
      const res = await d.api.call("POST", "/v1/sessions", { body });
      expect([res.status, res.body.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect((await d.api.call("GET", "/v1/sessions")).body.sessions).toEqual([]);
    expect({ branches: r.branches(), worktrees: r.worktrees(), status: r.status() }).toEqual(before);
    expect(await listDir(worktreeDir(d))).toEqual([]);
  });
});

describe("outputSchema", () => {
  const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"], additionalProperties: false };

  it("valid output is parsed into `output`; invalid output fails CODEXD_OUTPUT_INVALID with the errors; a bad schema is 400", async () => {
    const d = await daemon();
    const ok = await finished(d.api, (await d.api.start({ prompt: '[reply:{"n": 3}] json', outputSchema: schema })).runId);
    expect(ok).toMatchObject({ status: "completed", output: { n: 3 } });
    const bad = await finished(d.api, (await d.api.start({ prompt: '[reply:{"n": "x"}] json', outputSchema: schema })).runId);
    expect(bad).toMatchObject({ status: "failed", error: { code: "CODEXD_OUTPUT_INVALID", errors: [{ path: "/n", message: "must be integer" }] } });
    const notJson = await finished(d.api, (await d.api.start({ prompt: "[reply:not json]", outputSchema: schema })).runId);
    expect(notJson.error).toMatchObject({ code: "CODEXD_OUTPUT_INVALID" });
    expect(notJson.error!.message).toContain("not JSON");
    const refused = await d.api.create({ prompt: "x", outputSchema: { type: "no-such-type" } });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe("CODEXD_OUTPUT_SCHEMA_INVALID");
  });
});

describe("bad workspace requests", () => {
  it("each is a 4xx with a stable code, and leaves no run, worktree or branch behind", async () => {
    const d = await daemon();
    const r = await repo();
    r.git("branch", "existing");
    const plain = await mkdtemp(join(tmpdir(), "codexd-notrepo-"));
    dirs.push(plain);
    const cases: [unknown, number, string][] = [
      [{ repo: plain }, 422, "CODEXD_WORKSPACE_NOT_A_REPO"],
      [{ repo: join(plain, "missing") }, 422, "CODEXD_WORKSPACE_NOT_A_REPO"],
      [{ repo: r.dir, ref: "no-such-ref" }, 422, "CODEXD_WORKSPACE_UNKNOWN_REF"],
      [{ repo: r.dir, ref: "--output=/tmp/x" }, 422, "CODEXD_WORKSPACE_UNKNOWN_REF"],
      [{ repo: r.dir, branch: "existing" }, 409, "CODEXD_WORKSPACE_BRANCH_EXISTS"],
      [{ repo: r.dir, branch: "main" }, 409, "CODEXD_WORKSPACE_BRANCH_EXISTS"],
      [{ repo: r.dir, branch: "bad..name" }, 422, "CODEXD_WORKSPACE_BAD_BRANCH"],
      [{ repo: r.dir, branch: "-x" }, 422, "CODEXD_WORKSPACE_BAD_BRANCH"],
      [{ repo: "relative/path" }, 400, "CODEXD_WORKSPACE_INVALID"],
      [{ repo: r.dir, mode: "in-place", commit: true }, 400, "CODEXD_WORKSPACE_INVALID"],
      [{ repo: r.dir, mode: "elsewhere" }, 400, "CODEXD_VALIDATION_FAILED"],
    ];
    const before = { branches: r.branches(), worktrees: r.worktrees(), status: r.status() };
    for (const [workspace, status, code] of cases) {
      const res = await d.api.create({ prompt: "x", workspace });
      expect([res.status, res.body.code], JSON.stringify(workspace)).toEqual([status, code]);
    }
    const withCwd = await d.api.create({ prompt: "x", cwd: r.dir, workspace: { repo: r.dir } });
    expect([withCwd.status, withCwd.body.code]).toEqual([400, "CODEXD_WORKSPACE_INVALID"]);
    expect(await d.api.list()).toEqual([]);
    expect({ branches: r.branches(), worktrees: r.worktrees(), status: r.status() }).toEqual(before);
    expect(await listDir(worktreeDir(d))).toEqual([]);

    // A branch promised to a queued run is taken too.
    const held = await d.api.start({ prompt: "[delay:200] first", workspace: { repo: r.dir, branch: "promised", keep: false } });
    const again = await d.api.create({ prompt: "x", workspace: { repo: r.dir, branch: "promised" } });
    expect([again.status, again.body.code]).toEqual([409, "CODEXD_WORKSPACE_BRANCH_EXISTS"]);
    await finished(d.api, held.runId);
  });

  it("a repository outside workspaces.allowedRoots is refused", async () => {
    const allowed = await mkdtemp(join(tmpdir(), "codexd-allowed-"));
    dirs.push(allowed);
    const d = await daemon({ CODEXD_WORKSPACES_ALLOWED_ROOTS: JSON.stringify([allowed]) });
    const r = await repo();
    const res = await d.api.create({ prompt: "x", workspace: { repo: r.dir } });
    expect([res.status, res.body.code]).toEqual([422, "CODEXD_WORKSPACE_PATH_NOT_ALLOWED"]);
    expect(r.branches()).toEqual(["main"]);
    expect(await d.api.list()).toEqual([]);
  });

  it("DELETE of a workspace: 404 for a run without one, 409 while the run is going", async () => {
    const d = await daemon();
    const r = await repo();
    const plainRun = await d.api.start({ prompt: "plain" });
    await finished(d.api, plainRun.runId);
    expect((await d.api.call("DELETE", `/v1/runs/${plainRun.runId}/workspace`)).status).toBe(404);
    const going = await d.api.start({ prompt: "[silent] hold", workspace: { repo: r.dir } });
    await d.api.waitTurnStarted(going.runId);
    const busy = await d.api.call("DELETE", `/v1/runs/${going.runId}/workspace`);
    expect([busy.status, busy.body.code]).toEqual([409, "CODEXD_RUN_ACTIVE"]);
    const early = await d.api.call("GET", `/v1/runs/${going.runId}/diff`);
    expect([early.status, early.body.code]).toEqual([409, "CODEXD_RUN_ACTIVE"]);
    await d.api.cancel(going.runId);
    const cancelled = await finished(d.api, going.runId);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.diff).toMatchObject({ source: "git", bytes: 0 });
    expect((await d.api.call("DELETE", `/v1/runs/${going.runId}/workspace`)).body).toMatchObject({ changed: true });
    expect(r.worktrees()).toEqual([r.dir]);
  });
});

describe("recovery after kill -9", () => {
  /**
   * A daemon process (with `env`) killed with SIGKILL while a worktree run has half done its work;
   * `beforeKill` runs just before the kill. `start` brings up the next daemon on the same state.
   */
  async function killedMidRun(env: Record<string, string>, beforeKill: (r: TestRepo) => void = () => {}) {
    ws = await createWorkspace();
    const r = await repo({ "a.txt": "a\n" });
    // A loaded machine can take long to bring a daemon process up.
    const start = async (more: Record<string, string> = {}): Promise<DaemonProcess> => {
      const d = await startDaemon({ cwd: ws!.dir, stateDir: ws!.stateDir, tag: ws!.tag, env: { CODEXD_CHILD_LIVENESS_INTERVAL_MS: "0", ...env, ...more }, readyTimeoutMs: 60_000 });
      ws!.daemons.push(d);
      return d;
    };
    const first = await start({ CODEXD_APPROVAL_POLICY: "accept" });
    await first.waitForChild("ready", 30_000);
    const api1 = new RunsApi(first.baseUrl);
    const run = await api1.start({ prompt: "[write:a.txt=half done\\n][silent] stuck", workspace: { repo: r.dir, commit: true } });
    await api1.waitTurnStarted(run.runId);
    const path = (await api1.run(run.runId)).workspace!.path;
    await api1.waitRun(run.runId, () => existsSync(path) && readFileSync(join(path, "a.txt"), "utf8") === "half done\n", "the worktree holds the change");
    beforeKill(r);
    first.kill("SIGKILL");
    await first.exited;
    return { r, run, path, start, stateDir: ws.stateDir };
  }

  it("worktrees of runs that did not finish are removed at start (policy remove), with an event; no orphan stays", async () => {
    // A worktree no run owns, as a crash between `git worktree add` and its record would leave.
    let orphan = "";
    const { r, run, start, stateDir } = await killedMidRun({}, (r) => {
      orphan = join(ws!.stateDir, "worktrees", "orphan");
      r.git("worktree", "add", "-q", "-b", "orphan-branch", orphan);
    });

    const second = await start();
    await second.waitForChild("ready", 30_000);
    const api2 = new RunsApi(second.baseUrl);
    const after = await api2.waitTerminal(run.runId, 30_000);
    expect(after).toMatchObject({ status: "interrupted", error: { code: "CODEXD_DAEMON_RESTARTED" }, workspace: { status: "removed" } });
    // What it had done is in its diff; nothing was committed for an unfinished run.
    expect(after.changes).toEqual([{ path: "a.txt", previousPath: null, status: "modified", insertions: 1, deletions: 1 }]);
    expect(after.commit ?? null).toBeNull();
    expect(r.worktrees()).toEqual([r.dir]);
    expect(await listDir(join(stateDir, "worktrees"))).toEqual([]);
    expect(r.branches()).toEqual([`codexd/${run.runId}`, "main", "orphan-branch"]);
    expect(r.status()).toBe("");
    const events = await api2.events();
    expect(events.filter((e) => e.type === "run.workspace_removed" && e.runId === run.runId).map((e) => e.detail)).toEqual([expect.objectContaining({ reason: "recovery" })]);
    expect(events.filter((e) => e.type === "workspace.orphan_removed").map((e) => e.detail)).toEqual([expect.objectContaining({ path: orphan, repo: r.dir })]);
  }, 240_000);

  it("policy keep: the worktree of a run that did not finish stays with its work and a run.workspace_kept event, until DELETE removes it", async () => {
    const { r, run, path, start } = await killedMidRun({ CODEXD_WORKSPACES_RECOVERY: "keep" });

    const second = await start();
    await second.waitForChild("ready", 30_000);
    const api2 = new RunsApi(second.baseUrl);
    const after = await api2.waitTerminal(run.runId, 30_000);
    expect(after).toMatchObject({ status: "interrupted", error: { code: "CODEXD_DAEMON_RESTARTED" }, workspace: { status: "active", path } });
    expect(after.changes).toEqual([{ path: "a.txt", previousPath: null, status: "modified", insertions: 1, deletions: 1 }]);
    expect(after.commit ?? null).toBeNull();
    // The work is there to look at, on the run's branch, uncommitted.
    expect(readFileSync(join(path, "a.txt"), "utf8")).toBe("half done\n");
    expect(r.worktrees()).toEqual([r.dir, path]);
    const events = await api2.events();
    expect(events.filter((e) => e.type === "run.workspace_kept" && e.runId === run.runId).map((e) => e.detail)).toEqual([expect.objectContaining({ path, reason: "recovery" })]);
    expect(events.some((e) => e.type === "run.workspace_removed" && e.runId === run.runId)).toBe(false);
    // A third start does not take it for an orphan.
    second.kill("SIGTERM");
    await second.exited;
    const third = await start();
    await third.waitForChild("ready", 30_000);
    const api3 = new RunsApi(third.baseUrl);
    expect(existsSync(path)).toBe(true);
    expect((await api3.events()).some((e) => e.type === "workspace.orphan_removed")).toBe(false);
    expect((await api3.call("DELETE", `/v1/runs/${run.runId}/workspace`)).body).toMatchObject({ changed: true });
    expect(r.worktrees()).toEqual([r.dir]);
    expect(existsSync(path)).toBe(false);
  }, 300_000);
});

describe("the CLI", () => {
  /** `codexd ARGS` against the daemon; stdout, stderr and the exit code. */
  const cli = (d: RunsDaemon, cwd: string, args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [cliPath, ...args, "--url", d.baseUrl], { cwd, env: { ...process.env, NO_COLOR: "1" } }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it("runs create --repo . --worktree --commit --wait, then runs diff ID", async () => {
    const d = await daemon();
    const r = await repo({ "a.txt": "a\n" });
    const created = await cli(d, r.dir, ["runs", "create", "[write:a.txt=b\\n] edit", "--repo", ".", "--worktree", "--commit", "--wait", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const run = JSON.parse(created.stdout) as RunRecord;
    expect(run).toMatchObject({ status: "completed", workspace: { repo: r.dir, mode: "worktree" }, commit: { branch: `codexd/${run.runId}` } });
    expect(r.git("show", `codexd/${run.runId}:a.txt`)).toBe("b\n");
    const diff = await cli(d, r.dir, ["runs", "diff", run.runId]);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout, JSON.stringify({ diff, run })).toContain("diff --git a/a.txt b/a.txt");
    expect(diff.stdout).toContain("-a\n+b\n");
    const json = await cli(d, r.dir, ["runs", "diff", run.runId, "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ runId: run.runId, changes: [{ path: "a.txt", status: "modified" }] });
    const misuse = await cli(d, r.dir, ["runs", "create", "x", "--commit"]);
    expect(misuse.code).not.toBe(0);
    expect(misuse.stderr).toContain("need --repo");
  });
});
