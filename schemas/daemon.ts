import { Type, type Static } from "@sinclair/typebox";
import { Nullable, ref } from "./common.js";
import { ChildState } from "./child.js";

export const DaemonIdentity = Type.Object(
  {
    daemonId: Type.String({ description: "Identifies this daemon's state directory; made once, when the state directory is first used" }),
    nodeId: Type.String({ description: "Name of the machine the daemon runs on (CODEXD_NODE_ID, default the host name)" }),
    repoRoot: Type.String({ description: "Working directory of the daemon when the identity was created (the repository it serves)" }),
    createdAt: Type.String({ format: "date-time", description: "When the identity was created (RFC 3339, UTC)" }),
    version: Type.String({ description: "codexd version that created the identity" }),
  },
  { $id: "DaemonIdentity", additionalProperties: true, description: "Who this daemon is: kept in identity.json, stable across restarts" },
);
export type DaemonIdentity = Static<typeof DaemonIdentity>;

/** Seed daemon state plus the boot id and the last event seq at the time it was written. */
export const DaemonState = Type.Object(
  {
    started: Type.Boolean({ description: "true while the daemon runs" }),
    startedAt: Nullable(Type.String({ format: "date-time", description: "When the daemon last started (RFC 3339, UTC)" })),
    stoppedAt: Nullable(Type.String({ format: "date-time", description: "When the daemon last stopped cleanly (RFC 3339, UTC); null while it runs after a clean start" })),
    updatedAt: Type.String({ format: "date-time", description: "When the file was last written (RFC 3339, UTC)" }),
    pid: Nullable(Type.Integer({ description: "Process id of the daemon; null when stopped" })),
    child: ref(ChildState),
    bootId: Type.Optional(Type.String({ description: "Identifies the daemon's current (or last) boot; every event carries it" })),
    lastEventSeq: Type.Optional(Type.Integer({ minimum: 0, description: "seq of the newest event when the file was written" })),
  },
  { $id: "DaemonState", additionalProperties: true, description: "daemon-state.json: the daemon's process and its child" },
);
export type DaemonState = Static<typeof DaemonState>;
