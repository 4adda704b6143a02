import type { StatusResponse } from "../schemas/status.js";
import type { ResolvedConfig } from "../schemas/config.js";
import { RUN_STATUSES } from "../schemas/runs.js";
import { SESSION_STATUSES } from "../schemas/sessions.js";
import { redactConfig } from "./config.js";
import type { Daemon } from "./daemon.js";
import { jsonOf } from "./state/record-json.js";
import { storageProblemCode } from "./state/storage-error.js";

function storeHealth(daemon: Daemon): StatusResponse["store"] {
  const fault = daemon.store.storageFault;
  const stateDir = daemon.config.paths.stateDir;
  if (!fault) return { status: "ok", stateDir, code: null, cause: null, reason: null, since: null };
  return { status: "degraded", stateDir, code: storageProblemCode(fault), cause: fault.cause, reason: fault.reason, since: fault.since };
}

export function buildStatus(daemon: Daemon): StatusResponse {
  const { store } = daemon;
  return {
    identity: store.getIdentity(),
    daemon: daemonPart(daemon),
    child: store.getChildState(),
    codex: { account: daemon.child.account.state },
    counts: countsPart(daemon),
    store: storeHealth(daemon),
    events: { lastSeq: store.lastSeq, oldestSeq: store.oldestEventSeq },
    config: redactConfig(daemon.config),
  };
}

/**
 * The same answer as JSON text, made from parts that are already text: the redacted config once
 * per daemon, identity and child state once per version of those frozen records. Only the few
 * fields that change with every request are serialized per request.
 */
export function statusJson(daemon: Daemon): string {
  const { store } = daemon;
  return (
    `{"identity":${jsonOf(store.getIdentity())},"daemon":${JSON.stringify(daemonPart(daemon))},"child":${jsonOf(store.getChildState())}` +
    `,"codex":${JSON.stringify({ account: daemon.child.account.state })}` +
    `,"counts":${JSON.stringify(countsPart(daemon))},"store":${JSON.stringify(storeHealth(daemon))},"events":${JSON.stringify({ lastSeq: store.lastSeq, oldestSeq: store.oldestEventSeq })}` +
    `,"config":${configJson(daemon.config)}}`
  );
}

const configTexts = new WeakMap<ResolvedConfig, string>();
function configJson(config: ResolvedConfig): string {
  let text = configTexts.get(config);
  if (text === undefined) {
    text = JSON.stringify(redactConfig(config));
    configTexts.set(config, text);
  }
  return text;
}

function daemonPart(daemon: Daemon): StatusResponse["daemon"] {
  const state = daemon.store.getDaemonState();
  const readiness = daemon.readiness();
  return {
    started: state.started,
    startedAt: state.startedAt,
    pid: state.pid,
    bootId: daemon.store.bootId,
    uptimeMs: daemon.uptimeMs,
    ready: readiness.ready,
    notReadyReasons: readiness.reasons,
  };
}

function countsPart(daemon: Daemon): StatusResponse["counts"] {
  const { store } = daemon;
  return {
    sessions: store.sessionStatusCounts(SESSION_STATUSES),
    runs: store.runStatusCounts(RUN_STATUSES),
    archivedRuns: store.archivedRunCount,
  };
}
