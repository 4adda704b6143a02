import { Type, type Static } from "@sinclair/typebox";
import { IsoDateTime, JsonObject, Nullable } from "./common.js";

export const TURN_STATUSES = ["pending", "inProgress", "completed", "interrupted", "failed"] as const;
export type TurnStatus = (typeof TURN_STATUSES)[number];
export const TERMINAL_TURN_STATUSES: ReadonlySet<TurnStatus> = new Set(["completed", "interrupted", "failed"]);

/** What Codex said about a failure, kept as it is (on turn and run errors alike). */
export const CodexErrorDetail = {
  codexErrorInfo: Type.Optional(Type.Unknown({ description: "Codex's codexErrorInfo, e.g. \"internalServerError\" or {\"responseStreamDisconnected\": {\"httpStatusCode\": 401}}" })),
  httpStatus: Type.Optional(Nullable(Type.Integer({ description: "The HTTP status the model server answered, when Codex's error says it" }))),
  additionalDetails: Type.Optional(Nullable(Type.String({ description: "Codex's additionalDetails, e.g. the connection or DNS failure" }))),
};

export const TurnError = Type.Object({
  code: Type.String({ description: "CODEXD_* code, e.g. CODEXD_TURN_SILENT, CODEXD_CHILD_EXITED, CODEXD_TURN_FAILED, CODEXD_MODEL_UNREACHABLE" }),
  message: Type.String(),
  ...CodexErrorDetail,
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
    items: Type.Array(JsonObject, {
      description:
        "Thread items of the turn, built from item/* notifications. A finished turn holds only completed items; while it runs, items Codex has not completed yet carry partial: true (their text may still change or be abandoned)",
    }),
    finalMessage: Nullable(Type.String({ description: "Text of the last completed agent message, or null" })),
    usage: Nullable(JsonObject),
    error: Nullable(TurnError),
    runId: Type.Optional(Nullable(Type.String())),
  },
  { $id: "Turn", additionalProperties: true },
);
export type TurnRecord = Static<typeof TurnRecord>;
