import { Type, type Static } from "@sinclair/typebox";
import { IsoDateTime, JsonObject, Nullable } from "./common.js";

export const TURN_STATUSES = ["pending", "inProgress", "completed", "interrupted", "failed"] as const;
export type TurnStatus = (typeof TURN_STATUSES)[number];
export const TERMINAL_TURN_STATUSES: ReadonlySet<TurnStatus> = new Set(["completed", "interrupted", "failed"]);

export const TurnError = Type.Object({
  code: Type.String({ description: "CODEXD_* code, e.g. CODEXD_TURN_SILENT, CODEXD_CHILD_EXITED, CODEXD_TURN_FAILED" }),
  message: Type.String(),
  detail: Type.Optional(Type.Unknown()),
});

export const TurnRecord = Type.Object(
  {
    turnId: Type.String(),
    sessionId: Type.String(),
    threadId: Type.String(),
    status: Type.Union(TURN_STATUSES.map((s) => Type.Literal(s))),
    input: Type.String({ description: "The text sent" }),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
    startedAt: Nullable(IsoDateTime),
    completedAt: Nullable(IsoDateTime),
    items: Type.Array(JsonObject, { description: "Thread items of the turn, built from item/* notifications" }),
    finalMessage: Nullable(Type.String({ description: "Text of the last agent message" })),
    usage: Nullable(JsonObject),
    error: Nullable(TurnError),
    runId: Type.Optional(Nullable(Type.String())),
  },
  { $id: "Turn", additionalProperties: true },
);
export type TurnRecord = Static<typeof TurnRecord>;
