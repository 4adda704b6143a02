import type { Logger } from "pino";
import type { StateStore } from "../state/store.js";
import type { IncomingNotification } from "./jsonrpc-connection.js";

/** The event log is the full transcript: every app-server notification becomes a durable event. */
export function recordNotifications(
  subscribe: (listener: (n: IncomingNotification) => void) => () => void,
  store: StateStore,
  logger: Logger,
): () => void {
  return subscribe((n) => {
    const params = typeof n.params === "object" && n.params !== null ? (n.params as Record<string, unknown>) : {};
    const ids: { sessionId?: string; turnId?: string } = {};
    if (typeof params.turnId === "string") ids.turnId = params.turnId;
    store
      .recordEvent({ level: "debug", type: "codex.notification", message: n.method, detail: { method: n.method, params: n.params ?? null }, ...ids })
      .catch((error: unknown) => logger.error({ err: error, method: n.method }, "cannot record notification"));
  });
}
