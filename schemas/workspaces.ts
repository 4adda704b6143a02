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
  { additionalProperties: false },
);
export type WorkspaceRequest = Static<typeof WorkspaceRequest>;

export const WORKSPACE_STATUSES = ["pending", "creating", "active", "removed"] as const;

/** The workspace as the run record holds it. */
export const RunWorkspace = Type.Object(
  {
    mode: Type.Union([Type.Literal("worktree"), Type.Literal("in-place")]),
    repo: Type.String({ description: "Top level of the repository's main work tree" }),
    ref: Type.String(),
    baseCommit: Nullable(Type.String({ description: "The commit `ref` named when the workspace was made" })),
    baseTree: Nullable(Type.String({ description: "The tree the run's diff starts from" })),
    branch: Nullable(Type.String()),
    path: Type.String({ description: "Where the turn runs (the worktree, or the repository in-place)" }),
    status: Type.Union(WORKSPACE_STATUSES.map((s) => Type.Literal(s))),
    commit: Type.Boolean(),
    message: Nullable(Type.String()),
    keep: Type.Boolean(),
    createdAt: Nullable(IsoDateTime),
    removedAt: Nullable(IsoDateTime),
  },
  { additionalProperties: true },
);
export type RunWorkspace = Static<typeof RunWorkspace>;

export const FileChange = Type.Object({
  path: Type.String(),
  previousPath: Nullable(Type.String({ description: "Path before a rename or copy" })),
  status: Type.Union(["added", "modified", "deleted", "renamed", "copied", "type_changed", "unknown"].map((s) => Type.Literal(s))),
  insertions: Nullable(Type.Integer({ minimum: 0, description: "null for a binary file" })),
  deletions: Nullable(Type.Integer({ minimum: 0 })),
});

export const RunCommit = Type.Object({ sha: Type.String(), branch: Type.String() });

export const CommandRun = Type.Object({
  command: Type.String(),
  cwd: Nullable(Type.String()),
  status: Nullable(Type.String()),
  exitCode: Nullable(Type.Integer()),
  durationMs: Nullable(Type.Integer()),
  outputTail: Nullable(Type.String({ description: "The last bytes of the command's output" })),
});

/** Artifact fields added to the run record. */
export const RunArtifactFields = {
  workspace: Type.Optional(Nullable(RunWorkspace)),
  changes: Type.Optional(Nullable(Type.Array(FileChange, { description: "Files the run changed (from git; for a run without workspace, from Codex's diff)" }))),
  commit: Type.Optional(Nullable(RunCommit)),
  commands: Type.Optional(Nullable(Type.Array(CommandRun, { description: "Commands Codex executed during the run's turn" }))),
  diff: Type.Optional(
    Nullable(
      Type.Object({
        source: Type.Union([Type.Literal("git"), Type.Literal("codex")]),
        bytes: Type.Integer({ minimum: 0, description: "Bytes stored" }),
        totalBytes: Type.Integer({ minimum: 0, description: "Bytes of the whole diff" }),
        truncated: Type.Boolean(),
      }),
    ),
  ),
  outputSchema: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
  output: Type.Optional(Type.Unknown({ description: "The final message parsed as JSON and valid against outputSchema" })),
};

export const RunDiff = Type.Object(
  {
    runId: Type.String(),
    source: Type.Union([Type.Literal("git"), Type.Literal("codex")]),
    diff: Type.String({ description: "Unified diff; when truncated, cut at a byte bound and followed by a marker line" }),
    bytes: Type.Integer({ minimum: 0 }),
    totalBytes: Type.Integer({ minimum: 0 }),
    truncated: Type.Boolean(),
    changes: Type.Array(FileChange),
  },
  { $id: "RunDiff" },
);
export type RunDiff = Static<typeof RunDiff>;

export const RunDiffQuery = Type.Object(
  { format: Type.Optional(Type.Union([Type.Literal("diff"), Type.Literal("json")], { description: "`json` for the diff with its changes as JSON" })) },
  { additionalProperties: false },
);

export const WorkspaceRemoveResult = Type.Object(
  { changed: Type.Boolean(), workspace: RunWorkspace },
  { $id: "WorkspaceRemoveResult" },
);

export const WorkspacesConfig = Type.Object({
  allowedRoots: Type.Array(Type.String({ minLength: 1 }), {
    description: "Repositories must lie under one of these directories; empty allows any path the daemon can read",
  }),
  dir: Type.String({ minLength: 1, description: "Where worktrees are made (default <state dir>/worktrees)" }),
  diffMaxBytes: Type.Integer({ minimum: 1024, description: "A run's stored diff is cut at this many bytes" }),
  recovery: Type.Union([Type.Literal("remove"), Type.Literal("keep")], {
    description: "At start, worktrees of runs a previous daemon left unfinished are removed, or kept for DELETE /v1/runs/{id}/workspace",
  }),
});
