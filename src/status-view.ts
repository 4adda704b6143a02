import type { StatusResponse } from "../schemas/status.js";
import { RUN_STATUSES } from "../schemas/runs.js";
import { SESSION_STATUSES } from "../schemas/sessions.js";
import { redactConfig } from "./config.js";
import type { Daemon } from "./daemon.js";

function countBy<K extends string>(keys: readonly K[], items: Iterable<{ status: string }>): Record<K, number> {
  const counts = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const item of items) if (item.status in counts) counts[item.status as K]++;
  return counts;
}

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
      sessions: countBy(SESSION_STATUSES, store.listSessions()),
      runs: countBy(RUN_STATUSES, store.listRuns()),
      archivedRuns: store.archivedRunCount,
    },
    events: { lastSeq: store.lastSeq, oldestSeq: store.oldestEventSeq },
    config: redactConfig(daemon.config),
  };
}
