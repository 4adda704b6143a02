import { Type, type Static } from "@sinclair/typebox";
import { IsoDateTime, Nullable, ref } from "./common.js";
import { ChildState } from "./child.js";
import { ResolvedConfig } from "./config.js";
import { DaemonIdentity } from "./daemon.js";
import { RUN_STATUSES } from "./runs.js";
import { SESSION_STATUSES } from "./sessions.js";

const countsOf = (statuses: readonly string[]) =>
  Type.Object(Object.fromEntries(statuses.map((s) => [s, Type.Integer({ minimum: 0 })])));

export const StatusResponse = Type.Object(
  {
    identity: ref(DaemonIdentity),
    daemon: Type.Object({
      started: Type.Boolean(),
      startedAt: Nullable(IsoDateTime),
      pid: Nullable(Type.Integer()),
      bootId: Type.String(),
      uptimeMs: Type.Integer({ minimum: 0 }),
      ready: Type.Boolean(),
      notReadyReasons: Type.Array(Type.String()),
    }),
    child: ref(ChildState),
    counts: Type.Object({
      sessions: countsOf(SESSION_STATUSES),
      runs: countsOf(RUN_STATUSES),
      archivedRuns: Type.Integer({ minimum: 0, description: "Finished runs moved to the archive" }),
    }),
    events: Type.Object({
      lastSeq: Type.Integer({ minimum: 0 }),
      oldestSeq: Nullable(Type.Integer()),
    }),
    config: ref(ResolvedConfig),
  },
  { $id: "Status" },
);
export type StatusResponse = Static<typeof StatusResponse>;

export const Liveness = Type.Object({ status: Type.Literal("ok") }, { $id: "Liveness" });
export const Readiness = Type.Object(
  { status: Type.Literal("ready"), checks: Type.Record(Type.String(), Type.Boolean()) },
  { $id: "Readiness" },
);
