import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import type { ApprovalRecord } from "../../schemas/approvals.js";
import type { ResolvedConfig } from "../../schemas/config.js";
import type { IncomingServerRequest, JsonRpcConnection, JsonRpcId } from "../codex/jsonrpc-connection.js";
import { ApprovalRequestParams, parseAs, type Decision } from "../codex/protocol.js";
import { ProblemError, notFound } from "../errors.js";
import { CreationOrder } from "../paginate.js";
import { deepFreeze } from "../state/deep-freeze.js";
import type { StateStore } from "../state/store.js";
import type { SessionService } from "./session-service.js";

export interface ApprovalDeps {
  config: ResolvedConfig;
  store: StateStore;
  logger: Logger;
  sessions: SessionService;
  /** A policy that wins over the session's for now (the executing run's), if any. */
  policyOverride?: (sessionId: string) => "manual" | "accept" | "decline" | null;
}

const KINDS: Record<string, string> = {
  "item/commandExecution/requestApproval": "commandExecution",
  "item/fileChange/requestApproval": "fileChange",
  "item/permissions/requestApproval": "permissions",
};

/** What is offered when the request does not list it (file changes and permissions do not). */
const DEFAULT_DECISIONS: Record<string, Decision[]> = {
  commandExecution: ["accept", "acceptForSession", "decline", "cancel"],
  fileChange: ["accept", "acceptForSession", "decline", "cancel"],
  permissions: ["accept", "acceptForSession", "decline"],
};

/** Keep this many decided approvals in memory for the API; every one is in the event log. */
const HISTORY = 1000;

interface Pending {
  requestId: JsonRpcId;
  connection: JsonRpcConnection;
  permissions: unknown;
  timer: NodeJS.Timeout | null;
}

const now = () => new Date().toISOString();

export function denyDecision(offered: readonly Decision[]): Decision {
  return offered.includes("decline") ? "decline" : offered.includes("cancel") ? "cancel" : "decline";
}

export function acceptDecision(offered: readonly Decision[]): Decision {
  return offered.includes("accept") ? "accept" : (offered.find((d) => typeof d === "object" && Object.keys(d)[0]!.startsWith("accept")) ?? "accept");
}

/** The offered decision a client's choice stands for, or null when it was not offered. */
export function matchOffered(offered: readonly Decision[], chosen: Decision): Decision | null {
  if (typeof chosen === "string") return offered.includes(chosen) ? chosen : null;
  const key = Object.keys(chosen)[0]!;
  const match = offered.find((d) => typeof d === "object" && Object.keys(d)[0] === key);
  if (!match) return null;
  // `{"acceptWithExecpolicyAmendment": {}}` means "the amendment you offered".
  const value = (chosen as Record<string, unknown>)[key];
  const empty = value === null || (typeof value === "object" && Object.keys(value as object).length === 0);
  return empty || isDeepStrictEqual(match, chosen) ? match : chosen;
}

/**
 * The app-server's requests to the client. Approval requests become approval records, answered
 * by policy (accept, decline) or by an operator within a timeout (manual); anything else gets a
 * JSON-RPC error at once, so no turn stalls waiting for an answer that will not come.
 */
export class ApprovalService {
  private readonly records = new Map<string, ApprovalRecord>();
  /** The same records sorted for paging, kept current by remember(). */
  private readonly order = new CreationOrder<ApprovalRecord>((a) => a.approvalId);
  private readonly pending = new Map<string, Pending>();
  private readonly settledListeners = new Set<(record: ApprovalRecord) => void>();

  constructor(private readonly deps: ApprovalDeps) {}

  /** Called when an approval is answered or expires. */
  onSettled(listener: (record: ApprovalRecord) => void): () => void {
    this.settledListeners.add(listener);
    return () => this.settledListeners.delete(listener);
  }

  hasPendingForTurn(turnId: string): boolean {
    for (const id of this.pending.keys()) if (this.records.get(id)?.turnId === turnId) return true;
    return false;
  }

  get(approvalId: string): ApprovalRecord {
    const record = this.records.get(approvalId);
    if (!record) throw notFound("approval", approvalId);
    return record;
  }

  list(query: { status?: ApprovalRecord["status"]; sessionId?: string; limit?: number; cursor?: string }) {
    const { status, sessionId } = query;
    const keep = status === undefined && sessionId === undefined ? undefined : (a: ApprovalRecord) => (status === undefined || a.status === status) && (sessionId === undefined || a.sessionId === sessionId);
    const { page, nextCursor } = this.order.page(true, query.limit ?? 50, query.cursor, keep);
    return { approvals: page, nextCursor };
  }

  handle(request: IncomingServerRequest, connection: JsonRpcConnection): void {
    const { store, logger } = this.deps;
    const kind = KINDS[request.method];
    const params = kind ? parseAs(ApprovalRequestParams, request.params) : null;
    if (!kind || !params) {
      connection.respondError(request.id, kind ? -32602 : -32601, kind ? "invalid approval request parameters" : `codexd does not handle ${request.method}`);
      void store
        .recordEvent({ level: "warn", type: "codex.server_request_rejected", message: `answered ${request.method} with an error`, detail: { method: request.method, id: request.id } })
        .catch(() => {});
      return;
    }
    const sessionId = this.deps.sessions.sessionIdForThread(params.threadId);
    const session = sessionId ? this.deps.store.getSession(sessionId) : null;
    const policy = (sessionId ? this.deps.policyOverride?.(sessionId) : null) ?? session?.approvals ?? this.deps.config.approvals.policy;
    const { threadId, turnId, itemId, reason, command, cwd, availableDecisions, permissions, ...rest } = params;
    const offered = availableDecisions ?? DEFAULT_DECISIONS[kind]!;
    const timeoutMs = this.deps.config.approvals.timeoutMs;
    const record: ApprovalRecord = {
      approvalId: randomUUID(),
      kind,
      method: request.method,
      status: "pending",
      sessionId,
      threadId,
      turnId,
      itemId: itemId ?? null,
      command: command ?? null,
      cwd: cwd ?? null,
      reason: reason ?? null,
      detail: { ...rest, ...(permissions !== undefined ? { permissions } : {}) },
      availableDecisions: offered,
      decision: null,
      decidedBy: null,
      createdAt: now(),
      resolvedAt: null,
      expiresAt: policy === "manual" ? new Date(Date.now() + timeoutMs).toISOString() : null,
    };
    this.remember(record);
    const entry: Pending = { requestId: request.id, connection, permissions, timer: null };
    this.pending.set(record.approvalId, entry);
    const ids = { ...(sessionId ? { sessionId } : {}), turnId };
    void store
      .recordEvent({ level: "info", type: "approval.requested", message: `${kind} approval requested${command ? `: ${command}` : ""}`, ...ids, detail: { approvalId: record.approvalId, kind, command: record.command, reason: record.reason, availableDecisions: offered, policy } })
      .catch((error: unknown) => logger.error({ err: error }, "cannot record approval"));
    if (policy === "accept") void this.answer(record.approvalId, acceptDecision(offered), "policy").catch(() => {});
    else if (policy === "decline") void this.answer(record.approvalId, denyDecision(offered), "policy").catch(() => {});
    else entry.timer = setTimeout(() => void this.answer(record.approvalId, denyDecision(offered), "timeout").catch(() => {}), timeoutMs);
  }

  /** An operator's decision. 409 when no longer pending, 422 when not offered. */
  async decide(approvalId: string, decision: Decision): Promise<ApprovalRecord> {
    const record = this.get(approvalId);
    if (record.status !== "pending") throw new ProblemError(409, "CODEXD_APPROVAL_NOT_PENDING", "The approval is no longer pending", `It is ${record.status}`, { currentState: record.status });
    const chosen = matchOffered(record.availableDecisions as Decision[], decision);
    if (chosen === null) {
      throw new ProblemError(422, "CODEXD_DECISION_NOT_OFFERED", "That decision was not offered", `Offered: ${JSON.stringify(record.availableDecisions)}`, { availableDecisions: record.availableDecisions });
    }
    return this.answer(approvalId, chosen, "operator");
  }

  /** Pending approvals the app-server no longer waits for: no answer is sent. */
  expire(match: (record: ApprovalRecord) => boolean, reason: string): void {
    for (const [id, entry] of this.pending) {
      const record = this.records.get(id)!;
      if (!match(record)) continue;
      if (entry.timer) clearTimeout(entry.timer);
      this.pending.delete(id);
      this.finish(record, "expired", null, reason);
    }
  }

  expireRequest(threadId: string, requestId: JsonRpcId): void {
    const ids = new Set([...this.pending].filter(([, e]) => e.requestId === requestId).map(([id]) => id));
    this.expire((r) => ids.has(r.approvalId) && r.threadId === threadId, "server");
  }

  private async answer(approvalId: string, decision: Decision, by: "operator" | "policy" | "timeout"): Promise<ApprovalRecord> {
    const entry = this.pending.get(approvalId);
    const record = this.records.get(approvalId)!;
    if (!entry) return record;
    this.pending.delete(approvalId);
    if (entry.timer) clearTimeout(entry.timer);
    const sent = entry.connection.respond(entry.requestId, this.response(record.kind, decision, entry.permissions));
    if (!sent) return this.finish(record, "expired", null, "child-exited");
    return this.finish(record, by === "timeout" ? "expired" : "resolved", decision, by);
  }

  /** Permission requests are answered with a grant, not a decision string. */
  private response(kind: string, decision: Decision, requested: unknown): unknown {
    if (kind !== "permissions") return { decision };
    const granted = decision === "accept" || decision === "acceptForSession";
    return { permissions: granted ? (requested ?? {}) : {}, scope: decision === "acceptForSession" ? "session" : "turn" };
  }

  private async finish(record: ApprovalRecord, status: ApprovalRecord["status"], decision: Decision | null, by: string): Promise<ApprovalRecord> {
    const done: ApprovalRecord = { ...record, status, decision, decidedBy: by, resolvedAt: now() };
    this.remember(done);
    for (const listener of this.settledListeners) listener(done);
    const type = status === "expired" ? "approval.expired" : "approval.decided";
    await this.deps.store.recordEvent({
      level: status === "expired" ? "warn" : "info",
      type,
      message: decision === null ? `approval expired (${by})` : `approval ${status === "expired" ? "timed out, answered" : "answered"} ${JSON.stringify(decision)} (${by})`,
      ...(record.sessionId ? { sessionId: record.sessionId } : {}),
      turnId: record.turnId,
      detail: { approvalId: record.approvalId, kind: record.kind, decision, decidedBy: by },
    });
    return done;
  }

  private remember(record: ApprovalRecord): void {
    // Frozen like the store's records: replaced on change, never edited, so a page can reuse each
    // record's JSON text (src/state/record-json.ts) instead of serializing it per request.
    deepFreeze(record);
    // Map.set on a known key keeps its place: the records stay in request order.
    this.order.set(record, this.records.get(record.approvalId));
    this.records.set(record.approvalId, record);
    if (this.records.size > HISTORY) {
      for (const [id, old] of this.records) {
        if (this.records.size <= HISTORY) break;
        if (!this.pending.has(id)) {
          this.records.delete(id);
          this.order.delete(old);
        }
      }
    }
  }
}
