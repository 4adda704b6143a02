import { Type, type Static } from "@sinclair/typebox";
import { Nullable } from "./common.js";
import { PageQuery } from "./sessions.js";

export const APPROVAL_STATUSES = ["pending", "resolved", "expired"] as const;

const DecisionValue = Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Record(Type.String(), Type.Unknown(), { minProperties: 1, maxProperties: 1 })], {
  description: 'A decision the app-server offered: a string ("accept", "acceptForSession", "decline", "cancel") or a one-key object such as {"acceptWithExecpolicyAmendment": {...}}',
});

export const ApprovalRecord = Type.Object(
  {
    approvalId: Type.String({ description: "The approval's id (a UUID)" }),
    kind: Type.String({ description: "What is to be approved: commandExecution, fileChange or permissions" }),
    method: Type.String({ description: "The app-server request method, e.g. item/commandExecution/requestApproval" }),
    status: Type.Union(APPROVAL_STATUSES.map((s) => Type.Literal(s)), {
      description: "pending: waiting for a decision; resolved: decided (decision, decidedBy); expired: nobody decided in time and it was declined",
    }),
    sessionId: Nullable(Type.String({ description: "The session whose turn asked; null when the thread is not one of codexd's sessions" })),
    threadId: Type.String({ description: "The Codex thread that asked" }),
    turnId: Type.String({ description: "The turn that asked" }),
    itemId: Nullable(Type.String({ description: "The thread item (command, file change) the request is about; null when Codex names none" })),
    command: Nullable(Type.String({ description: "The command to run (commandExecution); null for other kinds" })),
    cwd: Nullable(Type.String({ description: "Directory the command would run in (commandExecution); null for other kinds" })),
    reason: Nullable(Type.String({ description: "Why Codex asks, as Codex said it; null when it gave none" })),
    detail: Type.Unknown({ description: "The request's other parameters (file changes, permissions, ...)" }),
    availableDecisions: Type.Array(DecisionValue, { description: "The decisions the app-server offered; a decision must be one of these" }),
    decision: Nullable(DecisionValue, { description: "The decision given; null while pending" }),
    decidedBy: Nullable(
      Type.String({ description: "Who decided: operator, policy, timeout, server (resolved elsewhere), turn-ended, child-exited; null while pending" }),
    ),
    createdAt: Type.String({ format: "date-time", description: "When Codex asked (RFC 3339, UTC)" }),
    resolvedAt: Nullable(Type.String({ format: "date-time", description: "When it was decided or expired (RFC 3339, UTC); null while pending" })),
    expiresAt: Nullable(Type.String({ format: "date-time", description: "When a pending manual approval is declined if nobody decides (RFC 3339, UTC); null when not waiting for an operator" })),
  },
  { $id: "Approval", description: "A request of the app-server for approval (a command to run, files to change, permissions) and how it was answered" },
);
export type ApprovalRecord = Static<typeof ApprovalRecord>;

export const ApprovalParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200, description: "The approval's id (approvalId)" }) });

export const ApprovalListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(APPROVAL_STATUSES.map((s) => Type.Literal(s)), { description: "Only approvals in this status" })),
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "Only approvals asked by this session's turns" })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const ApprovalPage = Type.Object(
  {
    approvals: Type.Array(Type.Unsafe<ApprovalRecord>({ $ref: "Approval" }), { description: "One page of approvals, newest first" }),
    nextCursor: Nullable(Type.String({ description: "Pass as cursor for the next page; null on the last page" })),
  },
  { $id: "ApprovalPage", description: "One page of approval requests" },
);

export const DecisionBody = Type.Object({ decision: DecisionValue }, { additionalProperties: false, description: "The decision: one of the approval's availableDecisions" });
export type DecisionBody = Static<typeof DecisionBody>;
