import { Type, type Static } from "@sinclair/typebox";
import { OrNull } from "./common.js";
import { WorkspacesConfig } from "./workspaces.js";

const PositiveMs = (description: string) => Type.Integer({ minimum: 1, description });

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
/** auto: readable lines on a terminal, JSON otherwise. */
export const LOG_FORMATS = ["auto", "pretty", "json"] as const;

/** The resolved configuration: every setting has a value after defaults are applied. */
export const ResolvedConfig = Type.Object(
  {
    nodeId: Type.String({ minLength: 1, description: "Name of this machine in the daemon's identity (CODEXD_NODE_ID; default the host name)" }),
    version: Type.String({ description: "codexd version" }),
    eventCacheSize: Type.Integer({ minimum: 1, maximum: 100_000, description: "Newest events kept in recent-events.json and in memory (CODEXD_EVENT_CACHE_SIZE)" }),
    logLevel: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l)), { description: "Least severe level the daemon logs (CODEXD_LOG_LEVEL)" }),
    logFormat: Type.Union(LOG_FORMATS.map((f) => Type.Literal(f)), { description: "Log lines: pretty (for people), json, or auto (pretty on a terminal, else JSON) (CODEXD_LOG_FORMAT)" }),
    paths: Type.Object(
      {
        repoRoot: Type.String({ description: "Working directory the daemon was started in (the repository it serves); the state directory defaults to .codexd under it" }),
        stateDir: Type.String({ minLength: 1, description: "Where the daemon keeps its state (CODEXD_STATE_DIR)" }),
        logsDir: Type.String({ minLength: 1, description: "Where the child's output is captured (CODEXD_LOGS_DIR)" }),
        identityPath: Type.String({ description: "identity.json: the daemon's identity" }),
        daemonStatePath: Type.String({ description: "daemon-state.json: the daemon and child state" }),
        sessionRegistryPath: Type.String({ description: "session-registry.json: the sessions" }),
        runRegistryPath: Type.String({ description: "run-registry.json: active and recently finished runs" }),
        runArchivePath: Type.String({ description: "Append-only archive of runs moved out of the registry by retention" }),
        turnRegistryPath: Type.String({ description: "turn-registry.json: the turns" }),
        recentEventsPath: Type.String({ description: "recent-events.json: the newest events (eventCacheSize)" }),
        structuredEventLogPath: Type.String({ description: "events.jsonl: every event, one JSON line each, rotated by size" }),
        stdoutLogPath: Type.String({ description: "Capture of what the child printed on stdout that was not protocol" }),
        stderrLogPath: Type.String({ description: "Capture of the child's stderr (its log)" }),
      },
      { description: "Files and directories the daemon uses (absolute paths)" },
    ),
    server: Type.Object(
      {
        childStrategy: Type.Union([Type.Literal("spawn"), Type.Literal("external")], {
          description: "spawn: run the app-server as a child process; external: connect to one at endpoint (CODEXD_CHILD_STRATEGY)",
        }),
        mode: Type.Literal("app-server", { description: "What the child is; always app-server" }),
        endpoint: OrNull(Type.String({ pattern: "^(ws|unix)://" }), { description: "ws:// or unix:// address of an external app-server (CODEXD_CHILD_ENDPOINT); null with spawn" }),
        childCommand: Type.String({ minLength: 1, description: "Executable started as the child (CODEXD_CHILD_COMMAND; default the pinned Codex CLI)" }),
        childArgs: Type.Array(Type.String(), { description: "Its arguments (CODEXD_CHILD_ARGS, a JSON array; default [\"app-server\"])" }),
        childCwd: Type.String({ minLength: 1, description: "Its working directory (CODEXD_CHILD_CWD)" }),
      },
      { description: "The app-server the daemon supervises" },
    ),
    http: Type.Object(
      {
        host: Type.String({ minLength: 1, description: "Address the API listens on (CODEXD_HOST); a non-loopback address needs a token" }),
        port: Type.Integer({ minimum: 0, maximum: 65535, description: "TCP port the API listens on (CODEXD_PORT); 0 picks a free one" }),
        token: OrNull(Type.String({ minLength: 1 }), { description: "Bearer token every /v1 request must carry (CODEXD_TOKEN), shown redacted; null when none is set" }),
        tokenFile: OrNull(Type.String(), { description: "File the token was read from (CODEXD_TOKEN_FILE); null when none" }),
        bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, description: "Largest request body accepted, in bytes; larger is 413 (CODEXD_BODY_LIMIT_BYTES)" }),
        allowedHosts: Type.Array(Type.String({ minLength: 1 }), { description: "Host header names accepted besides loopback and the bound host (CODEXD_ALLOWED_HOSTS)" }),
        allowedOrigins: Type.Array(Type.String({ pattern: "^https?://" }), { description: "Browser origins accepted besides the daemon's own (CODEXD_ALLOWED_ORIGINS)" }),
        rateLimitPerMinute: Type.Integer({ minimum: 0, description: "Mutating requests per client per minute, beyond which 429; 0 disables (CODEXD_RATE_LIMIT_PER_MINUTE)" }),
        maxConnections: Type.Integer({
          minimum: 1,
          description: "Open HTTP connections at most (streams included); more are closed at once. Default: the open-file limit read at start minus an eighth (at least 64) kept for state files and the child (CODEXD_MAX_CONNECTIONS)",
        }),
        headersTimeoutMs: Type.Integer({ minimum: 100, description: "A request's headers must arrive within this many ms, or 408 and the connection is closed; idle new connections too (CODEXD_HEADERS_TIMEOUT_MS)" }),
        requestTimeoutMs: Type.Integer({ minimum: 100, description: "A whole request (headers and body) must arrive within this many ms, or 408 and the connection is closed (CODEXD_REQUEST_TIMEOUT_MS)" }),
        keepAliveTimeoutMs: Type.Integer({ minimum: 100, description: "An idle kept-alive connection is closed after this many ms (CODEXD_KEEP_ALIVE_TIMEOUT_MS)" }),
        responseAuditFile: OrNull(Type.String({ minLength: 1 }), {
          description: "Debugging aid, off (null) by default: append every HTTP response (method, route, status, content type, body) to this file as a JSON line (CODEXD_RESPONSE_AUDIT_FILE)",
        }),
      },
      { description: "The HTTP API: address, access, limits and timeouts" },
    ),
    eventLog: Type.Object(
      {
        maxBytes: Type.Integer({ minimum: 4096, description: "events.jsonl rotates past this size, in bytes (CODEXD_EVENT_LOG_MAX_BYTES)" }),
        keepFiles: Type.Integer({ minimum: 0, maximum: 1000, description: "Rotated event log files kept (CODEXD_EVENT_LOG_KEEP_FILES); events in older files are gone (410 on their cursors)" }),
        readCacheBytes: Type.Integer({
          minimum: 0,
          maximum: 1024 * 1024 * 1024,
          description:
            "Bytes of event-log file read and kept parsed for readers behind the in-memory tail, the least recently used dropped first; 0 keeps none (CODEXD_EVENT_LOG_READ_CACHE_BYTES)",
        }),
      },
      { description: "The event log file" },
    ),
    childLogs: Type.Object(
      {
        maxBytes: Type.Integer({ minimum: 1024, description: "A captured child output file rotates past this size, in bytes (CODEXD_CHILD_LOG_MAX_BYTES)" }),
        keepFiles: Type.Integer({ minimum: 0, maximum: 100, description: "Rotated files kept per output (CODEXD_CHILD_LOG_KEEP_FILES)" }),
      },
      { description: "The captured stdout and stderr of the child" },
    ),
    storage: Type.Object(
      {
        retryIntervalMs: Type.Integer({ minimum: 10, description: "While the state directory cannot be written, how often codexd tries again, in ms (CODEXD_STORAGE_RETRY_INTERVAL_MS)" }),
      },
      { description: "The state directory" },
    ),
    streams: Type.Object(
      {
        heartbeatMs: Type.Integer({ minimum: 100, description: "Interval of SSE heartbeat comments, in ms (CODEXD_SSE_HEARTBEAT_MS)" }),
        queueCapacity: Type.Integer({ minimum: 10, description: "Events a slow subscriber may fall behind before its stream is ended (CODEXD_SSE_QUEUE_CAPACITY)" }),
        maxBufferedBytes: Type.Integer({
          minimum: 64 * 1024,
          description: "Bytes a slow subscriber may fall behind (queued, and written but not yet taken by its socket) before its stream is ended with an overflow event (CODEXD_SSE_MAX_BUFFERED_BYTES)",
        }),
      },
      { description: "Server-Sent Event streams" },
    ),
    runs: Type.Object(
      {
        retention: Type.Integer({ minimum: 0, description: "Finished runs kept in run-registry.json; older ones move to the archive (CODEXD_RUN_RETENTION)" }),
        concurrency: Type.Integer({ minimum: 1, maximum: 1000, description: "Runs executing at once (CODEXD_RUN_CONCURRENCY)" }),
        defaultTimeoutMs: Type.Integer({ minimum: 100, description: "A run's timeout when it gives none, in ms (CODEXD_RUN_TIMEOUT_MS)" }),
        maxQueued: Type.Integer({ minimum: 1, description: "Runs waiting at most; beyond it POST /v1/runs is 429 CODEXD_QUEUE_FULL with Retry-After (CODEXD_RUN_MAX_QUEUED)" }),
      },
      { description: "Run execution" },
    ),
    limits: Type.Object(
      {
        promptBytes: Type.Integer({
          minimum: 1024,
          description:
            "UTF-8 bytes a prompt may have: a run's prompt, a turn's input (all parts together), a session's base and developer instructions; more is 413 CODEXD_PAYLOAD_TOO_LARGE (CODEXD_PROMPT_LIMIT_BYTES)",
        }),
        metadataBytes: Type.Integer({ minimum: 256, description: "Bytes of the JSON of a run's or session's metadata; more is 413 CODEXD_PAYLOAD_TOO_LARGE (CODEXD_METADATA_LIMIT_BYTES)" }),
        eventDetailBytes: Type.Integer({
          minimum: 1024,
          description:
            "Bytes of one event's detail as served, streamed and cached; a larger detail (a big child payload) is cut, marked truncated: true with originalBytes, and kept whole only in events.jsonl (CODEXD_EVENT_DETAIL_LIMIT_BYTES)",
        }),
        registryTextBytes: Type.Integer({
          minimum: 1024,
          description: "Bytes of each text kept in turn-registry.json and run-registry.json (a turn's input, each item, a final message); more is cut and marked (CODEXD_REGISTRY_TEXT_LIMIT_BYTES)",
        }),
        turnItemsBytes: Type.Integer({
          minimum: 1024,
          description: "Bytes of all items of one turn kept in turn-registry.json; older items beyond it keep only their id, type and status, marked truncated (CODEXD_TURN_ITEMS_LIMIT_BYTES)",
        }),
      },
      { description: "Byte limits of what is accepted and kept, so no file rewritten per change grows with payload size" },
    ),
    sessions: Type.Object(
      {
        retention: Type.Integer({ minimum: 0, description: "Closed sessions kept in session-registry.json (all stay in the event log) (CODEXD_SESSION_RETENTION)" }),
      },
      { description: "Sessions" },
    ),
    turns: Type.Object(
      {
        retention: Type.Integer({ minimum: 0, description: "Finished turns kept in turn-registry.json (all stay in the event log) (CODEXD_TURN_RETENTION)" }),
        silenceTimeoutMs: Type.Integer({ minimum: 0, description: "A turn without any notification this long (ms) is checked and interrupted; 0 disables (CODEXD_TURN_SILENCE_TIMEOUT_MS)" }),
        retryGiveUpMs: Type.Integer({
          minimum: 0,
          description:
            "A turn whose only activity this long (ms) has been Codex's retries (model unreachable) is interrupted and fails with CODEXD_MODEL_UNREACHABLE; 0 disables (CODEXD_TURN_RETRY_GIVE_UP_MS)",
        }),
      },
      { description: "Turns" },
    ),
    codex: Type.Object(
      {
        requestTimeoutMs: Type.Integer({
          minimum: 1,
          description: "How long (ms) each request to the app-server may wait for its answer before 504 CODEXD_CHILD_TIMEOUT (CODEXD_CODEX_REQUEST_TIMEOUT_MS)",
        }),
      },
      { description: "Requests to the app-server" },
    ),
    workspaces: WorkspacesConfig,
    approvals: Type.Object(
      {
        policy: Type.Union([Type.Literal("manual"), Type.Literal("accept"), Type.Literal("decline")], {
          description: "How approval requests are answered unless a session or run says otherwise: manual (an operator decides), accept or decline (CODEXD_APPROVAL_POLICY)",
        }),
        timeoutMs: Type.Integer({ minimum: 1, description: "A manual approval not decided within this (ms) is declined (CODEXD_APPROVAL_TIMEOUT_MS)" }),
      },
      { description: "Approval requests" },
    ),
    child: Type.Object(
      {
        restartPolicy: Type.Union([Type.Literal("no"), Type.Literal("on-failure"), Type.Literal("always")], {
          description: "When the supervisor restarts a child that ended: never, after a failure, or always unless stopped on request (CODEXD_RESTART_POLICY)",
        }),
        readyTimeoutMs: PositiveMs("How long (ms) a started child has to answer the initialize handshake (CODEXD_CHILD_READY_TIMEOUT_MS)"),
        stopEofTimeoutMs: PositiveMs("Stop: how long (ms) to wait for an exit after closing stdin before SIGTERM (CODEXD_CHILD_STOP_EOF_TIMEOUT_MS)"),
        stopTermTimeoutMs: PositiveMs("Stop: how long (ms) to wait after SIGTERM before SIGKILL (CODEXD_CHILD_STOP_TERM_TIMEOUT_MS)"),
        stopKillTimeoutMs: PositiveMs("Stop: how long (ms) to wait after SIGKILL for the exit (CODEXD_CHILD_STOP_KILL_TIMEOUT_MS)"),
        backoffInitialMs: PositiveMs("First restart delay (ms); it doubles per failed start, with jitter (CODEXD_CHILD_BACKOFF_INITIAL_MS)"),
        backoffMaxMs: PositiveMs("Longest restart delay (ms) (CODEXD_CHILD_BACKOFF_MAX_MS)"),
        backoffResetAfterMs: PositiveMs("A child that ran this long (ms) starts the backoff over (CODEXD_CHILD_BACKOFF_RESET_AFTER_MS)"),
        startLimitBurst: Type.Integer({ minimum: 1, description: "More starts than this within startLimitWindowMs make the child fatal (start-limit-hit) (CODEXD_CHILD_START_LIMIT_BURST)" }),
        startLimitWindowMs: PositiveMs("The window (ms) of startLimitBurst (CODEXD_CHILD_START_LIMIT_WINDOW_MS)"),
        livenessIntervalMs: Type.Integer({ minimum: 0, description: "Interval (ms) of the liveness request to a running child; 0 disables the check (CODEXD_CHILD_LIVENESS_INTERVAL_MS)" }),
        livenessTimeoutMs: PositiveMs("How long (ms) a liveness request may take before it counts as failed (CODEXD_CHILD_LIVENESS_TIMEOUT_MS)"),
        livenessFailures: Type.Integer({ minimum: 1, description: "Failed liveness requests in a row that restart the child (CODEXD_CHILD_LIVENESS_FAILURES)" }),
      },
      { description: "The child supervisor: restarts, stop steps, liveness" },
    ),
  },
  { $id: "ResolvedConfig", additionalProperties: false, description: "The configuration in effect: defaults < config file < environment (CODEXD_*) < flags" },
);
export type ResolvedConfig = Static<typeof ResolvedConfig>;
