import { Type, type Static } from "@sinclair/typebox";
import { IsoDateTime, Nullable, ref } from "./common.js";
import { ChildState } from "./child.js";

export const DaemonIdentity = Type.Object(
  {
    daemonId: Type.String(),
    nodeId: Type.String(),
    repoRoot: Type.String(),
    createdAt: IsoDateTime,
    version: Type.String(),
  },
  { $id: "DaemonIdentity", additionalProperties: true },
);
export type DaemonIdentity = Static<typeof DaemonIdentity>;

/** Seed daemon state plus the boot id and the last event seq at the time it was written. */
export const DaemonState = Type.Object(
  {
    started: Type.Boolean(),
    startedAt: Nullable(IsoDateTime),
    stoppedAt: Nullable(IsoDateTime),
    updatedAt: IsoDateTime,
    pid: Nullable(Type.Integer()),
    child: ref(ChildState),
    bootId: Type.Optional(Type.String()),
    lastEventSeq: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { $id: "DaemonState", additionalProperties: true },
);
export type DaemonState = Static<typeof DaemonState>;
