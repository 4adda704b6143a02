import { Type, type Static } from "@sinclair/typebox";
import { JsonObject, Nullable } from "./common.js";
import { CodexErrorDetail, TruncationMarks } from "./turns.js";
import { RunArtifactFields, WorkspaceRequest } from "./workspaces.js";

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
  code: Type.String({ description: "CODEXD_* code, e.g. CODEXD_MODEL_UNREACHABLE, CODEXD_TURN_FAILED, CODEXD_CHILD_EXITED, CODEXD_RUN_TIMEOUT, CODEXD_WORKSPACE_FAILED, CODEXD_OUTPUT_INVALID" }),
  message: Type.String({ description: "What went wrong, in words" }),
  ...CodexErrorDetail,
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String({ description: "JSON pointer into the output" }), message: Type.String({ description: "What the schema wanted there" }) }), { description: "CODEXD_OUTPUT_INVALID: where the output broke the outputSchema" })),
});

export const RunRecord = Type.Object(
  {
    runId: Type.String({ description: "The run's id (a UUID)" }),
    status: Type.Union(RUN_STATUSES.map((s) => Type.Literal(s)), {
      description:
        "queued: waiting for a free slot or for its session; running: its turn runs; completed; failed (error says why); cancelled (on request); timed_out (timeoutMs passed); interrupted (the daemon stopped or restarted while it ran)",
    }),
    createdAt: Type.String({ format: "date-time", description: "When the run was queued (RFC 3339, UTC)" }),
    updatedAt: Type.String({ format: "date-time", description: "When the record last changed (RFC 3339, UTC)" }),
    prompt: Type.Optional(Type.String({ description: "The prompt sent as the turn's input" })),
    sessionId: Type.Optional(Nullable(Type.String({ description: "The session the run executes on (given, or created for it); null until it is known" }))),
    threadId: Type.Optional(Nullable(Type.String({ description: "The Codex thread of that session; null until the run starts" }))),
    turnId: Type.Optional(Nullable(Type.String({ description: "The turn that executes the run (GET /v1/sessions/{sessionId}/turns/{turnId}); null until it starts" }))),
    startedAt: Type.Optional(Nullable(Type.String({ format: "date-time", description: "When execution began (RFC 3339, UTC); null while queued" }))),
    finishedAt: Type.Optional(Nullable(Type.String({ format: "date-time", description: "When the run ended (RFC 3339, UTC); null until then" }))),
    durationMs: Type.Optional(Nullable(Type.Integer({ description: "Milliseconds from startedAt to finishedAt; null until the run ends" }))),
    finalMessage: Type.Optional(Nullable(Type.String({ description: "Codex's last completed agent message: the run's answer; null when there is none" }))),
    ...TruncationMarks("finalMessage"),
    usage: Type.Optional(Nullable(JsonObject, { description: "Token usage as Codex reported it for the turn; null when none came" })),
    error: Type.Optional(Nullable(RunError, { description: "Why the run did not complete; null otherwise" })),
    attempt: Type.Optional(Type.Integer({ minimum: 0, description: "How many times execution has started: 0 while queued, 1 once running" })),
    metadata: Type.Optional(Nullable(JsonObject, { description: "The metadata given at creation, kept as it is; null when none" })),
    cwd: Type.Optional(Nullable(Type.String({ description: "Working directory given for the run's new session; null: the daemon's default" }))),
    model: Type.Optional(Nullable(Type.String({ description: "Model given for the run; null: the session's" }))),
    approvalPolicy: Type.Optional(Nullable(Type.String({ description: "How approval requests during the run are answered (manual, accept, decline); null: the session's or the daemon's" }))),
    timeoutMs: Type.Optional(Nullable(Type.Integer({ description: "The run's time limit in ms, from when it starts; the daemon's runs.defaultTimeoutMs when not given" }))),
    idempotencyKey: Type.Optional(Nullable(Type.String({ description: "The Idempotency-Key the run was created with; null when none" }))),
    requestHash: Type.Optional(Nullable(Type.String({ description: "Hash of the creating request body, for Idempotency-Key checks" }))),
    approvals: Type.Optional(
      Type.Array(
        Type.Object({
          approvalId: Type.String({ description: "The approval (GET /v1/approvals/{approvalId})" }),
          kind: Type.String({ description: "commandExecution, fileChange or permissions" }),
          status: Type.String({ description: "pending, resolved or expired" }),
          decision: Type.Unknown({ description: "The decision given; null while pending" }),
          decidedBy: Nullable(Type.String({ description: "Who decided: operator, policy, timeout, ...; null while pending" })),
        }),
        { description: "Approval requests made during the run's turn and how they ended" },
      ),
    ),
    ...RunArtifactFields,
  },
  { $id: "Run", additionalProperties: true, description: "A unit of work: one prompt executed as a turn, from queued to a final status" },
);
export type RunRecord = Static<typeof RunRecord>;

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const CreateRunBody = Type.Object(
  {
    prompt: Type.String({ minLength: 1, maxLength: 1_000_000, description: "What Codex is to do: the turn's input" }),
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "Run on this session (after its earlier runs); without it the run gets a new session" })),
    cwd: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: "Working directory of the new session (without sessionId)" })),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "Model for the run's turn" })),
    approvalPolicy: Type.Optional(
      Type.Union([Type.Literal("manual"), Type.Literal("accept"), Type.Literal("decline")], { description: "How approval requests during this run are answered" }),
    ),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 86_400_000, description: "Time limit in ms from when the run starts; past it the turn is interrupted and the run is timed_out. Default runs.defaultTimeoutMs" })),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "Your own data (e.g. a ticket id), kept with the run as it is" })),
    workspace: Type.Optional(WorkspaceRequest),
    outputSchema: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: "JSON Schema the final message must meet: it is parsed into `output`, or the run fails CODEXD_OUTPUT_INVALID" }),
    ),
  },
  { additionalProperties: false },
);
export type CreateRunBody = Static<typeof CreateRunBody>;

export const CreateRunHeaders = Type.Object({
  "idempotency-key": Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, pattern: "^[\\x21-\\x7e]+$", description: "Makes retries safe: the same key with the same body returns the same run" }),
  ),
});

export const RunParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200, description: "The run's id (runId)" }) });
export const RunGetQuery = Type.Object(
  { waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 120_000, description: "Long-poll: wait up to this long for the run to end" })) },
  { additionalProperties: false },
);
export const RunListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(RUN_STATUSES.map((s) => Type.Literal(s)), { description: "Only runs in this status" })),
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "Only runs on this session" })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, description: "Runs per page at most" })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: "nextCursor of the previous page" })),
  },
  { additionalProperties: false },
);
export const RunPage = Type.Object(
  {
    runs: Type.Array(Type.Unsafe<RunRecord>({ $ref: "Run" }), { description: "One page of runs, newest first" }),
    nextCursor: Nullable(Type.String({ description: "Pass as cursor for the next page; null on the last page" })),
  },
  { $id: "RunPage", description: "One page of runs" },
);
export const RunCancelResult = Type.Object(
  {
    changed: Type.Boolean({ description: "false when the run had already ended (it is left as it was)" }),
    run: Type.Unsafe<RunRecord>({ $ref: "Run", description: "The run after the request: cancelled, or as it ended" }),
  },
  { $id: "RunCancelResult", description: "What a cancel request did" },
);
