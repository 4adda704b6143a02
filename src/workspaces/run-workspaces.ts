import { readFile, readdir, realpath, rm, stat } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import type { Logger } from "pino";
import type { ResolvedConfig } from "../../schemas/config.js";
import type { CreateRunBody, RunRecord, RunStatus } from "../../schemas/runs.js";
import type { CreateSessionBody, SessionRecord } from "../../schemas/sessions.js";
import type { RunDiff, RunWorkspace, WorkspaceRequest } from "../../schemas/workspaces.js";
import type { ChildSupervisor } from "../child/supervisor.js";
import { ProblemError, notFound } from "../errors.js";
import { ensureDir, writeFileAtomic } from "../state/durable-fs.js";
import type { StateStore } from "../state/store.js";
import { boundDiff, changesOfUnifiedDiff, compileOutputSchema, truncationMarker } from "./artifacts.js";
import * as repo from "./repo.js";

export interface WorkspaceDeps {
  config: ResolvedConfig;
  store: StateStore;
  child: ChildSupervisor;
  logger: Logger;
}

type RunError = { code: string; message: string } | null;
export interface Settled {
  run: RunRecord;
  status: RunStatus;
  error: RunError;
}

const now = () => new Date().toISOString();
const TERMINAL = new Set(["completed", "failed", "cancelled", "timed_out", "interrupted"]);
/** Codex diffs of turns kept in memory until their run ends (turns of plain sessions too). */
const MAX_TURN_DIFFS = 256;

const invalid = (status: number, code: `CODEXD_${string}`, detail: string) => new ProblemError(status, code, "Invalid workspace", detail);
const gitFailed = (what: string, error: unknown) =>
  new ProblemError(500, "CODEXD_WORKSPACE_FAILED", "A git command failed", `${what}: ${error instanceof Error ? error.message : String(error)}`);
const exists = (path: string) => stat(path).then(() => true, () => false);

/**
 * Run workspaces and artifacts: checks a run's workspace request before it is queued, makes the
 * git worktree when the run starts, and when it ends records what changed (diff, changes,
 * commit) and removes the worktree if asked. Worktrees of runs a previous daemon left behind are
 * settled at start, and a worktree no run owns is removed.
 */
export class RunWorkspaces {
  /** Branches promised to runs that have not made them yet: repo + NUL + branch. */
  private readonly promised = new Set<string>();
  private readonly turnDiffs = new Map<string, string>();
  readonly diffDir: string;

  constructor(private readonly deps: WorkspaceDeps) {
    this.diffDir = join(deps.config.paths.stateDir, "diffs");
  }

  /** Keep Codex's latest diff of each turn (`turn/diff/updated`): the diff of a run without a workspace. */
  follow(): void {
    this.deps.child.onNotification((n) => {
      if (n.method !== "turn/diff/updated") return;
      const p = (n.params ?? {}) as { turnId?: unknown; diff?: unknown };
      if (typeof p.turnId !== "string" || typeof p.diff !== "string") return;
      this.turnDiffs.delete(p.turnId);
      this.turnDiffs.set(p.turnId, p.diff);
      if (this.turnDiffs.size > MAX_TURN_DIFFS) this.turnDiffs.delete(this.turnDiffs.keys().next().value!);
    });
  }

  /**
   * Check a run's request before it is queued: a 4xx for anything wrong, and nothing on disk
   * changes. The workspace is made only when the run starts.
   */
  async plan(body: CreateRunBody, runId: string): Promise<RunWorkspace | null> {
    if (body.outputSchema !== undefined) {
      try {
        compileOutputSchema(body.outputSchema);
      } catch (error) {
        throw new ProblemError(400, "CODEXD_OUTPUT_SCHEMA_INVALID", "Invalid outputSchema", `outputSchema is not a valid JSON Schema: ${(error as Error).message}`);
      }
    }
    const w = body.workspace;
    if (!w) return null;
    if (body.cwd !== undefined) throw invalid(400, "CODEXD_WORKSPACE_INVALID", "Give either cwd or workspace, not both: the workspace is where the run works");
    if (body.sessionId !== undefined) throw invalid(400, "CODEXD_WORKSPACE_INVALID", "A run with a workspace starts a new session there: leave sessionId out");
    return this.check(w, runId);
  }

  /** The checks a workspace request passes before anything is made, for a run or a session (`id`). */
  private async check(w: WorkspaceRequest, id: string): Promise<RunWorkspace> {
    const mode = w.mode ?? "worktree";
    if (mode === "in-place" && (w.commit !== undefined || w.branch !== undefined || w.keep !== undefined || w.ref !== undefined)) {
      throw invalid(400, "CODEXD_WORKSPACE_INVALID", "ref, branch, commit and keep apply to mode worktree only; in-place works in the repository as it is");
    }
    if (!isAbsolute(w.repo)) throw invalid(400, "CODEXD_WORKSPACE_INVALID", `workspace.repo must be an absolute path, got ${JSON.stringify(w.repo)}`);
    const real = await realpath(w.repo).catch(() => null);
    if (!real) throw invalid(422, "CODEXD_WORKSPACE_NOT_A_REPO", `${w.repo} does not exist or cannot be read`);
    await this.checkAllowed(real, w.repo);
    const top = await repo.topLevel(real);
    if (!top) throw invalid(422, "CODEXD_WORKSPACE_NOT_A_REPO", `${w.repo} is not inside a git work tree`);
    await this.checkAllowed(top, top);
    const ref = w.ref ?? "HEAD";
    const baseCommit = await repo.resolveCommit(top, ref);
    if (!baseCommit) throw invalid(422, "CODEXD_WORKSPACE_UNKNOWN_REF", `${JSON.stringify(ref)} names no commit in ${top}`);
    let branch: string | null = null;
    if (mode === "worktree") {
      branch = w.branch ?? `codexd/${id}`;
      const key = `${top}\0${branch}`;
      const exists = (why: string) => new ProblemError(409, "CODEXD_WORKSPACE_BRANCH_EXISTS", "The branch exists", `Branch ${branch} ${why} in ${top}`, { currentState: "exists" });
      // Promised before git is asked, so two requests for one branch at once cannot both pass.
      if (this.promised.has(key)) throw exists("is promised to another run");
      this.promised.add(key);
      try {
        if (!(await repo.isValidBranchName(top, branch))) throw invalid(422, "CODEXD_WORKSPACE_BAD_BRANCH", `${JSON.stringify(branch)} is not a valid branch name`);
        if (await repo.branchExists(top, branch)) throw exists("already exists");
      } catch (error) {
        this.promised.delete(key);
        throw error;
      }
    }
    return {
      mode,
      repo: top,
      ref,
      baseCommit,
      baseTree: null,
      branch,
      path: mode === "worktree" ? join(this.deps.config.workspaces.dir, id) : real,
      status: "pending",
      commit: w.commit ?? false,
      message: w.message ?? null,
      keep: w.keep ?? true,
      createdAt: null,
      removedAt: null,
    };
  }

  private async checkAllowed(path: string, shown: string): Promise<void> {
    const roots = this.deps.config.workspaces.allowedRoots;
    if (roots.length === 0) return;
    for (const root of roots) {
      const realRoot = await realpath(root).catch(() => root);
      const rel = relative(realRoot, path);
      if (rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel))) return;
    }
    throw invalid(422, "CODEXD_WORKSPACE_PATH_NOT_ALLOWED", `${shown} is not under an allowed root (workspaces.allowedRoots)`);
  }

  /**
   * Make the run's workspace before its session starts: the worktree on its new branch, and the
   * tree its diff will start from. The intent is durable before git runs, so a crash in between
   * leaves a record that recovery finds.
   */
  async prepare(run: RunRecord): Promise<RunRecord> {
    const ws = run.workspace;
    if (!ws || ws.status !== "pending") return run;
    const { store } = this.deps;
    let current = await store.upsertRun({ ...run, workspace: { ...ws, status: "creating" }, updatedAt: now() });
    try {
      if (ws.mode === "worktree") {
        await ensureDir(this.deps.config.workspaces.dir);
        await repo.addWorktree(ws.repo, ws.path, ws.branch!, ws.baseCommit!);
      }
      const baseTree = ws.mode === "worktree" ? await repo.treeOf(ws.repo, ws.baseCommit!) : await repo.snapshotTree(ws.path);
      current = await store.upsertRun({ ...current, workspace: { ...ws, status: "active", baseTree, createdAt: now() }, updatedAt: now() });
    } catch (error) {
      if (ws.mode === "worktree") await this.undoWorktree(ws).catch((e: unknown) => this.deps.logger.error({ err: e, path: ws.path }, "cannot undo a half-made worktree"));
      throw gitFailed(ws.mode === "worktree" ? `cannot create the worktree at ${ws.path}` : `cannot read the state of ${ws.path}`, error);
    } finally {
      if (ws.branch) this.promised.delete(`${ws.repo}\0${ws.branch}`);
    }
    if (ws.mode === "worktree") {
      await this.event(current, "info", "run.workspace_created", `worktree created on branch ${ws.branch}`, { repo: ws.repo, path: ws.path, branch: ws.branch, ref: ws.ref, baseCommit: ws.baseCommit });
    }
    return current;
  }

  /**
   * The run is ending: record its diff and changes, commit them when asked (only a completed
   * run), and remove the worktree when it is not kept. A git failure fails a run that would have
   * completed, with git's message; a run ending otherwise keeps its own reason.
   */
  async settle(run: RunRecord, status: RunStatus, error: RunError): Promise<Settled> {
    const ws = run.workspace;
    if (ws?.branch) this.promised.delete(`${ws.repo}\0${ws.branch}`);
    // The previous daemon died while the run ran: the recovery policy decides about the worktree.
    const recovering = error?.code === "CODEXD_DAEMON_RESTARTED";
    let current = run;
    try {
      if (!ws) current = await this.recordCodexDiff(current);
      else if (ws.status === "pending") current = { ...current, workspace: { ...ws, status: "removed", removedAt: now() } };
      else if (ws.status === "creating") current = await this.abandonCreation(current, ws);
      else if (ws.status === "active") {
        if (!(await exists(ws.path))) return { run: { ...current, workspace: { ...ws, status: "removed", removedAt: now() } }, status, error };
        current = await this.recordGitDiff(current, ws);
        if (ws.commit && status === "completed") current = await this.commit(current, ws);
        const remove = ws.mode === "worktree" && (recovering ? this.deps.config.workspaces.recovery === "remove" : !ws.keep);
        if (remove) current = await this.removeWorktree(current, recovering ? "recovery" : "run-ended");
        else if (recovering && ws.mode === "worktree") {
          await this.event(current, "warn", "run.workspace_kept", `worktree kept after a restart: ${ws.path}`, { path: ws.path, branch: ws.branch, reason: "recovery" });
        }
      }
    } catch (failure) {
      const problem = failure instanceof ProblemError ? failure : gitFailed("workspace", failure);
      this.deps.logger.warn({ err: failure, runId: run.runId }, "workspace step failed");
      if (status === "completed") return { run: current, status: "failed", error: { code: problem.code, message: problem.message } };
      await this.event(current, "warn", "run.workspace_failed", problem.message, { code: problem.code });
    }
    return { run: current, status, error };
  }

  /**
   * POST /v1/sessions with a workspace: checked like a run's, and made at once (the thread starts
   * in it). The worktree lives as long as the session: closing the session commits it when asked
   * and removes it (closeSession). A session that cannot start undoes it (discardSession).
   */
  async openForSession(body: CreateSessionBody, sessionId: string): Promise<RunWorkspace | null> {
    const w = body.workspace;
    if (!w) return null;
    if (body.cwd !== undefined) throw invalid(400, "CODEXD_WORKSPACE_INVALID", "Give either cwd or workspace, not both: the workspace is where the session works");
    if (w.keep !== undefined) throw invalid(400, "CODEXD_WORKSPACE_INVALID", "A session's worktree lives as long as the session (removed when it is closed, the branch stays): keep applies to runs only");
    const ws = await this.check(w, sessionId);
    try {
      if (ws.mode === "worktree") {
        await ensureDir(this.deps.config.workspaces.dir);
        await repo.addWorktree(ws.repo, ws.path, ws.branch!, ws.baseCommit!);
      }
      const baseTree = ws.mode === "worktree" ? await repo.treeOf(ws.repo, ws.baseCommit!) : await repo.snapshotTree(ws.path);
      return { ...ws, keep: false, status: "active", baseTree, createdAt: now() };
    } catch (error) {
      if (ws.mode === "worktree") await this.undoWorktree(ws).catch((e: unknown) => this.deps.logger.error({ err: e, path: ws.path }, "cannot undo a half-made worktree"));
      throw gitFailed(ws.mode === "worktree" ? `cannot create the worktree at ${ws.path}` : `cannot read the state of ${ws.path}`, error);
    } finally {
      if (ws.branch) this.promised.delete(`${ws.repo}\0${ws.branch}`);
    }
  }

  /** The session did not start: remove the worktree and the branch made for it. */
  async discardSession(ws: RunWorkspace): Promise<void> {
    if (ws.mode === "worktree") await this.undoWorktree(ws);
  }

  /** The session is closing: commit its worktree when asked, then remove it (the branch stays). */
  async closeSession(session: SessionRecord): Promise<Partial<SessionRecord>> {
    const ws = session.workspace;
    if (!ws || ws.mode !== "worktree" || ws.status !== "active") return {};
    const event = (type: string, message: string, detail: Record<string, unknown>) =>
      this.deps.store.recordEvent({ level: "info", type, message, sessionId: session.sessionId, detail });
    let commit: { sha: string; branch: string } | null = null;
    if (await exists(ws.path)) {
      if (ws.commit) {
        const sha = await repo.commitAll(ws.path, ws.message ?? `codexd session ${session.sessionId}`).catch((error: unknown) => {
          throw gitFailed(`cannot commit on ${ws.branch}`, error);
        });
        if (sha) {
          commit = { sha, branch: ws.branch! };
          await event("session.committed", `committed ${sha.slice(0, 12)} on ${ws.branch}`, { sha, branch: ws.branch });
        }
      }
      await repo.removeWorktree(ws.repo, ws.path).catch((error: unknown) => {
        throw gitFailed(`cannot remove the worktree at ${ws.path}`, error);
      });
      await event("session.workspace_removed", `worktree removed (session closed); branch ${ws.branch} stays`, { path: ws.path, branch: ws.branch, reason: "session-closed" });
    }
    return { workspace: { ...ws, status: "removed", removedAt: now() }, commit };
  }

  /** DELETE /v1/runs/{id}/workspace: remove a finished run's kept worktree (the branch stays). */
  async remove(runId: string): Promise<{ changed: boolean; workspace: RunWorkspace }> {
    const run = await this.deps.store.getRun(runId);
    if (!run) throw notFound("run", runId);
    const ws = run.workspace;
    if (!ws || ws.mode !== "worktree") throw new ProblemError(404, "CODEXD_NOT_FOUND", "Not found", `run ${runId} has no worktree`);
    if (!TERMINAL.has(run.status)) throw new ProblemError(409, "CODEXD_RUN_ACTIVE", "The run is still going", `run ${runId} is ${run.status}: cancel it or wait for it to end`, { currentState: run.status });
    if (ws.status === "removed") return { changed: false, workspace: ws };
    try {
      const removed = await this.removeWorktree(run, "requested");
      const saved = await this.deps.store.upsertRun({ ...removed, updatedAt: now() });
      return { changed: true, workspace: saved.workspace! };
    } catch (error) {
      throw gitFailed(`cannot remove the worktree at ${ws.path}`, error);
    }
  }

  /** The stored diff of a run and its changes. */
  async diff(runId: string): Promise<RunDiff> {
    const run = await this.deps.store.getRun(runId);
    if (!run) throw notFound("run", runId);
    if (!TERMINAL.has(run.status)) throw new ProblemError(409, "CODEXD_RUN_ACTIVE", "The run is still going", `run ${runId} is ${run.status}: its diff is recorded when it ends`, { currentState: run.status });
    const meta = run.diff;
    if (!meta) throw new ProblemError(404, "CODEXD_NOT_FOUND", "Not found", `run ${runId} has no diff recorded`);
    const text = meta.bytes === 0 ? "" : await readFile(this.diffPath(runId), "utf8");
    return { runId, source: meta.source, diff: text, bytes: meta.bytes, totalBytes: meta.totalBytes, truncated: meta.truncated, changes: run.changes ?? [] };
  }

  /**
   * At start, after unfinished runs were settled: a worktree directory no run owns (a crash
   * between `git worktree add` and its record) is removed, and each repository's worktree list
   * pruned, so no worktree is left without an owner.
   */
  async sweep(): Promise<void> {
    const dir = this.deps.config.workspaces.dir;
    const owned = new Set<string>();
    const repos = new Set<string>();
    for (const run of this.deps.store.listRuns()) {
      const ws = run.workspace;
      if (!ws || ws.mode !== "worktree") continue;
      repos.add(ws.repo);
      if (ws.status !== "removed") owned.add(ws.path);
    }
    for (const session of this.deps.store.listSessions()) {
      const ws = session.workspace;
      if (!ws || ws.mode !== "worktree") continue;
      repos.add(ws.repo);
      if (ws.status !== "removed") owned.add(ws.path);
    }
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const name of entries) {
      const path = join(dir, name);
      if (owned.has(path)) continue;
      const common = await repoOf(path);
      try {
        if (common) await repo.removeWorktree(common, path);
        else await rm(path, { recursive: true, force: true });
        if (common) repos.add(common);
        await this.deps.store.recordEvent({ level: "warn", type: "workspace.orphan_removed", message: `removed a worktree no run owns: ${path}`, detail: { path, repo: common } });
      } catch (error) {
        this.deps.logger.error({ err: error, path }, "cannot remove an orphan worktree");
      }
    }
    for (const r of repos) await repo.pruneWorktrees(r).catch((error: unknown) => this.deps.logger.warn({ err: error, repo: r }, "git worktree prune failed"));
  }

  private diffPath(runId: string): string {
    return join(this.diffDir, `${runId}.diff`);
  }

  private async storeDiff(run: RunRecord, source: "git" | "codex", text: string, totalBytes: number, truncated: boolean): Promise<RunRecord> {
    const stored = truncated ? text + truncationMarker(Buffer.byteLength(text), totalBytes) : text;
    const bytes = Buffer.byteLength(stored);
    if (bytes > 0) {
      await ensureDir(this.diffDir);
      await writeFileAtomic(this.diffPath(run.runId), stored, false);
    }
    return { ...run, diff: { source, bytes, totalBytes, truncated } };
  }

  private async recordCodexDiff(run: RunRecord): Promise<RunRecord> {
    const raw = (run.turnId && this.turnDiffs.get(run.turnId)) || "";
    if (run.turnId) this.turnDiffs.delete(run.turnId);
    const bounded = boundDiff(raw, this.deps.config.workspaces.diffMaxBytes);
    const changes = changesOfUnifiedDiff(raw);
    const current = await this.storeDiff({ ...run, changes }, "codex", bounded.text, bounded.totalBytes, bounded.truncated);
    if (raw !== "") await this.diffEvent(current);
    return current;
  }

  private async recordGitDiff(run: RunRecord, ws: RunWorkspace): Promise<RunRecord> {
    try {
      const endTree = await repo.snapshotTree(ws.path);
      const [bounded, changes] = await Promise.all([
        repo.diffTrees(ws.path, ws.baseTree!, endTree, this.deps.config.workspaces.diffMaxBytes),
        repo.changedFiles(ws.path, ws.baseTree!, endTree),
      ]);
      const current = await this.storeDiff({ ...run, changes }, "git", bounded.text, bounded.totalBytes, bounded.truncated);
      await this.diffEvent(current);
      return current;
    } catch (error) {
      throw gitFailed(`cannot diff ${ws.path}`, error);
    }
  }

  private diffEvent(run: RunRecord) {
    const d = run.diff!;
    return this.event(run, "info", "run.diff_updated", `diff recorded: ${run.changes?.length ?? 0} files`, { source: d.source, files: run.changes?.length ?? 0, bytes: d.bytes, totalBytes: d.totalBytes, truncated: d.truncated });
  }

  private async commit(run: RunRecord, ws: RunWorkspace): Promise<RunRecord> {
    const firstLine = (run.prompt ?? "").split("\n")[0]!.slice(0, 200).trim();
    const message = ws.message ?? `codexd run ${run.runId}${firstLine ? `: ${firstLine}` : ""}`;
    let sha: string | null;
    try {
      sha = await repo.commitAll(ws.path, message);
    } catch (error) {
      throw gitFailed(`cannot commit on ${ws.branch}`, error);
    }
    if (!sha) return { ...run, commit: null };
    const current = { ...run, commit: { sha, branch: ws.branch! } };
    await this.event(current, "info", "run.committed", `committed ${sha.slice(0, 12)} on ${ws.branch}`, { sha, branch: ws.branch });
    return current;
  }

  private async removeWorktree(run: RunRecord, reason: "run-ended" | "requested" | "recovery"): Promise<RunRecord> {
    const ws = run.workspace!;
    try {
      await repo.removeWorktree(ws.repo, ws.path);
    } catch (error) {
      throw gitFailed(`cannot remove the worktree at ${ws.path}`, error);
    }
    const current = { ...run, workspace: { ...ws, status: "removed" as const, removedAt: now() } };
    await this.event(current, "info", "run.workspace_removed", `worktree removed (${reason}); branch ${ws.branch} stays`, { path: ws.path, branch: ws.branch, reason });
    return current;
  }

  /** A crash or failure while the worktree was being made: undo what git did, keep nothing. */
  private async abandonCreation(run: RunRecord, ws: RunWorkspace): Promise<RunRecord> {
    if (ws.mode === "worktree") {
      await this.undoWorktree(ws);
      await this.event(run, "warn", "run.workspace_removed", `half-made worktree removed: ${ws.path}`, { path: ws.path, branch: ws.branch, reason: "creation-failed" });
    }
    return { ...run, workspace: { ...ws, status: "removed", removedAt: now() } };
  }

  /**
   * Remove what `git worktree add` made. The branch goes too only when git registered it checked
   * out at the run's path and it still holds nothing but the base commit: a branch of the same
   * name made by someone else (the reason an add fails) is left alone.
   */
  private async undoWorktree(ws: RunWorkspace): Promise<void> {
    const ours = ws.branch !== null && (await repo.worktreeBranch(ws.repo, ws.path)) === `refs/heads/${ws.branch}`;
    await repo.removeWorktree(ws.repo, ws.path);
    if (ours && (await repo.branchHead(ws.repo, ws.branch!)) === ws.baseCommit) await repo.deleteBranch(ws.repo, ws.branch!);
  }

  private event(run: RunRecord, level: "info" | "warn", type: string, message: string, detail: Record<string, unknown>) {
    return this.deps.store.recordEvent({ level, type, message, runId: run.runId, ...(run.sessionId ? { sessionId: run.sessionId } : {}), detail });
  }
}

/** The main repository of a worktree directory, or null when it is not one. */
async function repoOf(path: string): Promise<string | null> {
  try {
    const gitFile = await readFile(join(path, ".git"), "utf8");
    const m = /^gitdir: (.*)$/m.exec(gitFile);
    if (!m) return null;
    // <repo>/.git/worktrees/<name>
    const adminDir = m[1]!.trim();
    const parts = adminDir.split(sep);
    const at = parts.lastIndexOf("worktrees");
    if (at < 1) return null;
    const commonDir = parts.slice(0, at).join(sep);
    return commonDir.endsWith(`${sep}.git`) ? commonDir.slice(0, -`${sep}.git`.length) : commonDir;
  } catch {
    return null;
  }
}
