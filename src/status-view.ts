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

function eventsPart(daemon: Daemon): StatusResponse["events"] {
  const { store } = daemon;
  const fault = store.eventLogRotationFault;
  const rotation = fault ? { status: "failing" as const, ...fault } : { status: "ok" as const, cause: null, reason: null, since: null };
  return { lastSeq: store.lastSeq, oldestSeq: store.oldestEventSeq, rotation };
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
    events: eventsPart(daemon),
    config: redactConfig(daemon.config),
  };
}

/**
 * The same answer as UTF-8 JSON bytes. Everything in it but the daemon's uptime changes only when
 * the state does, so the bytes around the uptime are kept and made again only when one of its
 * inputs (frozen records by identity, counters and flags by value) differs from the last time;
 * the whole body is made at most once per millisecond of uptime, and polls within it share it.
 * Bytes rather than text: text is measured, joined to the headers and encoded again for every
 * answer; bytes go to the socket as they are. A body once returned is never written to again.
 */
export function statusBody(daemon: Daemon): Buffer {
  const inputs = statusInputs(daemon);
  const uptimeMs = daemon.uptimeMs;
  let kept = keptBodies.get(daemon);
  if (kept === undefined || !sameInputs(kept.inputs, inputs)) {
    const { before, after } = statusTextAround(daemon);
    kept = { inputs, before: Buffer.from(before, "utf8"), after: Buffer.from(after, "utf8"), body: null, uptimeMs };
    keptBodies.set(daemon, kept);
  }
  if (kept.body === null || kept.uptimeMs !== uptimeMs) {
    const uptime = String(uptimeMs);
    const body = Buffer.allocUnsafe(kept.before.length + uptime.length + kept.after.length);
    kept.before.copy(body, 0);
    kept.after.copy(body, kept.before.length + body.write(uptime, kept.before.length, "latin1"));
    kept.body = body;
    kept.uptimeMs = uptimeMs;
  }
  return kept.body;
}

interface KeptStatus {
  inputs: readonly unknown[];
  /** The bytes up to the uptime's value, and from just after it to the end. */
  before: Buffer;
  after: Buffer;
  /** The last body made, and the uptime in it. */
  body: Buffer | null;
  uptimeMs: number;
}
const keptBodies = new WeakMap<Daemon, KeptStatus>();

/** What the text is made of, apart from the clock. */
function statusInputs(daemon: Daemon): readonly unknown[] {
  const { store, child } = daemon;
  return [
    store.getIdentity(),
    store.getDaemonState(),
    store.getChildState(),
    child.ready,
    child.account.state,
    daemon.phase,
    store.storageFault,
    store.statusCountsVersion,
    store.archivedRunCount,
    store.lastSeq,
    store.oldestEventSeq,
    store.eventLogRotationFault,
    daemon.config,
  ];
}

function sameInputs(a: readonly unknown[], b: readonly unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function statusTextAround(daemon: Daemon): { before: string; after: string } {
  const { store } = daemon;
  const { uptimeMs: _clock, ready, notReadyReasons, ...upToClock } = daemonPart(daemon);
  const daemonBefore = JSON.stringify(upToClock).slice(0, -1);
  const daemonAfter = JSON.stringify({ ready, notReadyReasons }).slice(1);
  return {
    before: `{"identity":${jsonOf(store.getIdentity())},"daemon":${daemonBefore},"uptimeMs":`,
    after:
      `,${daemonAfter},"child":${jsonOf(store.getChildState())}` +
      `,"codex":${JSON.stringify({ account: daemon.child.account.state })}` +
      `,"counts":${JSON.stringify(countsPart(daemon))},"store":${JSON.stringify(storeHealth(daemon))},"events":${JSON.stringify(eventsPart(daemon))}` +
      `,"config":${configJson(daemon.config)}}`,
  };
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
