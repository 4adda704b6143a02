import { Type, type Static } from "@sinclair/typebox";
import { IsoDateTime, Nullable } from "./common.js";

/** What a run (or session) asks for: where in which repository it works. */
export const WorkspaceRequest = Type.Object(
  {
    repo: Type.String({ minLength: 1, maxLength: 4096, description: "Path of a git repository (a directory inside its work tree)" }),
    mode: Type.Optional(
      Type.Union([Type.Literal("worktree"), Type.Literal("in-place")], {
        description: "`worktree` (default): a new git worktree on a new branch; `in-place`: the repository's own checkout, with the same artifacts",
      }),
    ),
    ref: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: "Commit the worktree starts from (default HEAD)" })),
    branch: Type.Optional(Type.String({ minLength: 1, maxLength: 250, description: "Name of the new branch (default codexd/<runId>)" })),
    commit: Type.Optional(Type.Boolean({ description: "Commit the changes on the branch when the run ends (worktree mode)" })),
    message: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000, description: "Commit message (default: the run's prompt, first line)" })),
    keep: Type.Optional(Type.Boolean({ description: "Keep the worktree after the run (default true, until DELETE /v1/runs/{id}/workspace); false removes it when the run ends (the branch stays)" })),
  },
  { additionalProperties: false, description: "Where the run works: a new git worktree of `repo` (on its own branch), or `repo` in place; the run's diff, changes and commit come from git" },
);
export type WorkspaceRequest = Static<typeof WorkspaceRequest>;

const DiffSource = Type.Union([Type.Literal("git"), Type.Literal("codex")], { description: "git: from the run's workspace; codex: from Codex's turn/diff/updated (a run without workspace)" });

export const WORKSPACE_STATUSES = ["pending", "creating", "active", "removed"] as const;

/** The workspace as the run record holds it. */
export const RunWorkspace = Type.Object(
  {
    mode: Type.Union([Type.Literal("worktree"), Type.Literal("in-place")], { description: "worktree: a git worktree of its own on a new branch; in-place: the repository's own checkout" }),
    repo: Type.String({ description: "Top level of the repository's main work tree" }),
    ref: Type.String({ description: "The base ref as asked (default HEAD)" }),
    baseCommit: Nullable(Type.String({ description: "The commit `ref` named when the workspace was made" })),
    baseTree: Nullable(Type.String({ description: "The tree the run's diff starts from" })),
    branch: Nullable(Type.String({ description: "The run's branch (worktree mode); null in place" })),
    path: Type.String({ description: "Where the turn runs (the worktree, or the repository in-place)" }),
    status: Type.Union(WORKSPACE_STATUSES.map((s) => Type.Literal(s)), {
      description: "pending: planned, not made yet (the run is queued); creating: git worktree add under way; active: the run works in it, or it is kept; removed: the worktree is gone (the branch stays)",
    }),
    commit: Type.Boolean({ description: "Whether a completed run commits its changes on the branch" }),
    message: Nullable(Type.String({ description: "The commit message asked for; null for the default" })),
    keep: Type.Boolean({ description: "Whether the worktree stays after the run (until DELETE /v1/runs/{id}/workspace)" }),
    createdAt: Nullable(IsoDateTime, { description: "When the worktree was made; null before" }),
    removedAt: Nullable(IsoDateTime, { description: "When the worktree was removed; null while it exists" }),
  },
  { additionalProperties: true, description: "The run's workspace: where it is and what became of it" },
);
export type RunWorkspace = Static<typeof RunWorkspace>;

export const FileChange = Type.Object({
  path: Type.String({ description: "Path of the file, relative to the repository's top level" }),
  previousPath: Nullable(Type.String({ description: "Path before a rename or copy" })),
  status: Type.Union(["added", "modified", "deleted", "renamed", "copied", "type_changed", "unknown"].map((s) => Type.Literal(s)), { description: "What happened to the file" }),
  insertions: Nullable(Type.Integer({ minimum: 0, description: "Lines added; null for a binary file" })),
  deletions: Nullable(Type.Integer({ minimum: 0, description: "Lines removed; null for a binary file" })),
}, { description: "One file the run changed" });

export const RunCommit = Type.Object(
  { sha: Type.String({ description: "The commit's full object name" }), branch: Type.String({ description: "The branch it is on" }) },
  { description: "The commit a run with commit: true made on its branch" },
);

export const CommandRun = Type.Object({
  command: Type.String({ description: "The command line as Codex ran it" }),
  cwd: Nullable(Type.String({ description: "Its working directory; null when Codex did not say" })),
  status: Nullable(Type.String({ description: "Codex's status of the command item, e.g. completed, failed, declined" })),
  exitCode: Nullable(Type.Integer({ description: "Its exit code; null when it did not exit (declined, interrupted)" })),
  durationMs: Nullable(Type.Integer({ description: "How long it ran, in ms; null when unknown" })),
  outputTail: Nullable(Type.String({ description: "The last bytes of the command's output" })),
}, { description: "One command Codex executed (a commandExecution item)" });

/** Artifact fields added to the run record. */
export const RunArtifactFields = {
  workspace: Type.Optional(Nullable(RunWorkspace, { description: "The run's workspace; null for a run without one" })),
  changes: Type.Optional(Nullable(Type.Array(FileChange), { description: "Files the run changed (from git; for a run without workspace, from Codex's diff); null until the run ends" })),
  commit: Type.Optional(Nullable(RunCommit, { description: "The commit on the run's branch; null when nothing was committed" })),
  commands: Type.Optional(Nullable(Type.Array(CommandRun), { description: "Commands Codex executed during the run's turn; null until the run ends" })),
  diff: Type.Optional(
    Nullable(
      Type.Object({
        source: DiffSource,
        bytes: Type.Integer({ minimum: 0, description: "Bytes stored" }),
        totalBytes: Type.Integer({ minimum: 0, description: "Bytes of the whole diff" }),
        truncated: Type.Boolean({ description: "Whether the stored diff was cut at workspaces.diffMaxBytes" }),
      }),
      { description: "About the stored diff (GET /v1/runs/{id}/diff); null until the run ends" },
    ),
  ),
  outputSchema: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()), { description: "The JSON Schema the run's final message had to meet; null when none was given" })),
  output: Type.Optional(Type.Unknown({ description: "The final message parsed as JSON and valid against outputSchema" })),
};

export const RunDiff = Type.Object(
  {
    runId: Type.String({ description: "The run" }),
    source: DiffSource,
    diff: Type.String({ description: "Unified diff; when truncated, cut at a byte bound and followed by a marker line" }),
    bytes: Type.Integer({ minimum: 0, description: "Bytes of `diff` as stored" }),
    totalBytes: Type.Integer({ minimum: 0, description: "Bytes of the whole diff before any cut" }),
    truncated: Type.Boolean({ description: "Whether `diff` was cut at workspaces.diffMaxBytes" }),
    changes: Type.Array(FileChange, { description: "Files the run changed" }),
  },
  { $id: "RunDiff", description: "What a finished run changed" },
);
export type RunDiff = Static<typeof RunDiff>;

export const RunDiffQuery = Type.Object(
  { format: Type.Optional(Type.Union([Type.Literal("diff"), Type.Literal("json")], { description: "`json` for the diff with its changes as JSON" })) },
  { additionalProperties: false },
);

export const WorkspaceRemoveResult = Type.Object(
  {
    changed: Type.Boolean({ description: "false when the worktree was removed already" }),
    workspace: RunWorkspace,
  },
  { $id: "WorkspaceRemoveResult", description: "The workspace after DELETE /v1/runs/{id}/workspace" },
);

export const WorkspacesConfig = Type.Object(
  {
    allowedRoots: Type.Array(Type.String({ minLength: 1 }), {
      description: "Repositories must lie under one of these directories; empty allows any path the daemon can read (CODEXD_WORKSPACES_ALLOWED_ROOTS, a JSON array)",
    }),
    dir: Type.String({ minLength: 1, description: "Where worktrees are made (CODEXD_WORKSPACES_DIR; default <state dir>/worktrees)" }),
    diffMaxBytes: Type.Integer({ minimum: 1024, description: "A run's stored diff is cut at this many bytes (CODEXD_WORKSPACES_DIFF_MAX_BYTES)" }),
    recovery: Type.Union([Type.Literal("remove"), Type.Literal("keep")], {
      description: "At start, worktrees of runs a previous daemon left unfinished are removed, or kept for DELETE /v1/runs/{id}/workspace (CODEXD_WORKSPACES_RECOVERY)",
    }),
  },
  { description: "Run workspaces (git worktrees) and their diffs" },
);
