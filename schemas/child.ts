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
