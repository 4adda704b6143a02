import type { FastifyReply } from "fastify";
import { jsonOf } from "../state/record-json.js";
import type { StateStore } from "../state/store.js";

/**
 * A list page's body assembled from its records' stored JSON text: `{"<name>":[...],...rest}`.
 * Byte for byte what JSON.stringify gives for the same object, without serializing the records
 * again (the records are the schema's own shapes; openapi.yaml describes them).
 */
export function pageJson(name: string, records: readonly object[], rest: Record<string, unknown>): string {
  return pageOfJson(name, records.map(jsonOf), rest);
}

/** The same page from the records' JSON text itself (event lines as the event log holds them). */
export function pageOfJson(name: string, texts: readonly string[], rest: Record<string, unknown>): string {
  let body = `{${JSON.stringify(name)}:[`;
  for (let i = 0; i < texts.length; i++) body += i === 0 ? texts[i]! : `,${texts[i]!}`;
  body += "]";
  for (const key in rest) body += `,${JSON.stringify(key)}:${JSON.stringify(rest[key] ?? null)}`;
  return `${body}}`;
}

/**
 * Send a body already serialized (text or UTF-8 bytes). Fastify's preSerialization hooks do not
 * run for either, so the durable-read rule (src/http/durable-reads.ts) is applied here: the page
 * was taken from memory first, and is sent once everything queued before it is durable. With
 * nothing pending (most reads) it goes out in this turn, without a promise; a flush that fails is
 * the answer.
 * Returns the reply: an async handler returns it to let Fastify wait for the answer's end.
 */
export function sendJson(reply: FastifyReply, store: StateStore, body: string | Buffer): FastifyReply {
  if (store.isSettled) return reply.type(JSON_TYPE).send(body);
  store
    .settled()
    .then(
      () => reply.type(JSON_TYPE).send(body),
      (error: unknown) => reply.send(error),
    )
    // Sending answers its own failures; anything thrown past that is logged, never left unhandled.
    .catch((error: unknown) => reply.log.error({ err: error }, "a read could not be answered"));
  return reply;
}

const JSON_TYPE = "application/json; charset=utf-8";
