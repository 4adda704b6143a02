import { Type, type Static } from "@sinclair/typebox";
import { IsoDateTime, JsonObject, Nullable } from "./common.js";
import { CodexErrorDetail } from "./turns.js";

export const RUN_STATUSES = ["queued", "running", "completed", "failed", "cancelled", "timed_out", "interrupted"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set([
  "completed",
  "failed",
  "cancelled",
  "timed_out",
  "interrupted",
]);

export const RunError = Type.Object({
  code: Type.String({ description: "CODEXD_* code, e.g. CODEXD_MODEL_UNREACHABLE, CODEXD_TURN_FAILED, CODEXD_CHILD_EXITED, CODEXD_RUN_TIMEOUT" }),
  message: Type.String(),
  ...CodexErrorDetail,
});

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
    cwd: Type.Optional(Nullable(Type.String())),
    model: Type.Optional(Nullable(Type.String())),
    approvalPolicy: Type.Optional(Nullable(Type.String())),
    timeoutMs: Type.Optional(Nullable(Type.Integer())),
    idempotencyKey: Type.Optional(Nullable(Type.String())),
    requestHash: Type.Optional(Nullable(Type.String({ description: "Hash of the creating request body, for Idempotency-Key checks" }))),
    approvals: Type.Optional(
      Type.Array(
        Type.Object({
          approvalId: Type.String(),
          kind: Type.String(),
          status: Type.String(),
          decision: Type.Unknown(),
          decidedBy: Nullable(Type.String()),
        }),
        { description: "Approval requests made during the run's turn and how they ended" },
      ),
    ),
  },
  { $id: "Run", additionalProperties: true },
);
export type RunRecord = Static<typeof RunRecord>;

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const CreateRunBody = Type.Object(
  {
    prompt: Text(1_000_000),
    sessionId: Type.Optional(Text(200)),
    cwd: Type.Optional(Text(4096)),
    model: Type.Optional(Text(200)),
    approvalPolicy: Type.Optional(
      Type.Union([Type.Literal("manual"), Type.Literal("accept"), Type.Literal("decline")], { description: "How approval requests during this run are answered" }),
    ),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 86_400_000 })),
    metadata: Type.Optional(JsonObject),
  },
  { additionalProperties: false },
);
export type CreateRunBody = Static<typeof CreateRunBody>;

export const CreateRunHeaders = Type.Object({
  "idempotency-key": Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, pattern: "^[\\x21-\\x7e]+$", description: "Makes retries safe: the same key with the same body returns the same run" }),
  ),
});

export const RunParams = Type.Object({ id: Text(200) });
export const RunGetQuery = Type.Object(
  { waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 120_000, description: "Long-poll: wait up to this long for the run to end" })) },
  { additionalProperties: false },
);
export const RunListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(RUN_STATUSES.map((s) => Type.Literal(s)))),
    sessionId: Type.Optional(Text(200)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);
export const RunPage = Type.Object(
  { runs: Type.Array(Type.Unsafe<RunRecord>({ $ref: "Run" })), nextCursor: Nullable(Type.String()) },
  { $id: "RunPage" },
);
export const RunCancelResult = Type.Object(
  { changed: Type.Boolean(), run: Type.Unsafe<RunRecord>({ $ref: "Run" }) },
  { $id: "RunCancelResult" },
);
