import type { FastifyInstance } from "fastify";
import type { StateStore } from "../state/store.js";

/**
 * A mutation is visible in memory before its flush is durable. A read answered in between could
 * show a client a state that a crash then takes back, so an answer to a GET (or HEAD) under /v1
 * waits for the flush of everything queued before it was serialized: at once when nothing is
 * pending, at most one group flush otherwise. Not covered: the live text of a turn in progress
 * (its deltas are kept in memory until the turn's items complete).
 */
export function installDurableReads(app: FastifyInstance, store: StateStore): void {
  app.addHook("preSerialization", async (request, _reply, payload) => {
    if ((request.method === "GET" || request.method === "HEAD") && request.url.startsWith("/v1/")) await store.settled();
    return payload;
  });
}
