import { Type, type Static } from "@sinclair/typebox";
import { JsonObject, Nullable } from "./common.js";

export const CHILD_STATUSES = ["idle", "starting", "running", "stopping", "stopped", "exited", "backoff", "fatal"] as const;
export type ChildStatus = (typeof CHILD_STATUSES)[number];

export const ChildLastExit = Type.Object({
  at: Type.String({ format: "date-time", description: "When the process ended (RFC 3339, UTC)" }),
  exitCode: Nullable(Type.Integer({ description: "The process's exit code; null when a signal ended it" })),
  signal: Nullable(Type.String({ description: "The signal that ended the process, e.g. SIGTERM; null when it exited by itself" })),
  cause: Type.String({ description: "Why it ended: operator (stop/restart/signal request), exit (exited by itself), crash, liveness (stopped answering), start-limit, daemon (daemon shutdown), ..." }),
  stopStep: Nullable(Type.Union([Type.Literal("eof"), Type.Literal("sigterm"), Type.Literal("sigkill")]), {
    description: "Which stop step ended the process (eof: it exited once stdin closed; sigterm; sigkill); null when it was not stopped by codexd",
  }),
});

/** Seed managed-child shape plus supervisor fields. */
export const ChildState = Type.Object(
  {
    strategy: Type.Union([Type.Literal("spawn"), Type.Literal("external")], {
      description: "spawn: codexd runs the app-server as its child process; external: it connects to one already listening at endpoint",
    }),
    mode: Type.String({ description: "What the child is; always app-server" }),
    endpoint: Nullable(Type.String({ description: "ws:// or unix:// address of the external app-server; null with strategy spawn" })),
    status: Type.Union(CHILD_STATUSES.map((s) => Type.Literal(s)), {
      description:
        "idle: never started; starting: spawned, handshake pending; running: handshake answered, requests are served; stopping; stopped: stopped on request; exited: ended by itself; backoff: waiting to restart (nextRestartAt); fatal: gave up (fatalReason), until a start request",
    }),
    command: Type.String({ description: "Executable the child is started with (spawn strategy)" }),
    args: Type.Array(Type.String(), { description: "Arguments given to command" }),
    cwd: Type.String({ description: "Working directory of the child process" }),
    pid: Nullable(Type.Integer({ description: "Process id of the child; null when no process is running" })),
    startedAt: Nullable(Type.String({ format: "date-time", description: "When the current or last process was spawned (RFC 3339, UTC); null before the first start" })),
    exitedAt: Nullable(Type.String({ format: "date-time", description: "When the last process ended (RFC 3339, UTC); null while none has ended" })),
    exitCode: Nullable(Type.Integer({ description: "Exit code of the last process; null while running, or when a signal ended it" })),
    signal: Nullable(Type.String({ description: "Signal that ended the last process, e.g. SIGTERM; null otherwise" })),
    lastError: Nullable(Type.String({ description: "The last failure in words (spawn error, crash, failed handshake); null once the child is ready" })),
    pgid: Type.Optional(Nullable(Type.Integer({ description: "Process group id the child leads; stop signals go to the whole group. null when no process is running" }))),
    startTicks: Type.Optional(Nullable(Type.Integer({ description: "Start time of the process (clock ticks since boot), to tell a reused pid from the child after a daemon restart" }))),
    desired: Type.Optional(Type.Union([Type.Literal("running"), Type.Literal("stopped")], {
      description: "The state an operator asked for; kept across daemon restarts (a stopped child stays stopped)",
    })),
    restartCount: Type.Optional(Type.Integer({ minimum: 0, description: "Restarts after a failure since the daemon started" })),
    nextRestartAt: Type.Optional(Nullable(Type.String({ format: "date-time", description: "When the next restart is due, in status backoff (RFC 3339, UTC); null otherwise" }))),
    lastExit: Type.Optional(Nullable(ChildLastExit, { description: "How the last process ended; null while none has ended" })),
    readyAt: Type.Optional(Nullable(Type.String({ format: "date-time", description: "When the current process answered the initialize handshake (RFC 3339, UTC); null before that" }))),
    fatalReason: Type.Optional(Nullable(Type.String({ description: "Why the supervisor gave up, in status fatal: start-limit-hit (too many starts in the window) or spawn-failed; null otherwise" }))),
    protocol: Type.Optional(Nullable(JsonObject, { description: "The app-server's answer to initialize (e.g. userAgent); null before the handshake" })),
  },
  { $id: "ChildState", additionalProperties: true, description: "The supervised codex app-server child: process, status and restart bookkeeping" },
);
export type ChildState = Static<typeof ChildState>;

export const ChildVerbResult = Type.Object(
  {
    changed: Type.Boolean({ description: "false when the child already was in the requested state" }),
    state: Type.Unsafe<ChildState>({ $ref: "ChildState", description: "The child's state after the request" }),
  },
  { $id: "ChildVerbResult", description: "What a stop or restart request did" },
);

export const ChildStartQuery = Type.Object(
  {
    wait: Type.Optional(Type.Boolean({ default: false, description: "Answer once the child is ready or has failed" })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000, default: 30_000, description: "With wait: how long to wait at most (milliseconds)" })),
  },
  { additionalProperties: false },
);

export const ChildStartResult = Type.Object(
  {
    changed: Type.Boolean({ description: "false when the child was already starting or running" }),
    outcome: Type.Union([Type.Literal("ready"), Type.Literal("failed"), Type.Literal("timeout"), Type.Literal("not-waited")], {
      description: "With wait: ready (running), failed (it exited, backed off or became fatal) or timeout; without wait: not-waited",
    }),
    state: Type.Unsafe<ChildState>({ $ref: "ChildState", description: "The child's state when the answer was made" }),
  },
  { $id: "ChildStartResult", description: "What a start request did, and with wait how it ended" },
);

export const ChildStopQuery = Type.Object(
  {
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 600_000, description: "Grace for the EOF and SIGTERM steps before escalating" }),
    ),
  },
  { additionalProperties: false },
);

export const SIGNALS = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGSTOP", "SIGCONT"] as const;
export const ChildSignalBody = Type.Object(
  { signal: Type.Union(SIGNALS.map((s) => Type.Literal(s)), { description: "The signal to send to the child's process group" }) },
  { additionalProperties: false },
);

export const WAIT_CONDITION_VALUES = ["ready", "down", "idle", "starting", "running", "stopping", "stopped", "exited", "backoff", "fatal"] as const;
export const ChildWaitQuery = Type.Object(
  {
    condition: Type.Union(WAIT_CONDITION_VALUES.map((c) => Type.Literal(c)), {
      description: "A child status, or `ready` (running) or `down` (idle, stopped, exited or fatal)",
    }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000, default: 30_000, description: "How long to wait at most (milliseconds)" })),
  },
  { additionalProperties: false },
);
export const ChildWaitResult = Type.Object(
  {
    matched: Type.Boolean({ description: "true when the child reached the condition; false when the timeout passed first" }),
    state: Type.Unsafe<ChildState>({ $ref: "ChildState", description: "The child's state when the wait ended" }),
  },
  { $id: "ChildWaitResult", description: "How a wait for a child condition ended" },
);

export const ChildLogsQuery = Type.Object(
  {
    stream: Type.Optional(
      Type.Union([Type.Literal("stderr"), Type.Literal("stdout")], {
        default: "stderr",
        description: "stderr: the child's log lines; stdout: what it printed on stdout that was not protocol (with follow: every raw line)",
      }),
    ),
    tail: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, default: 200, description: "How many of the last lines to return" })),
    follow: Type.Optional(
      Type.Boolean({ default: false, description: "Stream as Server-Sent Events: the tail, then live lines (stdout: every raw line)" }),
    ),
  },
  { additionalProperties: false },
);
export const ChildLogs = Type.Object(
  {
    stream: Type.Union([Type.Literal("stderr"), Type.Literal("stdout")], { description: "Which output the lines are from" }),
    lines: Type.Array(Type.String(), { description: "The last lines, oldest first, without their line ends" }),
  },
  { $id: "ChildLogs", description: "The last lines of the child's output" },
);
