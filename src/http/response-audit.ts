import { appendFileSync } from "node:fs";
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/**
 * Debugging aid, off by default (`http.responseAuditFile`, CODEXD_RESPONSE_AUDIT_FILE): append
 * one JSON line per HTTP response to a file, `{method, route, url, status, contentType, body,
 * bodyKind}`, so the answers a client really got can be checked after the fact (the test suite
 * validates every one against openapi.yaml). `route` is the matched route pattern (null when
 * none matched); `body` is the text sent, or null for binary, streamed and hijacked (SSE)
 * responses, whose status and content type are still recorded. Bodies are written in full:
 * never enable it where responses carry anything that must not land in a file.
 */
export interface AuditLine {
  method: string;
  route: string | null;
  url: string;
  status: number;
  contentType: string | null;
  body: string | null;
  bodyKind: "text" | "binary" | "stream" | "none" | "hijacked";
}

interface Seen {
  status?: number;
  contentType?: string | null;
  body?: string | null;
  bodyKind?: AuditLine["bodyKind"];
}

const TEXTUAL = /^(text\/|application\/(json|[a-z0-9.+-]*\+json|yaml|x-yaml|javascript|xml))/i;

function headerValue(headers: unknown, name: string): string | undefined {
  if (Array.isArray(headers)) {
    // Flat [name, value, name, value, ...] or [[name, value], ...]
    const flat = headers.flat() as unknown[];
    for (let i = 0; i + 1 < flat.length; i += 2) if (String(flat[i]).toLowerCase() === name) return String(flat[i + 1]);
    return undefined;
  }
  if (headers && typeof headers === "object") {
    for (const [k, v] of Object.entries(headers as OutgoingHttpHeaders)) if (k.toLowerCase() === name && v !== undefined) return String(v);
  }
  return undefined;
}

export function installResponseAudit(app: FastifyInstance, file: string | null): void {
  if (!file) return;
  const seen = new WeakMap<FastifyRequest, Seen & { written?: boolean }>();
  let failed = false;

  const record = (request: FastifyRequest, reply: FastifyReply) => {
    const entry = seen.get(request);
    if (!entry || entry.written) return;
    entry.written = true;
    const line: AuditLine = {
      method: request.method,
      route: request.routeOptions?.url ?? null,
      url: request.url,
      status: entry.status ?? reply.raw.statusCode,
      contentType: entry.contentType ?? ((reply.getHeader("content-type") as string | undefined) ?? null),
      body: entry.body ?? null,
      bodyKind: entry.bodyKind ?? "hijacked",
    };
    try {
      appendFileSync(file, JSON.stringify(line) + "\n", { mode: 0o600 });
    } catch (error) {
      if (!failed) request.log.warn({ err: error, file }, "cannot write the response audit file");
      failed = true;
    }
  };

  app.addHook("onRequest", async (request, reply) => {
    const entry: Seen = {};
    seen.set(request, entry);
    // What goes on the wire, also for replies written to the raw response (SSE streams).
    const raw = reply.raw as ServerResponse & { writeHead: (...args: unknown[]) => ServerResponse };
    const writeHead = raw.writeHead;
    raw.writeHead = function auditedWriteHead(this: ServerResponse, ...args: unknown[]) {
      entry.status = typeof args[0] === "number" ? args[0] : undefined;
      const headers = args.find((a, i) => i > 0 && typeof a === "object" && a !== null);
      entry.contentType = headerValue(headers, "content-type") ?? (this.getHeader("content-type") as string | undefined) ?? null;
      return writeHead.apply(this, args as Parameters<ServerResponse["writeHead"]>);
    } as typeof raw.writeHead;
    // A stream the client walks away from never "finishes" (no onResponse): record it once its
    // head was sent and the connection is gone.
    raw.once("close", () => {
      if (entry.status !== undefined) record(request, reply);
    });
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const entry = seen.get(request) ?? {};
    seen.set(request, entry);
    const type = String(reply.getHeader("content-type") ?? "");
    if (typeof payload === "string") Object.assign(entry, { body: payload, bodyKind: "text" });
    else if (Buffer.isBuffer(payload)) Object.assign(entry, TEXTUAL.test(type) ? { body: payload.toString("utf8"), bodyKind: "text" } : { body: null, bodyKind: "binary" });
    else if (payload === null || payload === undefined) Object.assign(entry, { body: null, bodyKind: "none" });
    else Object.assign(entry, { body: null, bodyKind: "stream" });
    return payload;
  });

  app.addHook("onResponse", async (request, reply) => record(request, reply));
}
