import { Type, type Static } from "@sinclair/typebox";
import { IsoDateTime, JsonObject, Nullable } from "./common.js";

export const CHILD_STATUSES = ["idle", "starting", "running", "stopping", "stopped", "exited", "backoff", "fatal"] as const;
export type ChildStatus = (typeof CHILD_STATUSES)[number];

export const ChildLastExit = Type.Object({
  at: IsoDateTime,
  exitCode: Nullable(Type.Integer()),
  signal: Nullable(Type.String()),
  cause: Type.String({ description: "operator, exit, crash, liveness, start-limit, ..." }),
  stopStep: Nullable(
    Type.Union([Type.Literal("eof"), Type.Literal("sigterm"), Type.Literal("sigkill")], {
      description: "Which stop step ended the process, when it was stopped",
    }),
  ),
});

/** Seed managed-child shape plus supervisor fields. */
export const ChildState = Type.Object(
  {
    strategy: Type.Union([Type.Literal("spawn"), Type.Literal("external")]),
    mode: Type.String(),
    endpoint: Nullable(Type.String()),
    status: Type.Union(CHILD_STATUSES.map((s) => Type.Literal(s))),
    command: Type.String(),
    args: Type.Array(Type.String()),
    cwd: Type.String(),
    pid: Nullable(Type.Integer()),
    startedAt: Nullable(IsoDateTime),
    exitedAt: Nullable(IsoDateTime),
    exitCode: Nullable(Type.Integer()),
    signal: Nullable(Type.String()),
    lastError: Nullable(Type.String()),
    pgid: Type.Optional(Nullable(Type.Integer())),
    startTicks: Type.Optional(Nullable(Type.Integer({ description: "Start time of the process (clock ticks since boot)" }))),
    desired: Type.Optional(Type.Union([Type.Literal("running"), Type.Literal("stopped")])),
    restartCount: Type.Optional(Type.Integer({ minimum: 0 })),
    nextRestartAt: Type.Optional(Nullable(IsoDateTime)),
    lastExit: Type.Optional(Nullable(ChildLastExit)),
    readyAt: Type.Optional(Nullable(IsoDateTime)),
    fatalReason: Type.Optional(Nullable(Type.String())),
    protocol: Type.Optional(Nullable(JsonObject)),
  },
  { $id: "ChildState", additionalProperties: true },
);
export type ChildState = Static<typeof ChildState>;

export const ChildVerbResult = Type.Object(
  {
    changed: Type.Boolean({ description: "false when the child already was in the requested state" }),
    state: Type.Unsafe<ChildState>({ $ref: "ChildState" }),
  },
  { $id: "ChildVerbResult" },
);

export const ChildStartQuery = Type.Object(
  {
    wait: Type.Optional(Type.Boolean({ default: false, description: "Answer once the child is ready or has failed" })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000, default: 30_000 })),
  },
  { additionalProperties: false },
);

export const ChildStartResult = Type.Object(
  {
    changed: Type.Boolean(),
    outcome: Type.Union([Type.Literal("ready"), Type.Literal("failed"), Type.Literal("timeout"), Type.Literal("not-waited")]),
    state: Type.Unsafe<ChildState>({ $ref: "ChildState" }),
  },
  { $id: "ChildStartResult" },
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
  { signal: Type.Union(SIGNALS.map((s) => Type.Literal(s))) },
  { additionalProperties: false },
);

export const WAIT_CONDITION_VALUES = ["ready", "down", "idle", "starting", "running", "stopping", "stopped", "exited", "backoff", "fatal"] as const;
export const ChildWaitQuery = Type.Object(
  {
    condition: Type.Union(WAIT_CONDITION_VALUES.map((c) => Type.Literal(c)), {
      description: "A child status, or `ready` (running) or `down` (idle, stopped, exited or fatal)",
    }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000, default: 30_000 })),
  },
  { additionalProperties: false },
);
export const ChildWaitResult = Type.Object(
  { matched: Type.Boolean({ description: "false when the timeout passed first" }), state: Type.Unsafe<ChildState>({ $ref: "ChildState" }) },
  { $id: "ChildWaitResult" },
);

export const ChildLogsQuery = Type.Object(
  {
    stream: Type.Optional(Type.Union([Type.Literal("stderr"), Type.Literal("stdout")], { default: "stderr" })),
    tail: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, default: 200 })),
    follow: Type.Optional(
      Type.Boolean({ default: false, description: "Stream as Server-Sent Events: the tail, then live lines (stdout: every raw line)" }),
    ),
  },
  { additionalProperties: false },
);
export const ChildLogs = Type.Object(
  { stream: Type.Union([Type.Literal("stderr"), Type.Literal("stdout")]), lines: Type.Array(Type.String()) },
  { $id: "ChildLogs" },
);
