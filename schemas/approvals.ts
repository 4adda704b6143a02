import { Type, type Static } from "@sinclair/typebox";
import { IsoDateTime, Nullable } from "./common.js";
import { PageQuery } from "./sessions.js";

export const APPROVAL_STATUSES = ["pending", "resolved", "expired"] as const;

const DecisionValue = Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Record(Type.String(), Type.Unknown(), { minProperties: 1, maxProperties: 1 })], {
  description: 'A decision the app-server offered: a string ("accept", "acceptForSession", "decline", "cancel") or a one-key object such as {"acceptWithExecpolicyAmendment": {...}}',
});

export const ApprovalRecord = Type.Object(
  {
    approvalId: Type.String(),
    kind: Type.String({ description: "commandExecution, fileChange or permissions" }),
    method: Type.String({ description: "The app-server request method" }),
    status: Type.Union(APPROVAL_STATUSES.map((s) => Type.Literal(s))),
    sessionId: Nullable(Type.String()),
    threadId: Type.String(),
    turnId: Type.String(),
    itemId: Nullable(Type.String()),
    command: Nullable(Type.String()),
    cwd: Nullable(Type.String()),
    reason: Nullable(Type.String()),
    detail: Type.Unknown({ description: "The request's other parameters (file changes, permissions, ...)" }),
    availableDecisions: Type.Array(DecisionValue),
    decision: Nullable(DecisionValue),
    decidedBy: Nullable(Type.String({ description: "operator, policy, timeout, server (resolved elsewhere), turn-ended, child-exited" })),
    createdAt: IsoDateTime,
    resolvedAt: Nullable(IsoDateTime),
    expiresAt: Nullable(IsoDateTime),
  },
  { $id: "Approval" },
);
export type ApprovalRecord = Static<typeof ApprovalRecord>;

export const ApprovalParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });

export const ApprovalListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(APPROVAL_STATUSES.map((s) => Type.Literal(s)))),
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const ApprovalPage = Type.Object(
  { approvals: Type.Array(Type.Unsafe<ApprovalRecord>({ $ref: "Approval" })), nextCursor: Nullable(Type.String()) },
  { $id: "ApprovalPage" },
);

export const DecisionBody = Type.Object({ decision: DecisionValue }, { additionalProperties: false });
export type DecisionBody = Static<typeof DecisionBody>;
