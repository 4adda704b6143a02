import { Type, type Static } from "@sinclair/typebox";
import { IsoDateTime, JsonObject, Nullable } from "./common.js";

export const RUN_STATUSES = ["queued", "running", "completed", "failed", "cancelled", "timed_out", "interrupted"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set([
  "completed",
  "failed",
  "cancelled",
  "timed_out",
  "interrupted",
]);

export const RunError = Type.Object({ code: Type.String(), message: Type.String() });

export const RunRecord = Type.Object(
  {
    runId: Type.String(),
    status: Type.Union(RUN_STATUSES.map((s) => Type.Literal(s))),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
    prompt: Type.Optional(Type.String()),
    sessionId: Type.Optional(Nullable(Type.String())),
    threadId: Type.Optional(Nullable(Type.String())),
    turnId: Type.Optional(Nullable(Type.String())),
    startedAt: Type.Optional(Nullable(IsoDateTime)),
    finishedAt: Type.Optional(Nullable(IsoDateTime)),
    durationMs: Type.Optional(Nullable(Type.Integer())),
    finalMessage: Type.Optional(Nullable(Type.String())),
    usage: Type.Optional(Nullable(JsonObject)),
    error: Type.Optional(Nullable(RunError)),
    attempt: Type.Optional(Type.Integer({ minimum: 0 })),
    metadata: Type.Optional(Nullable(JsonObject)),
  },
  { $id: "Run", additionalProperties: true },
);
export type RunRecord = Static<typeof RunRecord>;
