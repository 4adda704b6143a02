import type { StatusResponse } from "../schemas/status.js";
import { RUN_STATUSES } from "../schemas/runs.js";
import { SESSION_STATUSES } from "../schemas/sessions.js";
import { redactConfig } from "./config.js";
import type { Daemon } from "./daemon.js";

export function buildStatus(daemon: Daemon): StatusResponse {
  const { store } = daemon;
  const state = store.getDaemonState();
  const readiness = daemon.readiness();
  return {
    identity: store.getIdentity(),
    daemon: {
      started: state.started,
      startedAt: state.startedAt,
      pid: state.pid,
      bootId: store.bootId,
      uptimeMs: daemon.uptimeMs,
      ready: readiness.ready,
      notReadyReasons: readiness.reasons,
    },
    child: store.getChildState(),
    counts: {
      sessions: store.sessionStatusCounts(SESSION_STATUSES),
      runs: store.runStatusCounts(RUN_STATUSES),
      archivedRuns: store.archivedRunCount,
    },
    events: { lastSeq: store.lastSeq, oldestSeq: store.oldestEventSeq },
    config: redactConfig(daemon.config),
  };
}
