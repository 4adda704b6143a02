import { Type, type Static } from "@sinclair/typebox";
import { JsonObject, Nullable } from "./common.js";
import type { TurnRecord } from "./turns.js";
import { RunCommit, RunWorkspace, WorkspaceRequest } from "./workspaces.js";

export const ApprovalMode = Type.Union([Type.Literal("manual"), Type.Literal("accept"), Type.Literal("decline")], {
  description: "How codexd answers the app-server's approval requests: ask an operator, or accept/decline them all",
});
export type ApprovalMode = Static<typeof ApprovalMode>;

export const SESSION_STATUSES = ["idle", "active", "closed", "failed"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** Seed session record (sessionId, status, currentTurnId, updatedAt) plus thread fields. */
export const SessionRecord = Type.Object(
  {
    sessionId: Type.String({ description: "The session's id (a UUID)" }),
    status: Type.Union(SESSION_STATUSES.map((s) => Type.Literal(s)), {
      description: "idle: no turn running, takes a new one; active: a turn is running (currentTurnId); closed: closed on request; failed: its thread was lost and could not be replaced",
    }),
    currentTurnId: Nullable(Type.String({ description: "The turn running now; null when idle" })),
    updatedAt: Type.String({ format: "date-time", description: "When the record last changed (RFC 3339, UTC)" }),
    createdAt: Type.Optional(Type.String({ format: "date-time", description: "When the session was created (RFC 3339, UTC)" })),
    threadId: Type.Optional(Nullable(Type.String({ description: "The Codex thread behind the session; it changes when a lost thread is replaced (event session.thread_replaced)" }))),
    cwd: Type.Optional(Nullable(Type.String({ description: "Working directory Codex works in for this session" }))),
    model: Type.Optional(Nullable(Type.String({ description: "Model the thread uses, as the app-server reported it; null when unknown" }))),
    turnCount: Type.Optional(Type.Integer({ minimum: 0, description: "Turns started on the session so far" })),
    metadata: Type.Optional(Nullable(JsonObject, { description: "The metadata given at creation, kept as it is; null when none" })),
    lastUsage: Type.Optional(Nullable(JsonObject, { description: "The thread's token usage as Codex last reported it (thread/tokenUsage/updated); null before any" })),
    approvals: Type.Optional(
      Nullable(ApprovalMode, { description: "How codexd answers this session's approval requests; null: the daemon's approvals.policy" }),
    ),
    approvalPolicy: Type.Optional(Nullable(Type.String({ description: "Codex's own approval policy given at creation (untrusted, on-request, never); null: Codex's default" }))),
    sandbox: Type.Optional(Nullable(Type.String({ description: "Codex's sandbox mode given at creation (read-only, workspace-write, danger-full-access); null: Codex's default" }))),
    threadParams: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "The thread/start parameters the thread was made with, used again when a lost thread is replaced" })),
    closedAt: Type.Optional(Nullable(Type.String({ format: "date-time", description: "When the session was closed (RFC 3339, UTC); null while open" }))),
    workspace: Type.Optional(Nullable(RunWorkspace, { description: "The session's workspace (its cwd); absent for a session created without one" })),
    commit: Type.Optional(Nullable(RunCommit, { description: "The commit closing the session made on its branch (workspace.commit); null when nothing was committed" })),
  },
  { $id: "Session", additionalProperties: true, description: "A Codex thread that codexd runs turns on" },
);
export type SessionRecord = Static<typeof SessionRecord>;

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const CreateSessionBody = Type.Object(
  {
    cwd: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: "Directory Codex works in; default the daemon's child cwd" })),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "Model for the thread; default Codex's configured model" })),
    approvalPolicy: Type.Optional(
      Type.Union([Type.Literal("untrusted"), Type.Literal("on-request"), Type.Literal("never")], {
        description: "Codex's own approval policy for the thread: when Codex asks for approval at all",
      }),
    ),
    sandbox: Type.Optional(
      Type.Union([Type.Literal("read-only"), Type.Literal("workspace-write"), Type.Literal("danger-full-access")], {
        description: "Codex's sandbox for commands it runs: read-only, write access to the workspace, or none",
      }),
    ),
    baseInstructions: Type.Optional(Type.String({ minLength: 1, maxLength: 100_000, description: "Replaces Codex's base instructions for the thread" })),
    developerInstructions: Type.Optional(Type.String({ minLength: 1, maxLength: 100_000, description: "Developer instructions added to the thread" })),
    approvals: Type.Optional(Type.Unsafe<ApprovalMode>({ ...ApprovalMode, description: "How codexd answers this session's approval requests; default the daemon's approvals.policy" })),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "Your own data, kept with the session as it is (up to the body limit)" })),
    workspace: Type.Optional(
      Type.Unsafe<Static<typeof WorkspaceRequest>>({
        ...WorkspaceRequest,
        description: "Work in a new git worktree of `repo` (or `repo` in place) for the session's life: made before the thread starts, committed (commit: true) and removed when the session is closed; the branch stays. `keep` is for runs only",
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateSessionBody = Static<typeof CreateSessionBody>;

const SessionId = Type.String({ minLength: 1, maxLength: 200, description: "The session's id (sessionId)" });
export const SessionParams = Type.Object({ id: SessionId });
export const TurnParams = Type.Object({ id: SessionId, turnId: Type.String({ minLength: 1, maxLength: 200, description: "The turn's id (turnId)" }) });

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, description: "Items per page at most" })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: "nextCursor of the previous page" })),
};

export const SessionListQuery = Type.Object(
  { status: Type.Optional(Type.Union(SESSION_STATUSES.map((s) => Type.Literal(s)), { description: "Only sessions in this status" })), ...PageQuery },
  { additionalProperties: false },
);

export const SessionPage = Type.Object(
  {
    sessions: Type.Array(Type.Unsafe<SessionRecord>({ $ref: "Session" }), { description: "One page of sessions, newest first" }),
    nextCursor: Nullable(Type.String({ description: "Pass as cursor for the next page; null on the last page" })),
  },
  { $id: "SessionPage", description: "One page of sessions" },
);

export const TextInput = Type.Object(
  { type: Type.Literal("text", { description: "The kind of input; only text" }), text: Type.String({ minLength: 1, maxLength: 1_000_000, description: "The text" }) },
  { additionalProperties: false },
);

export const StartTurnBody = Type.Object(
  {
    input: Type.Union([Text(1_000_000), Type.Array(TextInput, { minItems: 1, maxItems: 100 })], {
      description: "What to tell Codex: a text, or a list of text inputs (joined in order)",
    }),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "Model for this turn and the ones after it; default the session's" })),
    effort: Type.Optional(
      Type.Union(["minimal", "low", "medium", "high", "xhigh"].map((e) => Type.Literal(e)), { description: "Reasoning effort for the turn; default Codex's" }),
    ),
    outputSchema: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "A JSON Schema the final message must conform to" })),
    steer: Type.Optional(Type.Boolean({ description: "Add the input to the active turn (turn/steer) instead of failing with 409" })),
  },
  { additionalProperties: false },
);
export type StartTurnBody = Static<typeof StartTurnBody>;

export const TurnAccepted = Type.Object(
  {
    sessionId: Type.String({ description: "The session" }),
    turnId: Type.String({ description: "The turn started, or with steer the active turn the input was added to" }),
    status: Type.String({ description: "The turn's status when the answer was made (see Turn.status)" }),
    steered: Type.Boolean({ description: "true when the input was added to the active turn (steer) rather than starting a turn" }),
  },
  { $id: "TurnAccepted", description: "A turn accepted: follow it with GET /v1/sessions/{id}/turns/{turnId} or the event stream" },
);

export const TurnListQuery = Type.Object(PageQuery, { additionalProperties: false });
export const TurnPage = Type.Object(
  {
    turns: Type.Array(Type.Unsafe<TurnRecord>({ $ref: "Turn" }), { description: "One page of the session's turns, oldest first" }),
    nextCursor: Nullable(Type.String({ description: "Pass as cursor for the next page; null on the last page" })),
  },
  { $id: "TurnPage", description: "One page of a session's turns" },
);

export const InterruptResult = Type.Object(
  {
    sessionId: Type.String({ description: "The session" }),
    turnId: Type.String({ description: "The turn asked to stop" }),
    requested: Type.Boolean({ description: "true: the interrupt was sent; the turn ends interrupted (see its record or the turn.completed event)" }),
  },
  { $id: "InterruptResult", description: "An interrupt sent to the session's active turn" },
);
