import { Type, type Static } from "@sinclair/typebox";
import { IsoDateTime, JsonObject, Nullable } from "./common.js";
import type { TurnRecord } from "./turns.js";

export const ApprovalMode = Type.Union([Type.Literal("manual"), Type.Literal("accept"), Type.Literal("decline")], {
  description: "How codexd answers the app-server's approval requests: ask an operator, or accept/decline them all",
});
export type ApprovalMode = Static<typeof ApprovalMode>;

export const SESSION_STATUSES = ["idle", "active", "closed", "failed"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** Seed session record (sessionId, status, currentTurnId, updatedAt) plus thread fields. */
export const SessionRecord = Type.Object(
  {
    sessionId: Type.String(),
    status: Type.Union(SESSION_STATUSES.map((s) => Type.Literal(s))),
    currentTurnId: Nullable(Type.String()),
    updatedAt: IsoDateTime,
    createdAt: Type.Optional(IsoDateTime),
    threadId: Type.Optional(Nullable(Type.String())),
    cwd: Type.Optional(Nullable(Type.String())),
    model: Type.Optional(Nullable(Type.String())),
    turnCount: Type.Optional(Type.Integer({ minimum: 0 })),
    metadata: Type.Optional(Nullable(JsonObject)),
    lastUsage: Type.Optional(Nullable(JsonObject)),
    approvals: Type.Optional(Nullable(ApprovalMode)),
    approvalPolicy: Type.Optional(Nullable(Type.String())),
    sandbox: Type.Optional(Nullable(Type.String())),
    threadParams: Type.Optional(JsonObject),
    closedAt: Type.Optional(Nullable(IsoDateTime)),
  },
  { $id: "Session", additionalProperties: true },
);
export type SessionRecord = Static<typeof SessionRecord>;

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const CreateSessionBody = Type.Object(
  {
    cwd: Type.Optional(Text(4096)),
    model: Type.Optional(Text(200)),
    approvalPolicy: Type.Optional(
      Type.Union([Type.Literal("untrusted"), Type.Literal("on-request"), Type.Literal("never")], { description: "Codex's own approval policy for the thread" }),
    ),
    sandbox: Type.Optional(Type.Union([Type.Literal("read-only"), Type.Literal("workspace-write"), Type.Literal("danger-full-access")])),
    baseInstructions: Type.Optional(Text(100_000)),
    developerInstructions: Type.Optional(Text(100_000)),
    approvals: Type.Optional(ApprovalMode),
    metadata: Type.Optional(JsonObject),
  },
  { additionalProperties: false },
);
export type CreateSessionBody = Static<typeof CreateSessionBody>;

export const SessionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
export const TurnParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }), turnId: Type.String({ minLength: 1, maxLength: 200 }) });

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: "nextCursor of the previous page" })),
};

export const SessionListQuery = Type.Object(
  { status: Type.Optional(Type.Union(SESSION_STATUSES.map((s) => Type.Literal(s)))), ...PageQuery },
  { additionalProperties: false },
);

export const SessionPage = Type.Object(
  { sessions: Type.Array(Type.Unsafe<SessionRecord>({ $ref: "Session" })), nextCursor: Nullable(Type.String()) },
  { $id: "SessionPage" },
);

export const TextInput = Type.Object({ type: Type.Literal("text"), text: Text(1_000_000) }, { additionalProperties: false });

export const StartTurnBody = Type.Object(
  {
    input: Type.Union([Text(1_000_000), Type.Array(TextInput, { minItems: 1, maxItems: 100 })]),
    model: Type.Optional(Text(200)),
    effort: Type.Optional(Type.Union(["minimal", "low", "medium", "high", "xhigh"].map((e) => Type.Literal(e)))),
    outputSchema: Type.Optional(JsonObject),
    steer: Type.Optional(Type.Boolean({ description: "Add the input to the active turn (turn/steer) instead of failing with 409" })),
  },
  { additionalProperties: false },
);
export type StartTurnBody = Static<typeof StartTurnBody>;

export const TurnAccepted = Type.Object(
  {
    sessionId: Type.String(),
    turnId: Type.String(),
    status: Type.String(),
    steered: Type.Boolean(),
  },
  { $id: "TurnAccepted" },
);

export const TurnListQuery = Type.Object(PageQuery, { additionalProperties: false });
export const TurnPage = Type.Object(
  { turns: Type.Array(Type.Unsafe<TurnRecord>({ $ref: "Turn" })), nextCursor: Nullable(Type.String()) },
  { $id: "TurnPage" },
);

export const InterruptResult = Type.Object(
  { sessionId: Type.String(), turnId: Type.String(), requested: Type.Boolean() },
  { $id: "InterruptResult" },
);
