import { appendFileSync } from "node:fs";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";

/**
 * Debugging aid, off by default (`http.responseAuditFile`, CODEXD_RESPONSE_AUDIT_FILE): append
 * one JSON line per HTTP response to a file, `{method, route, url, status, contentType, body,
 * bodyKind}`, so the answers clients really got can be checked after the fact (the test suite
 * validates every one against openapi.yaml).
 *
 * What is recorded is what went on the wire: status and headers from writeHead, the body from
 * write/end. Responses are caught on the HTTP server itself, so answers given before routing
 * (malformed URL, over-long path parameter) are recorded too; for `app.inject` only the
 * responses that reach Fastify's hooks are. `route` is the matched route pattern ("/v1/runs/:id"),
 * null when no route matched. `body` is the text sent; null for binary bodies (`binary`), for
 * event streams and bodies over MAX_BODY (`stream`), and for responses with none (`none`).
 * A stream is recorded when it ends, also when the client walks away.
 *
 * Bodies are written in full: never enable it where responses carry anything that must not land
 * in a file.
 */
export interface AuditLine {
  method: string;
  route: string | null;
  url: string;
  status: number;
  contentType: string | null;
  body: string | null;
  bodyKind: "text" | "binary" | "stream" | "none";
}

const MAX_BODY = 8 * 1024 * 1024;
const TEXTUAL = /^(text\/(?!event-stream)|application\/(json|[a-z0-9.+-]*\+json|problem\+json|yaml|x-yaml|javascript|xml))/i;

interface Tracked {
  route: string | null;
  status?: number;
  contentType: string | null;
  chunks: Buffer[];
  size: number;
  overflow: boolean;
  done: boolean;
  /** Content-Encoding of the body (compressed responses are recorded decoded). */
  encoding?: string;
}

function decoded(body: Buffer, encoding: string | undefined): Buffer {
  try {
    if (encoding === "gzip") return gunzipSync(body);
    if (encoding === "br") return brotliDecompressSync(body);
  } catch {
    // recorded as sent
  }
  return body;
}

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

function toBuffer(chunk: unknown, encoding: unknown): Buffer | null {
  if (chunk === undefined || chunk === null || typeof chunk === "function") return null;
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  return Buffer.from(String(chunk), typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
}

export function installResponseAudit(app: FastifyInstance, file: string | null): void {
  if (!file) return;
  const tracked = new WeakMap<ServerResponse, Tracked>();
  let failed = false;

  const write = (req: IncomingMessage, entry: Tracked) => {
    if (entry.done || entry.status === undefined) return;
    entry.done = true;
    const type = entry.contentType ?? "";
    const streamed = /^text\/event-stream/i.test(type) || entry.overflow;
    const body = decoded(Buffer.concat(entry.chunks), entry.encoding);
    const line: AuditLine = {
      method: req.method ?? "",
      route: entry.route,
      url: req.url ?? "",
      status: entry.status,
      contentType: entry.contentType,
      body: streamed || (body.length > 0 && !TEXTUAL.test(type)) ? null : body.length > 0 ? body.toString("utf8") : null,
      bodyKind: streamed ? "stream" : body.length === 0 ? "none" : TEXTUAL.test(type) ? "text" : "binary",
    };
    try {
      appendFileSync(file, JSON.stringify(line) + "\n", { mode: 0o600 });
    } catch (error) {
      if (!failed) app.log.warn({ err: error, file }, "cannot write the response audit file");
      failed = true;
    }
  };

  const track = (req: IncomingMessage, res: ServerResponse): Tracked => {
    const known = tracked.get(res);
    if (known) return known;
    const entry: Tracked = { route: null, contentType: null, chunks: [], size: 0, overflow: false, done: false };
    tracked.set(res, entry);
    const raw = res as unknown as Record<"writeHead" | "write" | "end", (...args: unknown[]) => unknown>;
    const { writeHead, write: writeBody, end } = raw;
    const keep = (chunk: unknown, encoding: unknown) => {
      if (entry.overflow || /^text\/event-stream/i.test(entry.contentType ?? "")) return;
      const buffer = toBuffer(chunk, encoding);
      if (!buffer) return;
      entry.size += buffer.length;
      if (entry.size > MAX_BODY) {
        entry.overflow = true;
        entry.chunks = [];
      } else entry.chunks.push(buffer);
    };
    raw.writeHead = function auditedWriteHead(this: unknown, ...args: unknown[]) {
      entry.status = typeof args[0] === "number" ? args[0] : res.statusCode;
      const headers = args.find((a, i) => i > 0 && typeof a === "object" && a !== null);
      entry.contentType = headerValue(headers, "content-type") ?? (res.getHeader("content-type") as string | undefined) ?? null;
      entry.encoding = headerValue(headers, "content-encoding") ?? (res.getHeader("content-encoding") as string | undefined);
      return writeHead.apply(this, args);
    };
    let ending = false; // some end() implementations write their chunk through write()
    raw.write = function auditedWrite(this: unknown, ...args: unknown[]) {
      if (!ending) keep(args[0], args[1]);
      return writeBody.apply(this, args);
    };
    raw.end = function auditedEnd(this: unknown, ...args: unknown[]) {
      keep(args[0], args[1]);
      ending = true;
      try {
        return end.apply(this, args);
      } finally {
        ending = false;
      }
    };
    res.once("finish", () => {
      // Headers written implicitly (no writeHead call) are known only now.
      if (entry.status === undefined && res.headersSent) {
        entry.status = res.statusCode;
        entry.contentType = (res.getHeader("content-type") as string | undefined) ?? null;
      }
      entry.encoding ??= res.getHeader("content-encoding") as string | undefined;
      write(req, entry);
    });
    res.once("close", () => write(req, entry));
    return entry;
  };

  // Real HTTP: before Fastify sees the request, so answers given before routing are caught.
  app.server.prependListener("request", track);
  // app.inject and the matched route.
  app.addHook("onRequest", async (request, reply) => {
    track(request.raw, reply.raw).route = request.routeOptions?.url ?? null;
  });
}
