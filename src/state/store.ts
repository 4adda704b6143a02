import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { ResolvedConfig } from "../../schemas/config.js";
import type { ChildState } from "../../schemas/child.js";
import type { DaemonIdentity, DaemonState } from "../../schemas/daemon.js";
import type { CodexdEvent, EventQuery } from "../../schemas/events.js";
import type { EventLevel } from "../../schemas/common.js";
import { TERMINAL_RUN_STATUSES, type RunRecord } from "../../schemas/runs.js";
import type { SessionRecord } from "../../schemas/sessions.js";
import { TERMINAL_TURN_STATUSES, type TurnRecord } from "../../schemas/turns.js";
import { deepFreeze } from "./deep-freeze.js";
import { ensureDir, moveRecordsAside, removeAbandonedTempFiles, writeFileAtomic, type RecordsAside } from "./durable-fs.js";
import { EventLog, type RotationFault } from "./event-log.js";
import { GroupCommit } from "./group-commit.js";
import { loadJsonDocument, type Recovery } from "./json-document.js";
import { RecentEvents } from "./recent-events.js";
import { rotationFailedEvent, rotationRecoveredEvent } from "./rotation-events.js";
import { isValid, partition, type RecordSchema } from "./record-schemas.js";
import { replayRecords, type ReplaySummary } from "./replay.js";
import { RotatingLogFile } from "./rotating-log-file.js";
import { RunArchive } from "./run-archive.js";
import { acquireStateDirLock, type StateDirLock } from "./state-dir-lock.js";
import { StorageError, classifyStorageError, storageProblemCode, type StorageFault } from "./storage-error.js";
import { hasEventFilter, matchesEventQuery } from "./event-filter.js";
import { parseEvent, type LogLine } from "./log-segments.js";
import { StatusCounts } from "./status-counts.js";
import { jsonOf, rememberJson } from "./record-json.js";
import { boundObject, jsonBytes } from "./byte-limits.js";
import { boundRun, boundTurn } from "./record-limits.js";
import { CreationOrder, type Page } from "../paginate.js";

export interface EventInput {
  level: EventLevel;
  type: string;
  message: string;
  detail?: Record<string, unknown> | null;
  sessionId?: string;
  runId?: string;
  turnId?: string;
}

/**
 * Events one flush made durable, in seq order, with each one's JSON exactly as written to
 * events.jsonl (newline-terminated), so readers need not serialize it again.
 */
export type DurableEventsListener = (events: readonly CodexdEvent[], lines: readonly string[]) => void;

export interface StoreOptions {
  now?: () => Date;
  uuid?: () => string;
  pid?: () => number | null;
  /** How often recent-events.json (a cache; events.jsonl is authoritative) is rewritten at most. */
  recentEventsWriteIntervalMs?: number;
  /**
   * Called if another daemon takes the state dir over while this store is open (this one was
   * paused past the lock's stale window). The store writes nothing more after that.
   */
  onLockLost?: (reason: string) => void;
  /** A lock heartbeat failed for a reason that is not another owner (logged; the lock is kept). */
  onLockCheckFailed?: (reason: string, error?: NodeJS.ErrnoException) => void;
  /**
   * The event log could not rotate (the batch before was written). `stuck`: the live file stays
   * in use and an append 1 s or more later tries again; otherwise it moved, and a step after failed.
   */
  onEventLogRotationFailed?: (error: NodeJS.ErrnoException, stuck: boolean) => void;
  /** The event log rotates again after failures that kept its live file in use past its size. */
  onEventLogRotationRecovered?: () => void;
  /** The lock's stale window (default 10 s); shorter in tests. */
  lockStaleAfterMs?: number;
}

export type { StorageFault } from "./storage-error.js";

export interface SessionRegistry {
  updatedAt: string | null;
  eventSeq?: number;
  sessions: SessionRecord[];
}
export interface RunRegistry {
  updatedAt: string | null;
  eventSeq?: number;
  runs: RunRecord[];
}
export interface RecentEventCache {
  maxEntries: number;
  updatedAt: string | null;
  events: CodexdEvent[];
}

export interface StatusSnapshot {
  config: ResolvedConfig;
  identity: DaemonIdentity;
  daemon: DaemonState;
  sessionRegistry: SessionRegistry;
  runRegistry: RunRegistry;
  recentEvents: RecentEventCache;
}

export interface TurnRegistry {
  updatedAt: string | null;
  turns: TurnRecord[];
}

type Doc = "identity" | "daemon" | "sessions" | "runs" | "turns" | "recent";
type RecordDoc = "sessions" | "runs" | "turns";
/** A registry record as it was before the first change not yet durable (undefined: it did not exist). */
interface Undo {
  doc: RecordDoc;
  id: string;
  prev: SessionRecord | RunRecord | TurnRecord | undefined;
}

const isSafeSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
/** A shallow shape check: enough to tell a damaged file from a good one. */
const hasArray =
  <T>(key: string) =>
  (v: unknown): v is T =>
    isObject(v) && Array.isArray(v[key]);

/** Remove the oldest entries that `finished` selects until at most `keep` of them remain. */
function dropOldest<T>(map: Map<string, T>, finished: (item: T) => boolean, keep: number, dropped: (id: string, item: T) => void): void {
  let excess = -keep;
  for (const item of map.values()) if (finished(item)) excess++;
  for (const [id, item] of map) {
    if (excess <= 0) return;
    if (finished(item)) {
      map.delete(id);
      dropped(id, item);
      excess--;
    }
  }
}

/**
 * The daemon's durable state, compatible with the seed's JSON file set. Mutations apply to
 * memory at once and resolve after a group-committed flush has made them durable; records
 * handed out are frozen, so reads never copy.
 */
export class StateStore {
  readonly bootId: string;
  private identity!: DaemonIdentity;
  private daemon!: DaemonState;
  private readonly sessions = new Map<string, SessionRecord>();
  /** Kept beside the maps on every write, so list pages and status counts need no scan per read. */
  private readonly sessionOrder = new CreationOrder<SessionRecord>((s) => s.sessionId);
  private readonly sessionCounts = new StatusCounts();
  private sessionsUpdatedAt: string | null = null;
  private readonly turns = new Map<string, TurnRecord>();
  private turnsUpdatedAt: string | null = null;
  private readonly runs = new Map<string, RunRecord>();
  private readonly runOrder = new CreationOrder<RunRecord>((r) => r.runId);
  private readonly runCounts = new StatusCounts();
  private runsUpdatedAt: string | null = null;
  private readonly recent: RecentEvents;
  private recentUpdatedAt: string | null = null;
  private nextSeq = 1;
  private durableSeq = 0;
  private readonly dirty = new Set<Doc>();
  private pendingLines: string[] = [];
  /** The pending events' JSON as readers get it (their details bounded), for the event listeners. */
  private pendingShown: string[] = [];
  private pendingEvents: CodexdEvent[] = [];
  /** performance.now() at the last write of recent-events.json. */
  private lastRecentWrite = -Infinity;
  private recentTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private opened = false;
  private lock: StateDirLock | null = null;
  private lockLost: string | null = null;
  private readonly listeners = new Set<DurableEventsListener>();
  private readonly flushListeners = new Set<(ms: number) => void>();
  private readonly commits = new GroupCommit(() => this.flush());
  private readonly eventLog: EventLog;
  private readonly archive: RunArchive;
  private readonly childLogs: Record<"stdout" | "stderr", RotatingLogFile>;
  /** Records changed since the last durable flush (and in the flush running), to take back when it fails. */
  private undo = new Map<string, Undo>();
  private flushingUndo: Map<string, Undo> | null = null;
  /** Set while the state dir cannot be written; cleared by the first flush that succeeds again. */
  private fault: StorageFault | null = null;
  /** Seq of the queued `store.recovered` event; its flush succeeding ends the fault. */
  private recoverySeq: number | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly storageListeners = new Set<(fault: StorageFault | null) => void>();
  private readonly now: () => Date;
  private readonly uuid: () => string;
  private readonly pid: () => number | null;
  private readonly recentInterval: number;

  constructor(
    readonly config: ResolvedConfig,
    private readonly options: StoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.uuid = options.uuid ?? randomUUID;
    this.pid = options.pid ?? (() => process.pid);
    this.recentInterval = options.recentEventsWriteIntervalMs ?? 1000;
    this.bootId = this.uuid();
    this.recent = new RecentEvents(config.eventCacheSize);
    const { paths } = config;
    this.eventLog = new EventLog({
      path: paths.structuredEventLogPath,
      ...config.eventLog,
      onRotationFailed: (error, stuck) => {
        options.onEventLogRotationFailed?.(error, stuck);
        // An event only for what the status shows too: a live file that stays in use.
        if (stuck) this.recordEventQuietly(rotationFailedEvent(paths.structuredEventLogPath, error));
      },
      onRotationRecovered: () => {
        options.onEventLogRotationRecovered?.();
        this.recordEventQuietly(rotationRecoveredEvent(paths.structuredEventLogPath));
      },
    });
    this.archive = new RunArchive(paths.runArchivePath);
    const { maxBytes, keepFiles } = config.childLogs;
    this.childLogs = {
      stdout: new RotatingLogFile(paths.stdoutLogPath, maxBytes, keepFiles),
      stderr: new RotatingLogFile(paths.stderrLogPath, maxBytes, keepFiles),
    };
  }

  /** Load (recovering damaged files), repair the event log tail, and persist the normalized state. */
  async initialize(): Promise<StatusSnapshot> {
    if (this.opened) return this.snapshot();
    const { paths } = this.config;
    await ensureDir(paths.stateDir);
    const lock = await acquireStateDirLock(paths.stateDir, {
      ...(this.options.lockStaleAfterMs !== undefined ? { staleAfterMs: this.options.lockStaleAfterMs } : {}),
      onLost: (reason) => {
        this.lockLost = reason;
        this.options.onLockLost?.(reason);
      },
      ...(this.options.onLockCheckFailed ? { onCheckFailed: this.options.onLockCheckFailed } : {}),
    });
    try {
      this.lock = lock;
      return await this.load();
    } catch (error) {
      // Nothing stays open, queued or locked after a failed start: the next attempt starts clean.
      this.opened = false;
      this.lock = null;
      this.pendingLines = [];
      this.pendingShown = [];
      this.pendingEvents = [];
      this.dirty.clear();
      await this.closeFiles().catch(() => {});
      await lock.release();
      throw error;
    }
  }

  private async load(): Promise<StatusSnapshot> {
    const { paths } = this.config;
    await ensureDir(paths.logsDir);
    const abandoned = await removeAbandonedTempFiles(paths.stateDir);
    const at = this.now();
    const recoveries: Recovery[] = [];
    const restored = new Map<string, Recovery>();
    const load = async <T>(path: string, valid: (v: unknown) => v is T) => {
      const loaded = await loadJsonDocument(path, valid, at);
      if (loaded.recovery) {
        recoveries.push(loaded.recovery);
        restored.set(path, loaded.recovery);
      }
      return loaded.value;
    };
    // Whole documents are checked against their schema (a bad one is moved aside and its .bak
    // used); the records of a registry one by one (bad ones are moved aside, the rest is used).
    const identity = await load(paths.identityPath, isValid<DaemonIdentity>("DaemonIdentity"));
    const daemon = await load(paths.daemonStatePath, isValid<DaemonState>("DaemonState"));
    const asides: RecordsAside[] = [];
    const records = async <D extends Record<K, unknown[]>, K extends string>(path: string, key: K, schema: RecordSchema, doc: D | null) => {
      if (!doc) return doc;
      const { good, bad } = partition<unknown>(schema, doc[key]);
      if (bad.length > 0) asides.push(await moveRecordsAside(path, schema, bad, at));
      return { ...doc, [key]: good } as D;
    };
    const sessions = await records(paths.sessionRegistryPath, "sessions", "Session", await load(paths.sessionRegistryPath, hasArray<SessionRegistry>("sessions")));
    const runs = await records(paths.runRegistryPath, "runs", "Run", await load(paths.runRegistryPath, hasArray<RunRegistry>("runs")));
    const recent = await records(paths.recentEventsPath, "events", "Event", await load(paths.recentEventsPath, hasArray<RecentEventCache>("events")));
    const turns = await records(paths.turnRegistryPath, "turns", "Turn", await load(paths.turnRegistryPath, hasArray<TurnRegistry>("turns")));

    const log = await this.eventLog.open();
    const archive = await this.archive.open();
    const nowIso = at.toISOString();
    this.identity = deepFreeze(identity ?? this.newIdentity(nowIso));
    this.daemon = deepFreeze(this.normalizeDaemon(daemon, nowIso));
    for (const s of sessions?.sessions ?? []) this.putSession(deepFreeze(s));
    this.sessionsUpdatedAt = sessions?.updatedAt ?? null;
    // A run in both places was updated after it was archived (or the registry write after the
    // archive append did not happen): the registry copy is the newer one; it is archived again.
    for (const r of runs?.runs ?? []) this.putRun(deepFreeze(r));
    this.runsUpdatedAt = runs?.updatedAt ?? null;
    for (const t of turns?.turns ?? []) this.turns.set(t.turnId, deepFreeze(t));
    this.turnsUpdatedAt = turns?.updatedAt ?? null;
    const replays = await this.replayRestored(restored, sessions, runs);

    const tail = this.boundRead(await this.eventLog.readTail(this.config.eventCacheSize));
    const cached = tail.length > 0 ? tail : (recent?.events ?? []);
    for (const event of cached) this.recent.push(deepFreeze(event));
    this.recentUpdatedAt = recent?.updatedAt ?? null;
    // Every one of these is a validated safe integer: seq continues from the highest of them.
    const maxRecent = recent?.events.reduce((m, e) => Math.max(m, e.seq), 0) ?? 0;
    this.nextSeq = Math.max(log.lastSeq, maxRecent, daemon?.lastEventSeq ?? 0, this.recent.lastSeq) + 1;
    this.durableSeq = this.nextSeq - 1;
    this.opened = true;

    for (const doc of ["identity", "daemon", "sessions", "runs", "turns", "recent"] as const) this.dirty.add(doc);
    for (const r of recoveries) {
      this.recordEventQuietly({
        level: "warn",
        type: "state.recovered",
        message: `${r.file} was ${r.problem}; ${r.usedBackup ? "restored from .bak" : "started empty"}`,
        detail: { ...r },
      });
    }
    for (const a of asides) {
      this.recordEventQuietly({
        level: "warn",
        type: "state.recovered",
        message: `${a.count} record(s) of ${a.file} did not match the ${a.schema} schema; moved aside to ${a.movedTo}, the rest is used`,
        detail: { problem: "invalid-records", ...a },
      });
    }
    for (const r of replays) {
      this.recordEventQuietly({
        level: "warn",
        type: "state.recovered",
        message: `${r.file}: replayed ${r.events} event(s) after seq ${r.from} over the restored version; ${r.changed.length} record(s) brought up to date, ${r.rebuilt.length} rebuilt from events`,
        detail: { problem: "replayed-events", ...r },
      });
    }
    if (abandoned.length > 0) {
      this.recordEventQuietly({
        level: "warn",
        type: "state.recovered",
        message: `removed ${abandoned.length} temp file(s) of atomic writes a crash interrupted`,
        detail: { problem: "abandoned-temp-files", files: abandoned },
      });
    }
    if (log.repair) {
      this.recordEventQuietly({
        level: "warn",
        type: "state.recovered",
        message: `cut ${log.repair.cutBytes} bytes of torn or invalid tail from ${log.repair.file}${log.repair.movedTo ? `; kept in ${log.repair.movedTo}` : ""}`,
        detail: { ...log.repair, problem: "torn-tail" },
      });
    }
    if (archive.cutBytes > 0) {
      this.recordEventQuietly({
        level: "warn",
        type: "state.recovered",
        message: `cut ${archive.cutBytes} bytes of torn tail from ${paths.runArchivePath}`,
        detail: { file: paths.runArchivePath, cutBytes: archive.cutBytes, problem: "torn-tail" },
      });
    }
    await this.commits.commit();
    return this.snapshot();
  }

  /**
   * A registry taken from its `.bak`, or started empty, is older than what was acknowledged:
   * the run.* / session.* events newer than its stamp are applied over it (see replay.ts).
   */
  private async replayRestored(restored: Map<string, Recovery>, sessions: SessionRegistry | null, runs: RunRegistry | null): Promise<(ReplaySummary & { file: string })[]> {
    const { paths } = this.config;
    const readAfter = (after: number, limit: number, keep: (e: CodexdEvent) => boolean) => this.eventLog.readAfter(after, limit, keep);
    const out: (ReplaySummary & { file: string })[] = [];
    const stampOf = (doc: { eventSeq?: unknown } | null, recovery: Recovery) => (recovery.usedBackup && isSafeSeq(doc?.eventSeq) ? doc.eventSeq : 0);
    const sessionsRecovery = restored.get(paths.sessionRegistryPath);
    if (sessionsRecovery) {
      const replayed = new Map(this.sessions);
      const summary = await replayRecords(readAfter, stampOf(sessions, sessionsRecovery), { sessions: replayed });
      for (const id of summary.changed) this.putSession(deepFreeze(replayed.get(id)!));
      if (summary.events > 0) out.push({ file: paths.sessionRegistryPath, ...summary });
    }
    const runsRecovery = restored.get(paths.runRegistryPath);
    if (runsRecovery) {
      const replayed = new Map(this.runs);
      const summary = await replayRecords(readAfter, stampOf(runs, runsRecovery), { runs: replayed, archived: (id) => this.archive.has(id) });
      for (const id of summary.changed) this.putRun(deepFreeze(replayed.get(id)!));
      if (summary.events > 0) out.push({ file: paths.runRegistryPath, ...summary });
    }
    return out;
  }

  snapshot(): StatusSnapshot {
    return {
      config: this.config,
      identity: this.identity,
      daemon: this.daemon,
      sessionRegistry: { updatedAt: this.sessionsUpdatedAt, sessions: [...this.sessions.values()] },
      runRegistry: { updatedAt: this.runsUpdatedAt, runs: [...this.runs.values()] },
      recentEvents: { maxEntries: this.recent.capacity, updatedAt: this.recentUpdatedAt, events: this.recent.list() },
    };
  }

  getIdentity(): DaemonIdentity {
    return this.identity;
  }
  getDaemonState(): DaemonState {
    return this.daemon;
  }
  getChildState(): ChildState {
    return this.daemon.child;
  }
  getSession(sessionId: string): SessionRecord | null {
    return this.sessions.get(sessionId) ?? null;
  }
  listSessions(): SessionRecord[] {
    return [...this.sessions.values()];
  }
  getTurn(turnId: string): TurnRecord | null {
    return this.turns.get(turnId) ?? null;
  }
  /** Turns kept in the registry, oldest first; optionally of one session. */
  listTurns(sessionId?: string): TurnRecord[] {
    const all = [...this.turns.values()];
    return sessionId === undefined ? all : all.filter((t) => t.sessionId === sessionId);
  }
  async upsertTurn(record: TurnRecord): Promise<TurnRecord> {
    const frozen = deepFreeze({ ...boundTurn(record, this.config.limits) });
    this.remember("turns", record.turnId);
    this.turns.set(record.turnId, frozen);
    this.turnsUpdatedAt = this.now().toISOString();
    await this.markDirty("turns");
    return frozen;
  }

  /** A page of sessions in creation order (keyset cursor, see paginate.ts); no sort, no copy of the registry. */
  pageSessions(newestFirst: boolean, limit: number, cursor?: string, keep?: (s: SessionRecord) => boolean): Page<SessionRecord> {
    return this.sessionOrder.page(newestFirst, limit, cursor, keep);
  }
  /** Sessions in the registry by status (every status listed, 0 when none), kept current on write. */
  sessionStatusCounts<K extends string>(statuses: readonly K[]): Record<K, number> {
    return this.sessionCounts.of(statuses);
  }
  /** A page of the registry's runs in creation order; archived runs are not in it. */
  pageRuns(newestFirst: boolean, limit: number, cursor?: string, keep?: (r: RunRecord) => boolean): Page<RunRecord> {
    return this.runOrder.page(newestFirst, limit, cursor, keep);
  }
  /** Runs in the registry by status, kept current on write. */
  runStatusCounts<K extends string>(statuses: readonly K[]): Record<K, number> {
    return this.runCounts.of(statuses);
  }

  /** Runs in the registry (active and recently finished); archived ones through getRun. */
  listRuns(): RunRecord[] {
    return [...this.runs.values()];
  }
  async getRun(runId: string): Promise<RunRecord | null> {
    return this.runs.get(runId) ?? (await this.archive.get(runId));
  }
  /** The run created with this Idempotency-Key, in the registry or the archive. */
  async runForIdempotencyKey(key: string): Promise<RunRecord | null> {
    for (const run of this.runs.values()) if (run.idempotencyKey === key) return run;
    const archived = this.archive.runIdForKey(key);
    return archived ? this.archive.get(archived) : null;
  }
  /** Changes whenever a session or run count changes (the sum of two counters that only grow). */
  get statusCountsVersion(): number {
    return this.sessionCounts.version + this.runCounts.version;
  }
  get archivedRunCount(): number {
    return this.archive.count;
  }
  /** Seq of the newest durable event (0 before any). */
  get lastSeq(): number {
    return this.durableSeq;
  }
  /** Seq of the oldest event still retained (on disk or in the cache). */
  get oldestEventSeq(): number | null {
    return this.eventLog.oldestSeq ?? this.recent.oldestSeq;
  }
  get flushCount(): number {
    return this.commits.flushes;
  }

  async markDaemonStarted(): Promise<DaemonState> {
    const now = this.now().toISOString();
    return this.setDaemon({ started: true, startedAt: now, stoppedAt: null, updatedAt: now, pid: this.pid(), bootId: this.bootId });
  }

  async markDaemonStopped(): Promise<DaemonState> {
    const now = this.now().toISOString();
    return this.setDaemon({ started: false, stoppedAt: now, updatedAt: now, pid: null });
  }

  async updateChildState(patch: Partial<ChildState>): Promise<ChildState> {
    const state = await this.setDaemon({ updatedAt: this.now().toISOString(), child: { ...this.daemon.child, ...patch } });
    return state.child;
  }

  async upsertSession(record: SessionRecord): Promise<SessionRecord> {
    const frozen = deepFreeze({ ...record });
    this.remember("sessions", record.sessionId);
    this.putSession(frozen);
    this.sessionsUpdatedAt = this.now().toISOString();
    await this.markDirty("sessions");
    return frozen;
  }

  async closeSession(sessionId: string): Promise<SessionRecord | null> {
    const existing = this.sessions.get(sessionId);
    if (!existing) return null;
    return this.upsertSession({ ...existing, status: "closed", currentTurnId: null, updatedAt: this.now().toISOString() });
  }

  async upsertRun(record: RunRecord): Promise<RunRecord> {
    const frozen = deepFreeze({ ...boundRun(record, this.config.limits) });
    this.remember("runs", record.runId);
    this.putRun(frozen);
    this.runsUpdatedAt = this.now().toISOString();
    await this.markDirty("runs");
    return frozen;
  }

  /** Record an event; resolves once it is durable in events.jsonl. */
  async recordEvent(input: EventInput): Promise<CodexdEvent> {
    if (!this.opened || this.closing) throw new Error("state store is not open");
    this.queueRecoveryEvents();
    const event: CodexdEvent = {
      seq: this.nextSeq,
      createdAt: this.now().toISOString(),
      level: input.level,
      type: input.type,
      message: input.message,
      detail: input.detail ?? null,
      bootId: this.bootId,
    };
    if (input.sessionId !== undefined) event.sessionId = input.sessionId;
    if (input.runId !== undefined) event.runId = input.runId;
    if (input.turnId !== undefined) event.turnId = input.turnId;
    let line: string;
    try {
      line = JSON.stringify(event);
    } catch (error) {
      // A detail JSON cannot represent (nested too deep for the serializer): keep the event and
      // the detail's plain top-level fields, and say what was left out and why.
      const kept = Object.entries(input.detail ?? {}).filter(([, v]) => v === null || typeof v !== "object");
      event.detail = { ...Object.fromEntries(kept), unrecordable: true, reason: (error as Error).message };
      line = JSON.stringify(event);
    }
    // events.jsonl keeps the detail whole; the event served, streamed and cached has it bounded.
    const bounded = this.boundedEvent(event);
    this.enqueueEvent(bounded ?? event, line, bounded ? JSON.stringify(bounded) : line);
    await this.commits.commit();
    return bounded ?? event;
  }

  /** The event with its detail within limits.eventDetailBytes (marked truncated), or null when it fits. */
  private boundedEvent(event: CodexdEvent): CodexdEvent | null {
    if (!event.detail) return null;
    const detail = boundObject(event.detail, this.config.limits.eventDetailBytes);
    return detail === event.detail ? null : { ...event, detail };
  }

  /** Events read back from events.jsonl, with their details bounded as when they were recorded. */
  private boundRead(events: CodexdEvent[]): CodexdEvent[] {
    const max = this.config.limits.eventDetailBytes;
    // A UTF-16 unit is at most 3 bytes of UTF-8: only a longer text can be over the limit.
    return events.map((e) => (e.detail && jsonOf(e).length * 3 > max && jsonBytes(e.detail) > max ? deepFreeze(this.boundedEvent(e) ?? e) : e));
  }

  /** `line` goes to events.jsonl; `shown` is the JSON of `event` as readers get it (the same text unless the detail was cut). */
  private enqueueEvent(event: CodexdEvent, line: string, shown = line): void {
    // The seq is taken only once the event is certain to be written: a failure leaves no hole.
    this.nextSeq++;
    deepFreeze(event);
    rememberJson(event, shown);
    this.pendingLines.push(`${line}\n`);
    this.pendingShown.push(`${shown}\n`);
    this.pendingEvents.push(event);
    this.recent.push(event);
    this.recentUpdatedAt = event.createdAt;
    this.dirty.add("recent");
  }

  /** Why the state dir cannot be written now, or null while it can. */
  get storageFault(): StorageFault | null {
    return this.fault;
  }

  /** Why the event log's live file stays in use past its size (its rotations fail), or null. */
  get eventLogRotationFault(): RotationFault | null {
    return this.eventLog.rotationFault;
  }

  /** Whether this record's latest change is durable (a run not yet durable must not be executed). */
  isDurable(doc: RecordDoc, id: string): boolean {
    const key = `${doc}:${id}`;
    return !this.undo.has(key) && !(this.flushingUndo?.has(key) ?? false);
  }

  /** Called when the store becomes degraded (with the fault) and when it recovers (with null). */
  onStorageChange(listener: (fault: StorageFault | null) => void): () => void {
    this.storageListeners.add(listener);
    return () => this.storageListeners.delete(listener);
  }

  private remember(doc: RecordDoc, id: string): void {
    const key = `${doc}:${id}`;
    if (!this.undo.has(key)) this.undo.set(key, { doc, id, prev: this.mapOf(doc).get(id) });
  }

  private mapOf(doc: RecordDoc): Map<string, SessionRecord | RunRecord | TurnRecord> {
    return (doc === "runs" ? this.runs : doc === "sessions" ? this.sessions : this.turns) as Map<string, SessionRecord | RunRecord | TurnRecord>;
  }

  /**
   * While degraded, the first write that gets through also tells the story: `store.degraded`
   * (when and why, which could not be written then) and `store.recovered` go first in its flush.
   */
  private queueRecoveryEvents(): void {
    if (!this.fault || this.recoverySeq !== null) return;
    const fault = this.fault;
    const at = this.now();
    const base = { createdAt: at.toISOString(), bootId: this.bootId };
    const detail = { stateDir: fault.stateDir, cause: fault.cause, reason: fault.reason, code: storageProblemCode(fault), since: fault.since };
    const degraded: CodexdEvent = { seq: this.nextSeq, ...base, level: "error", type: "store.degraded", message: `state directory ${fault.stateDir} could not be written: ${fault.cause} (${fault.reason})`, detail };
    this.enqueueEvent(degraded, JSON.stringify(degraded));
    const downMs = Math.max(0, at.getTime() - Date.parse(fault.since));
    const recovered: CodexdEvent = { seq: this.nextSeq, ...base, level: "info", type: "store.recovered", message: `state directory ${fault.stateDir} is writable again after ${downMs} ms`, detail: { stateDir: fault.stateDir, cause: fault.cause, since: fault.since, downMs } };
    this.recoverySeq = recovered.seq;
    this.enqueueEvent(recovered, JSON.stringify(recovered));
  }

  /** Events after a cursor, from the cache when it reaches back far enough, else from disk. */
  async queryEvents(query: EventQuery): Promise<{ events: CodexdEvent[]; oldestSeq: number | null; lastSeq: number }> {
    const after = query.after ?? 0;
    const limit = query.limit ?? 100;
    const durable = this.durableSeq;
    const keep = (e: CodexdEvent) => e.seq <= durable && matchesEventQuery(e, query);
    const events = this.recent.covers(after)
      ? this.recent.after(after, limit, keep)
      : this.boundRead(await this.eventLog.readAfter(after, limit, keep, durable));
    return { events, oldestSeq: this.oldestEventSeq, lastSeq: durable };
  }

  /**
   * A page of events as their JSON text, what `GET /v1/events` sends. Without a filter, a page
   * read from disk is the lines as stored, not parsed (one whose detail is over the limit is
   * parsed and bounded, as `queryEvents` gives it); anything else is `queryEvents`' page.
   */
  async queryEventJson(query: EventQuery): Promise<{ lines: LogLine[]; oldestSeq: number | null; lastSeq: number }> {
    const after = query.after ?? 0;
    if (hasEventFilter(query) || this.recent.covers(after)) {
      const { events, ...rest } = await this.queryEvents(query);
      return { lines: events.map((e) => ({ seq: e.seq, json: jsonOf(e) })), ...rest };
    }
    const durable = this.durableSeq;
    const max = this.config.limits.eventDetailBytes;
    const lines = await this.eventLog.readJsonAfter(after, query.limit ?? 100, durable);
    // A UTF-16 unit is at most 3 bytes of UTF-8: shorter lines cannot be over the limit.
    return { lines: lines.map((line) => (line.json.length * 3 > max ? this.boundLine(line) : line)), oldestSeq: this.oldestEventSeq, lastSeq: durable };
  }

  private boundLine(line: LogLine): LogLine {
    const event = parseEvent(line.json);
    return event ? { seq: line.seq, json: jsonOf(this.boundRead([event])[0]!) } : line;
  }

  /** Resolves once every mutation made before this call is durable (at once when all are). */
  settled(): Promise<void> {
    // Degraded: what failed was taken back, so memory is what is on disk, give or take changes
    // still being tried; reads answer from memory at once (marked degraded by the HTTP layer).
    if (this.fault) return Promise.resolve();
    // A write that failed left its document dirty with nobody waiting: retry it now, so a read
    // never shows a record that is not on disk (and fails if it still cannot be written).
    return this.hasUnwritten() ? this.commits.commit() : this.commits.settled();
  }

  /** True when settled() would have nothing to wait for: a read may answer in this turn. */
  get isSettled(): boolean {
    return this.fault !== null || (!this.hasUnwritten() && !this.commits.busy);
  }

  private hasUnwritten(): boolean {
    if (this.pendingLines.length > 0) return true;
    for (const doc of this.dirty) if (doc !== "recent") return true;
    return false;
  }

  /** Called with each event after it is durable, in seq order. Returns an unsubscribe function. */
  onEvent(listener: (event: CodexdEvent) => void): () => void {
    return this.onEvents((events) => {
      for (const event of events) listener(event);
    });
  }

  /** Called once per flush with the events it made durable, in seq order, and their JSON lines. */
  onEvents(listener: DurableEventsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called with the duration of each durable flush (for metrics). */
  onFlush(listener: (ms: number) => void): () => void {
    this.flushListeners.add(listener);
    return () => this.flushListeners.delete(listener);
  }

  appendChildOutput(stream: "stdout" | "stderr", text: string): Promise<void> {
    return this.childLogs[stream].append(text);
  }

  tailChildOutput(stream: "stdout" | "stderr", lines: number): Promise<string[]> {
    return this.childLogs[stream].tail(lines);
  }

  /** Flush everything (recent-events.json included) and release file handles. */
  async close(): Promise<void> {
    if (!this.opened || this.closing) return;
    this.closing = true;
    if (this.recentTimer) clearTimeout(this.recentTimer);
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
    this.dirty.add("recent");
    this.dirty.add("daemon");
    try {
      // A store whose directory another daemon owns now has nothing left to write.
      if (!this.lockLost) {
        await this.commits.commit();
        await this.commits.idle();
      }
    } finally {
      // A failed last flush (or close) still lets go of the files and the directory.
      try {
        await this.closeFiles();
      } finally {
        await this.lock?.release();
        this.lock = null;
      }
    }
  }

  private closeFiles(): Promise<unknown> {
    return Promise.all([this.eventLog.close(), this.archive.close(), this.childLogs.stdout.close(), this.childLogs.stderr.close()]);
  }

  private async setDaemon(patch: Partial<DaemonState>): Promise<DaemonState> {
    this.daemon = deepFreeze({ ...this.daemon, ...patch });
    await this.markDirty("daemon");
    return this.daemon;
  }

  private async markDirty(doc: Doc): Promise<void> {
    if (!this.opened) throw new Error("state store is not open");
    this.queueRecoveryEvents();
    this.dirty.add(doc);
    await this.commits.commit();
  }

  /**
   * One group flush: one atomic write per dirty file, then one append+fdatasync for all pending
   * events. Every mutation queued before it starts is durable when it resolves. When it fails,
   * every change not yet durable is taken back (see rollBack) and the store is degraded.
   */
  private async flush(): Promise<void> {
    // Capture everything synchronously: mutations made while this flush runs belong to the next one.
    const lines = this.pendingLines.join("");
    const eventLines = this.pendingShown;
    const events = this.pendingEvents;
    this.pendingLines = [];
    this.pendingShown = [];
    this.pendingEvents = [];
    const undo = this.undo;
    this.undo = new Map();
    this.flushingUndo = undo;
    if (this.lockLost) return this.rollBack(undo, [], new Error(`state directory lock lost (${this.lockLost}): nothing more is written`), false);
    const recentDue = this.closing || performance.now() - this.lastRecentWrite >= this.recentInterval;
    const docs = [...this.dirty].filter((d) => d !== "recent" || recentDue);
    for (const d of docs) this.dirty.delete(d);
    if (docs.includes("daemon")) {
      this.daemon = deepFreeze({ ...this.daemon, lastEventSeq: this.nextSeq - 1 });
    }
    const toArchive = docs.includes("runs") ? this.archivableRuns() : [];
    // Finished turns and closed sessions beyond retention leave their registry; the event log keeps their story.
    const pruned = (doc: RecordDoc) => (id: string, prev: SessionRecord | TurnRecord) => {
      if (!undo.has(`${doc}:${id}`)) undo.set(`${doc}:${id}`, { doc, id, prev });
    };
    if (docs.includes("turns")) dropOldest(this.turns, (t) => TERMINAL_TURN_STATUSES.has(t.status), this.config.turns.retention, pruned("turns"));
    if (docs.includes("sessions")) {
      dropOldest(this.sessions, (s) => s.status === "closed", this.config.sessions.retention, (id, session) => {
        pruned("sessions")(id, session);
        this.forgetSession(session);
      });
    }
    const payloads = docs.map((d) => [d, this.serialize(d, toArchive)] as const);
    if (docs.includes("recent")) this.lastRecentWrite = performance.now();

    const failures: unknown[] = [];
    let runsWritten = false;
    let eventsMayBeWritten = false;
    const flushStarted = performance.now();
    const writeDoc = async ([doc, payload]: readonly [Doc, string]) => {
      try {
        if (doc === "runs" && toArchive.length > 0) await this.archive.append(toArchive);
        await writeFileAtomic(this.pathOf(doc), payload);
        if (doc === "runs") runsWritten = true;
      } catch (error) {
        failures.push(error);
      }
    };
    // Records first, then the events that tell of them: a crash in between can leave a record
    // whose event is missing, never an event naming a record that is not on disk.
    await Promise.all(payloads.map(writeDoc));
    if (failures.length === 0 && lines) {
      try {
        await this.eventLog.append(lines);
      } catch (error) {
        // A batch the log could not cut back off may be on disk: its seqs are never used again.
        eventsMayBeWritten = (error as { partial?: boolean }).partial === true;
        failures.push(error);
      }
    }
    if (runsWritten) {
      // Only runs not replaced while the flush ran leave memory; the archive has their final form.
      for (const run of toArchive) if (this.runs.get(run.runId) === run) this.removeRun(run);
    }
    if (failures.length > 0) return this.rollBack(undo, docs, failures[0], eventsMayBeWritten);
    this.flushingUndo = null;
    const flushMs = performance.now() - flushStarted;
    for (const listener of this.flushListeners) listener(flushMs);

    if (events.length > 0) this.durableSeq = events.at(-1)!.seq;
    if (this.fault && this.recoverySeq !== null && events.some((e) => e.seq === this.recoverySeq)) this.recover();
    if (events.length > 0) for (const listener of [...this.listeners]) listener(events, eventLines);
    if (this.dirty.has("recent") && !this.recentTimer && !this.closing) {
      this.recentTimer = setTimeout(() => {
        this.recentTimer = null;
        if (this.dirty.has("recent") && !this.closing) void this.commits.commit().catch(() => {});
      }, this.recentInterval).unref();
    }
  }

  private putRun(run: RunRecord): void {
    const previous = this.runs.get(run.runId);
    this.runs.set(run.runId, run);
    this.runOrder.set(run, previous);
    this.runCounts.change(previous, run);
  }

  private removeRun(run: RunRecord): void {
    this.runs.delete(run.runId);
    this.runOrder.delete(run);
    this.runCounts.change(run, null);
  }

  private putSession(session: SessionRecord): void {
    const previous = this.sessions.get(session.sessionId);
    this.sessions.set(session.sessionId, session);
    this.sessionOrder.set(session, previous);
    this.sessionCounts.change(previous, session);
  }

  /** Put a record back as it was before a change that was taken back (kept lists and counts too). */
  private restore({ doc, id, prev }: Undo): void {
    if (doc === "runs") {
      const current = this.runs.get(id);
      if (prev) this.putRun(prev as RunRecord);
      else if (current) this.removeRun(current);
    } else if (doc === "sessions") {
      const current = this.sessions.get(id);
      if (prev) this.putSession(prev as SessionRecord);
      else if (current) {
        this.sessions.delete(id);
        this.forgetSession(current);
      }
    } else if (prev) this.turns.set(id, prev as TurnRecord);
    else this.turns.delete(id);
  }

  /** After dropOldest has taken it out of the map. */
  private forgetSession(session: SessionRecord): void {
    this.sessionOrder.delete(session);
    this.sessionCounts.change(session, null);
  }

  /**
   * A flush failed: nothing it carried was acknowledged, so nothing of it may stay. Every record
   * changed since the last durable flush (by this flush's batch and by changes queued behind it,
   * which were built on it) goes back to its durable version, their events are dropped (their
   * seqs are used again unless the log may hold them), and everyone waiting on either is told.
   * A run whose creation failed is thus never executed. The documents this flush wrote are
   * written again, with the state taken back, by the next flush that succeeds.
   */
  private rollBack(undo: Map<string, Undo>, docs: readonly Doc[], error: unknown, eventsMayBeWritten: boolean): never {
    for (const entry of [...undo.values(), ...[...this.undo.values()].filter((u) => !undo.has(`${u.doc}:${u.id}`))]) this.restore(entry);
    this.undo = new Map();
    this.flushingUndo = null;
    this.pendingLines = [];
    this.pendingShown = [];
    this.pendingEvents = [];
    this.recoverySeq = null;
    if (!eventsMayBeWritten) this.nextSeq = this.durableSeq + 1;
    this.recent.dropAfter(this.durableSeq);
    for (const doc of docs) this.dirty.add(doc);
    this.dirty.add("daemon");
    const since = this.fault?.since ?? this.now().toISOString();
    const fault = classifyStorageError(error, this.config.paths.stateDir, since);
    const wasDegraded = this.fault !== null;
    this.fault = fault;
    const refused = new StorageError(fault);
    this.commits.rejectQueued(refused);
    if (!wasDegraded) {
      this.startRetrying();
      for (const listener of [...this.storageListeners]) listener(fault);
    }
    throw refused;
  }

  /** While degraded, try a small write now and then, so the store recovers without a client's write. */
  private startRetrying(): void {
    if (this.retryTimer || this.closing || this.lockLost) return;
    this.retryTimer = setInterval(() => {
      if (!this.fault || this.closing) return;
      if (this.commits.busy) return;
      void this.markDirty("daemon").catch(() => {});
    }, this.config.storage.retryIntervalMs).unref();
  }

  private recover(): void {
    this.fault = null;
    this.recoverySeq = null;
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
    for (const listener of [...this.storageListeners]) listener(null);
  }

  /** Record an event nobody waits on (a failure is reported by the flush's other callers). */
  private recordEventQuietly(input: EventInput): void {
    this.recordEvent(input).catch(() => {});
  }

  /** Oldest finished runs beyond the retention count; they move to the archive. */
  private archivableRuns(): RunRecord[] {
    let finished = 0;
    for (const run of this.runs.values()) if (TERMINAL_RUN_STATUSES.has(run.status)) finished++;
    let excess = finished - this.config.runs.retention;
    const out: RunRecord[] = [];
    for (const run of this.runs.values()) {
      if (excess <= 0) break;
      if (TERMINAL_RUN_STATUSES.has(run.status)) {
        out.push(run);
        excess--;
      }
    }
    return out;
  }

  private serialize(doc: Doc, archived: readonly RunRecord[]): string {
    switch (doc) {
      case "identity":
        return `${JSON.stringify(this.identity, null, 2)}\n`;
      case "daemon":
        return `${JSON.stringify(this.daemon, null, 2)}\n`;
      // eventSeq: the newest event recorded when this version was taken; a restore from `.bak`
      // replays the events after it.
      case "sessions":
        return `${JSON.stringify({ updatedAt: this.sessionsUpdatedAt, eventSeq: this.nextSeq - 1, sessions: [...this.sessions.values()] })}\n`;
      case "runs": {
        const leaving = new Set(archived);
        const runs = [...this.runs.values()].filter((r) => !leaving.has(r));
        return `${JSON.stringify({ updatedAt: this.runsUpdatedAt, eventSeq: this.nextSeq - 1, runs })}\n`;
      }
      case "turns":
        return `${JSON.stringify({ updatedAt: this.turnsUpdatedAt, eventSeq: this.nextSeq - 1, turns: [...this.turns.values()] })}\n`;
      case "recent":
        return `${JSON.stringify({ maxEntries: this.recent.capacity, updatedAt: this.recentUpdatedAt, events: this.recent.list() })}\n`;
    }
  }

  private pathOf(doc: Doc): string {
    const p = this.config.paths;
    return { identity: p.identityPath, daemon: p.daemonStatePath, sessions: p.sessionRegistryPath, runs: p.runRegistryPath, turns: p.turnRegistryPath, recent: p.recentEventsPath }[doc];
  }

  private newIdentity(createdAt: string): DaemonIdentity {
    return { daemonId: this.uuid(), nodeId: this.config.nodeId, repoRoot: this.config.paths.repoRoot, createdAt, version: this.config.version };
  }

  private normalizeDaemon(loaded: DaemonState | null, now: string): DaemonState {
    const { server } = this.config;
    const fromConfig = {
      strategy: server.childStrategy,
      mode: server.mode,
      endpoint: server.endpoint,
      command: server.childCommand,
      args: [...server.childArgs],
      cwd: server.childCwd,
    };
    if (loaded) return { ...loaded, child: { ...loaded.child, ...fromConfig } };
    return {
      started: false,
      startedAt: null,
      stoppedAt: null,
      updatedAt: now,
      pid: null,
      child: {
        ...fromConfig,
        status: "idle",
        pid: null,
        startedAt: null,
        exitedAt: null,
        exitCode: null,
        signal: null,
        lastError: null,
      },
    };
  }
}
