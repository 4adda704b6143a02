import type { Logger } from "pino";
import type { ChildSupervisor } from "../child/supervisor.js";
import { DeprecationNotice, ServerRequestResolved, parseAs } from "../codex/protocol.js";
import { MAX_BODY_DEPTH, depthOf } from "../http/body-depth.js";
import type { StateStore } from "../state/store.js";
import type { ApprovalService } from "./approval-service.js";
import type { TurnService } from "./turn-service.js";

/**
 * What the app-server sends, to where it belongs: every notification is first recorded as a
 * `codex.notification` event with its session and turn (the event log is the full transcript),
 * then applied to its turn; server requests go to the approvals.
 */
export function routeCodexTraffic(child: ChildSupervisor, store: StateStore, turns: TurnService, approvals: ApprovalService, logger: Logger): void {
  const deprecations = new Set<string>();
  child.onNotification((received) => {
    if (received.method === "deprecationNotice") {
      // Codex repeats its deprecation notices (one per call of a deprecated form): say each once.
      const notice = parseAs(DeprecationNotice, received.params);
      if (!notice || deprecations.has(notice.summary)) return;
      deprecations.add(notice.summary);
      logger.warn({ details: notice.details ?? null }, `Codex deprecation notice: ${notice.summary}`);
      store
        .recordEvent({ level: "warn", type: "codex.deprecation", message: notice.summary, detail: { summary: notice.summary, details: notice.details ?? null } })
        .catch((error: unknown) => logger.error({ err: error }, "cannot record a deprecation notice"));
      return;
    }
    // A value nested deeper than any protocol message would break serializers later (the event
    // cache, API answers): keep the method, drop the params, say so.
    const n = depthOf(received.params, MAX_BODY_DEPTH) > MAX_BODY_DEPTH ? { method: received.method, params: { droppedParams: `nested deeper than ${MAX_BODY_DEPTH} levels` } } : received;
    const ids = turns.idsOf(n);
    store
      .recordEvent({ level: "debug", type: "codex.notification", message: n.method, detail: { method: n.method, params: n.params ?? null }, ...ids })
      .catch((error: unknown) => logger.error({ err: error, method: n.method }, "cannot record notification"));
    if (n.method === "serverRequest/resolved") {
      const p = parseAs(ServerRequestResolved, n.params);
      if (p) approvals.expireRequest(p.threadId, p.requestId);
    }
    turns.handle(n);
  });
  child.onServerRequest((request, connection) => {
    if (depthOf(request.params, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
      connection.respondError(request.id, -32602, `params nested deeper than ${MAX_BODY_DEPTH} levels`);
      return;
    }
    approvals.handle(request, connection);
  });
  turns.onTurnEnded((turn) => approvals.expire((a) => a.turnId === turn.turnId, "turn-ended"));
  // The wait for an operator is not silence: the watchdog's clock starts again once it is over.
  approvals.onSettled((approval) => turns.touch(approval.turnId));
}
