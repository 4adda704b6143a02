import type { FastifyInstance } from "fastify";
import type { StateStore } from "../state/store.js";
import { inlineSendHook } from "./inline-hook.js";

/** Response header present while the state directory cannot be written: reads come from memory. */
export const STORE_HEADER = "x-codexd-store";

/**
 * A mutation is visible in memory before its flush is durable. A read answered in between could
 * show a client a state that a crash then takes back, so an answer to a GET (or HEAD) under /v1
 * waits for the flush of everything queued before it was serialized: at once when nothing is
 * pending, at most one group flush otherwise. Not covered: the live text of a turn in progress
 * (its deltas are kept in memory until the turn's items complete).
 *
 * While the store is degraded (state dir full or not writable), what failed was taken back, so
 * reads answer from memory at once; every answer then carries `x-codexd-store: degraded`.
 */
export function installDurableReads(app: FastifyInstance, store: StateStore): void {
  app.addHook("preSerialization", async (request, _reply, payload) => {
    if ((request.method === "GET" || request.method === "HEAD") && request.url.startsWith("/v1/")) await store.settled();
    return payload;
  });
  app.addHook(
    "onSend",
    inlineSendHook((_request, reply) => {
      if (store.storageFault) reply.header(STORE_HEADER, "degraded");
    }),
  );
}

/**
 * In the contract: any /v1 route may answer 507 (state dir full) or 503 (state dir not
 * writable), a read too when it raced a write that failed.
 */
export function documentStorageResponses(app: FastifyInstance, problems: (...statuses: number[]) => Record<number, unknown>): void {
  app.addHook("onRoute", (route) => {
    const schema = route.schema as (Record<string, unknown> & { response?: Record<string, unknown> }) | undefined;
    if (!schema || schema.hide || !route.url.startsWith("/v1/")) return;
    schema.response = { ...problems(503, 507), ...schema.response };
  });
}
