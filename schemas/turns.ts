import { Type, type Static, type TBoolean, type TInteger, type TOptional } from "@sinclair/typebox";
import { JsonObject, Nullable } from "./common.js";

export const TURN_STATUSES = ["pending", "inProgress", "completed", "interrupted", "failed"] as const;
export type TurnStatus = (typeof TURN_STATUSES)[number];
export const TERMINAL_TURN_STATUSES: ReadonlySet<TurnStatus> = new Set(["completed", "interrupted", "failed"]);

/** What Codex said about a failure, kept as it is (on turn and run errors alike). */
export const CodexErrorDetail = {
  codexErrorInfo: Type.Optional(Type.Unknown({ description: "Codex's codexErrorInfo, e.g. \"internalServerError\" or {\"responseStreamDisconnected\": {\"httpStatusCode\": 401}}" })),
  httpStatus: Type.Optional(Nullable(Type.Integer({ description: "The HTTP status the model server answered, when Codex's error says it" }))),
  additionalDetails: Type.Optional(Nullable(Type.String({ description: "Codex's additionalDetails, e.g. the connection or DNS failure" }))),
};

/**
 * Set beside a text the registry kept cut (limits.registryTextBytes): the text ends with
 * "…[truncated]", `<name>Bytes` is the size it had. The event log keeps what it was made from.
 */
export const TruncationMarks = <N extends string>(name: N) =>
  ({
    [`${name}Truncated`]: Type.Optional(Type.Boolean({ description: `true when ${name} was cut to limits.registryTextBytes (it then ends with …[truncated])` })),
    [`${name}Bytes`]: Type.Optional(Type.Integer({ description: `The UTF-8 size of ${name} before it was cut` })),
  }) as Record<`${N}Truncated`, TOptional<TBoolean>> & Record<`${N}Bytes`, TOptional<TInteger>>;

export const TurnError = Type.Object({
  code: Type.String({ description: "CODEXD_* code, e.g. CODEXD_TURN_SILENT, CODEXD_CHILD_EXITED, CODEXD_TURN_FAILED, CODEXD_MODEL_UNREACHABLE" }),
  message: Type.String({ description: "What went wrong, in words (Codex's message when Codex gave one)" }),
  ...CodexErrorDetail,
  detail: Type.Optional(Type.Unknown({ description: "More about the failure, as Codex or the daemon gave it" })),
});

export const TurnRecord = Type.Object(
  {
    turnId: Type.String({ description: "The turn's id, as the app-server gave it" }),
    sessionId: Type.String({ description: "The session the turn runs on" }),
    threadId: Type.String({ description: "The Codex thread the turn runs on" }),
    status: Type.Union(TURN_STATUSES.map((s) => Type.Literal(s)), {
      description: "pending: sent, not yet started; inProgress: running; completed; interrupted (interrupt, cancel, close, timeout or silence); failed (error)",
    }),
    input: Type.String({ description: "The text sent" }),
    createdAt: Type.String({ format: "date-time", description: "When the turn was sent (RFC 3339, UTC)" }),
    updatedAt: Type.String({ format: "date-time", description: "When the record last changed (RFC 3339, UTC)" }),
    startedAt: Nullable(Type.String({ format: "date-time", description: "When Codex reported the turn started (RFC 3339, UTC); null before that" })),
    completedAt: Nullable(Type.String({ format: "date-time", description: "When the turn ended (RFC 3339, UTC); null while it runs" })),
    items: Type.Array(JsonObject, {
      description:
        "Thread items of the turn, built from item/* notifications. A finished turn holds only completed items; while it runs, items Codex has not completed yet carry partial: true (their text may still change or be abandoned). An item over limits.registryTextBytes has its long strings cut and carries truncated: true and originalBytes; older items beyond limits.turnItemsBytes keep only id, type and status (truncated: true)",
    }),
    finalMessage: Nullable(Type.String({ description: "Text of the last completed agent message, or null" })),
    usage: Nullable(JsonObject, { description: "The thread's token usage as Codex reported it during the turn (thread/tokenUsage/updated); null when none came" }),
    error: Nullable(TurnError, { description: "Why the turn failed or was interrupted; null when it completed or runs" }),
    runId: Type.Optional(Nullable(Type.String({ description: "The run that started the turn; null for turns started through the sessions API" }))),
    ...TruncationMarks("input"),
    ...TruncationMarks("finalMessage"),
  },
  { $id: "Turn", additionalProperties: true, description: "One exchange on a session: the input sent, what Codex did (items) and how it ended" },
);
export type TurnRecord = Static<typeof TurnRecord>;
