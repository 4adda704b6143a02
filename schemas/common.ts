import { Kind, Type, type SchemaOptions, type Static, type TSchema, type TUnsafe } from "@sinclair/typebox";

/** A reference to a registered schema that keeps the static type of its target. */
export function ref<T extends TSchema & { $id?: string }>(schema: T) {
  if (!schema.$id) throw new Error("ref() needs a schema with an $id");
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id));
}

const SCALAR_TYPES = new Set(["string", "integer", "number", "boolean"]);

/**
 * The schema's values or null. A scalar becomes `type: [<type>, "null"]`: the response
 * serializer then tells the two apart with a typeof, where an `anyOf` makes it validate every
 * value against each branch (with its format) before writing it. Anything else is an `anyOf`.
 * TypeBox's own Value.Check does not know the scalar form: settings checked with it use OrNull.
 */
export function Nullable<T extends TSchema>(schema: T, options: SchemaOptions = {}): TUnsafe<Static<T> | null> {
  const { type } = schema as { type?: unknown };
  if (typeof type === "string" && SCALAR_TYPES.has(type) && schema.$id === undefined) {
    const { [Kind]: _kind, ...keywords } = schema as TSchema & Record<string, unknown>;
    return Type.Unsafe<Static<T> | null>({ ...keywords, ...options, type: [type, "null"] });
  }
  return OrNull(schema, options) as unknown as TUnsafe<Static<T> | null>;
}

/** The schema's values or null, as an `anyOf` that TypeBox's Value.Check understands; options (a description) go on the `anyOf`. */
export const OrNull = <T extends TSchema>(schema: T, options: SchemaOptions = {}) => Type.Union([schema, Type.Null()], options);

export const IsoDateTime = Type.String({ format: "date-time", description: "RFC 3339 timestamp (UTC)" });

export const JsonObject = Type.Record(Type.String(), Type.Unknown(), {
  description: "Free-form JSON object",
});

/** RFC 9457 problem details, with a stable machine-readable code. */
export const Problem = Type.Object(
  {
    type: Type.String({ description: "URI reference identifying the problem type" }),
    title: Type.String({ description: "Short summary of the problem type; the same for every problem with this code" }),
    status: Type.Integer({ minimum: 400, maximum: 599, description: "The HTTP status code of the answer" }),
    code: Type.String({ pattern: "^CODEXD_[A-Z0-9_]+$", description: "Stable error code" }),
    detail: Type.Optional(Type.String({ description: "What went wrong with this request, in words (which value, which state)" })),
    instance: Type.Optional(Type.String({ description: "The request target (path and query) that got this answer" })),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          location: Type.String({ description: "body, querystring, params or headers" }),
          path: Type.String({ description: "JSON pointer of the offending value" }),
          message: Type.String({ description: "What is wrong with the value and what is allowed" }),
        }),
        { description: "Validation failures, one per offending value" },
      ),
    ),
    currentState: Type.Optional(Type.String({ description: "State that made the request conflict" })),
    oldestSeq: Type.Optional(Type.Integer({ description: "Oldest event seq still retained (CODEXD_CURSOR_EXPIRED): resume from oldestSeq - 1" })),
    lastSeq: Type.Optional(Type.Integer({ description: "Newest event seq recorded (CODEXD_CURSOR_AHEAD)" })),
    turnId: Type.Optional(
      Nullable(Type.String({ description: "The turn the problem is about (CODEXD_NO_ACTIVE_TURN: the turn that had already ended; CODEXD_TURN_ACTIVE: the active turn, null while it is still being started)" })),
    ),
    turnStatus: Type.Optional(Type.String({ description: "How that turn ended (CODEXD_NO_ACTIVE_TURN)" })),
    runId: Type.Optional(Type.String({ description: "The run that already holds this Idempotency-Key (CODEXD_IDEMPOTENCY_KEY_REUSED)" })),
    availableDecisions: Type.Optional(
      Type.Array(Type.Union([Type.String(), JsonObject]), { description: "The decisions the app-server offered for this approval (CODEXD_DECISION_NOT_OFFERED): send one of these" }),
    ),
    rpcCode: Type.Optional(Type.Integer({ description: "JSON-RPC error code the app-server answered with (502 problems)" })),
    allow: Type.Optional(Type.Array(Type.String(), { description: "Methods the path answers (405 CODEXD_METHOD_NOT_ALLOWED); the same as the Allow header" })),
    key: Type.Optional(Type.String({ description: "The JSON key refused (CODEXD_FORBIDDEN_KEY)" })),
    maxQueued: Type.Optional(Type.Integer({ description: "The queue limit reached (CODEXD_QUEUE_FULL): runs.maxQueued" })),
    method: Type.Optional(Type.String({ description: "The app-server method that was not answered in time (CODEXD_CHILD_TIMEOUT)" })),
    timeoutMs: Type.Optional(Type.Integer({ description: "How long codexd waited for that answer, in milliseconds (CODEXD_CHILD_TIMEOUT)" })),
    stateDir: Type.Optional(Type.String({ description: "The state directory that cannot be written (CODEXD_STORAGE_FULL, CODEXD_STORAGE_UNAVAILABLE)" })),
    cause: Type.Optional(Type.String({ description: "Why it cannot be written, e.g. ENOSPC, EROFS, LOCK_LOST (CODEXD_STORAGE_FULL, CODEXD_STORAGE_UNAVAILABLE)" })),
    since: Type.Optional(Type.String({ format: "date-time", description: "When the state directory stopped accepting writes (CODEXD_STORAGE_FULL, CODEXD_STORAGE_UNAVAILABLE)" })),
    reasons: Type.Optional(Type.Array(Type.String(), { description: "Why the daemon is not ready (CODEXD_NOT_READY), one sentence each" })),
    checks: Type.Optional(Type.Record(Type.String(), Type.Boolean(), { description: "Each readiness check and whether it passed (CODEXD_NOT_READY)" })),
    field: Type.Optional(Type.String({ description: "The body field over its byte limit (413 CODEXD_PAYLOAD_TOO_LARGE from a field limit)" })),
    sizeBytes: Type.Optional(Type.Integer({ description: "The field's size in UTF-8 bytes (its JSON for metadata)" })),
    limitBytes: Type.Optional(Type.Integer({ description: "The most the field may have (a limits.* setting)" })),
  },
  { $id: "Problem", additionalProperties: true, description: "RFC 9457 problem details" },
);
export type Problem = Static<typeof Problem>;

const PROBLEM_TEXT: Record<number, string> = {
  400: "Invalid request (schema validation failed)",
  401: "Missing or wrong bearer token",
  403: "Forbidden (host or origin not allowed)",
  404: "Not found",
  409: "Conflicts with the current state",
  410: "Gone: the cursor is older than what is retained",
  413: "Request body too large, or a field over its byte limit (CODEXD_PAYLOAD_TOO_LARGE naming the field and the limit)",
  414: "A path parameter is longer than the router accepts",
  415: "Unsupported media type",
  422: "Well-formed but not acceptable",
  429: "Too many requests",
  500: "Internal error",
  502: "The app-server refused the request or answered unexpectedly",
  503: "Not ready (the app-server child is not running, the daemon is shutting down, or the state directory cannot be written: CODEXD_STORAGE_UNAVAILABLE)",
  504: "The app-server did not answer in time",
  507: "The state directory is full (CODEXD_STORAGE_FULL): the change was not made",
};

/** Response headers the API sends, as the contract declares them. */
export const HEADERS = {
  location: { type: "string", description: "Path of the resource the request created, e.g. /v1/runs/run_01J..." },
  "idempotent-replayed": { type: "string", enum: ["true"], description: "Present (\"true\") when this answer replays the run an earlier request with the same Idempotency-Key created" },
  "x-codexd-after": { type: "string", pattern: "^[0-9]+$", description: "The stream's effective cursor: it replays events with a greater seq, then follows live. Also the `id:` of its first event, `ready`" },
  "retry-after": { type: "string", description: "Seconds to wait before retrying" },
  "www-authenticate": { type: "string", description: "The authentication scheme expected: Bearer realm=\"codexd\"" },
  "x-codexd-diff-truncated": { type: "string", enum: ["true", "false"], description: "Whether the run's stored diff was cut at workspaces.diffMaxBytes (then its last line is a marker naming the bytes kept)" },
} as const;

type HeaderName = keyof typeof HEADERS;

/** A JSON response with the headers it carries, for routes whose answers have headers to declare. */
export function jsonWithHeaders<T>(description: string, schema: T, headers: readonly HeaderName[]) {
  return {
    description,
    headers: Object.fromEntries(headers.map((name) => [name, HEADERS[name]])),
    content: { "application/json": { schema } },
  };
}

/**
 * A JSON response with the example the docs show (emitted as the media type's `example`), and
 * the headers it carries. Examples are bodies captured from a real run: schemas/examples.ts.
 */
export function jsonExample<T>(description: string, schema: T, example: unknown, headers: readonly HeaderName[] = []) {
  return {
    description,
    ...(headers.length > 0 ? { headers: Object.fromEntries(headers.map((name) => [name, HEADERS[name]])) } : {}),
    content: { "application/json": { schema, example } },
  };
}

/** A request body schema with the example the docs show (@fastify/swagger emits it as the media type's `example`). */
export function withExample<T extends TSchema>(schema: T, example: unknown): T {
  return { ...schema, examples: [example] };
}

/** Headers a problem of this status carries. */
const PROBLEM_HEADERS: Record<number, readonly HeaderName[]> = { 401: ["www-authenticate"], 429: ["retry-after"], 503: ["retry-after"], 507: ["retry-after"] };

/** Response map entries, as application/problem+json, for the problem statuses a route can answer. */
export function problems<const S extends readonly number[]>(...statuses: S) {
  const out: Record<number, unknown> = {};
  for (const status of statuses) {
    const headers = PROBLEM_HEADERS[status];
    out[status] = {
      description: PROBLEM_TEXT[status] ?? "Problem",
      ...(headers ? { headers: Object.fromEntries(headers.map((name) => [name, HEADERS[name]])) } : {}),
      content: { "application/problem+json": { schema: ref(Problem) } },
    };
  }
  return out as Record<S[number], { description: string; content: { "application/problem+json": { schema: ReturnType<typeof ref<typeof Problem>> } } }>;
}

export const EventLevel = Type.Union(
  [Type.Literal("debug"), Type.Literal("info"), Type.Literal("warn"), Type.Literal("error")],
  { $id: "EventLevel", description: "Severity of an event: debug, info, warn or error (in increasing order)" },
);
export type EventLevel = Static<typeof EventLevel>;
