import { Type, type Static } from "@sinclair/typebox";
import { IsoDateTime, JsonObject, Nullable } from "./common.js";

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
  },
  { $id: "Session", additionalProperties: true },
);
export type SessionRecord = Static<typeof SessionRecord>;
