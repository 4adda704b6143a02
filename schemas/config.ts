import { Type, type Static } from "@sinclair/typebox";
import { OrNull } from "./common.js";

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const PositiveMs = Type.Integer({ minimum: 1 });

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
/** auto: readable lines on a terminal, JSON otherwise. */
export const LOG_FORMATS = ["auto", "pretty", "json"] as const;

/** The resolved configuration: every setting has a value after defaults are applied. */
export const ResolvedConfig = Type.Object(
  {
    nodeId: Type.String({ minLength: 1 }),
    version: Type.String(),
    eventCacheSize: Type.Integer({ minimum: 1, maximum: 100_000 }),
    logLevel: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l))),
    logFormat: Type.Union(LOG_FORMATS.map((f) => Type.Literal(f))),
    paths: Type.Object({
      repoRoot: Type.String(),
      stateDir: Type.String({ minLength: 1 }),
      logsDir: Type.String({ minLength: 1 }),
      identityPath: Type.String(),
      daemonStatePath: Type.String(),
      sessionRegistryPath: Type.String(),
      runRegistryPath: Type.String(),
      runArchivePath: Type.String(),
      turnRegistryPath: Type.String(),
      recentEventsPath: Type.String(),
      structuredEventLogPath: Type.String(),
      stdoutLogPath: Type.String(),
      stderrLogPath: Type.String(),
    }),
    server: Type.Object({
      childStrategy: Type.Union([Type.Literal("spawn"), Type.Literal("external")]),
      mode: Type.Literal("app-server"),
      endpoint: OrNull(Type.String({ pattern: "^(ws|unix)://" })),
      childCommand: Type.String({ minLength: 1 }),
      childArgs: Type.Array(Type.String()),
      childCwd: Type.String({ minLength: 1 }),
    }),
    http: Type.Object({
      host: Type.String({ minLength: 1 }),
      port: Port,
      token: OrNull(Type.String({ minLength: 1, description: "Bearer token; shown redacted" })),
      tokenFile: OrNull(Type.String()),
      bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024 }),
      allowedHosts: Type.Array(Type.String({ minLength: 1 }), { description: "Host header names accepted besides loopback and the bound host" }),
      allowedOrigins: Type.Array(Type.String({ pattern: "^https?://" }), { description: "Browser origins accepted besides the daemon's own" }),
      rateLimitPerMinute: Type.Integer({ minimum: 0, description: "Mutating requests per client per minute; 0 disables" }),
      maxConnections: Type.Integer({
        minimum: 1,
        description: "Open HTTP connections at most (streams included); more are closed at once. Default: the open-file limit read at start minus an eighth (at least 64) kept for state files and the child",
      }),
      headersTimeoutMs: Type.Integer({ minimum: 100, description: "A request's headers must arrive within this, or 408 and the connection is closed (idle new connections too)" }),
      requestTimeoutMs: Type.Integer({ minimum: 100, description: "A whole request (headers and body) must arrive within this, or 408 and the connection is closed" }),
      keepAliveTimeoutMs: Type.Integer({ minimum: 100, description: "An idle kept-alive connection is closed after this" }),
      responseAuditFile: OrNull(
        Type.String({ minLength: 1, description: "Debugging aid, off by default: append every HTTP response (method, route, status, content type, body) to this file as a JSON line" }),
      ),
    }),
    eventLog: Type.Object({
      maxBytes: Type.Integer({ minimum: 4096, description: "events.jsonl rotates past this size" }),
      keepFiles: Type.Integer({ minimum: 0, maximum: 1000, description: "Rotated event log files kept" }),
    }),
    childLogs: Type.Object({
      maxBytes: Type.Integer({ minimum: 1024 }),
      keepFiles: Type.Integer({ minimum: 0, maximum: 100 }),
    }),
    storage: Type.Object({
      retryIntervalMs: Type.Integer({ minimum: 10, description: "While the state directory cannot be written, how often codexd tries again" }),
    }),
    streams: Type.Object({
      heartbeatMs: Type.Integer({ minimum: 100, description: "Interval of SSE heartbeat comments" }),
      queueCapacity: Type.Integer({ minimum: 10, description: "Events a slow subscriber may fall behind before it is ended" }),
    }),
    runs: Type.Object({
      retention: Type.Integer({ minimum: 0, description: "Finished runs kept in run-registry.json" }),
      concurrency: Type.Integer({ minimum: 1, maximum: 1000, description: "Runs executing at once" }),
      defaultTimeoutMs: Type.Integer({ minimum: 100, description: "A run's timeout when it gives none" }),
      maxQueued: Type.Integer({ minimum: 1, description: "Runs waiting at most; beyond it POST /v1/runs is 429 CODEXD_QUEUE_FULL with Retry-After" }),
    }),
    sessions: Type.Object({
      retention: Type.Integer({ minimum: 0, description: "Closed sessions kept in session-registry.json (all stay in the event log)" }),
    }),
    turns: Type.Object({
      retention: Type.Integer({ minimum: 0, description: "Finished turns kept in turn-registry.json (all stay in the event log)" }),
      silenceTimeoutMs: Type.Integer({ minimum: 0, description: "A turn without any notification this long is checked and interrupted; 0 disables" }),
      retryGiveUpMs: Type.Integer({
        minimum: 0,
        description: "A turn whose only activity this long has been Codex's retries (model unreachable) is interrupted and fails with CODEXD_MODEL_UNREACHABLE; 0 disables",
      }),
    }),
    codex: Type.Object({
      requestTimeoutMs: Type.Integer({ minimum: 1, description: "How long each request to the app-server may wait for its answer before 504 CODEXD_CHILD_TIMEOUT" }),
    }),
    approvals: Type.Object({
      policy: Type.Union([Type.Literal("manual"), Type.Literal("accept"), Type.Literal("decline")]),
      timeoutMs: Type.Integer({ minimum: 1, description: "A manual approval not decided within this is declined" }),
    }),
    child: Type.Object({
      restartPolicy: Type.Union([Type.Literal("no"), Type.Literal("on-failure"), Type.Literal("always")]),
      readyTimeoutMs: PositiveMs,
      stopEofTimeoutMs: PositiveMs,
      stopTermTimeoutMs: PositiveMs,
      stopKillTimeoutMs: PositiveMs,
      backoffInitialMs: PositiveMs,
      backoffMaxMs: PositiveMs,
      backoffResetAfterMs: PositiveMs,
      startLimitBurst: Type.Integer({ minimum: 1 }),
      startLimitWindowMs: PositiveMs,
      livenessIntervalMs: Type.Integer({ minimum: 0, description: "0 disables the liveness check" }),
      livenessTimeoutMs: PositiveMs,
      livenessFailures: Type.Integer({ minimum: 1 }),
    }),
  },
  { $id: "ResolvedConfig", additionalProperties: false },
);
export type ResolvedConfig = Static<typeof ResolvedConfig>;
