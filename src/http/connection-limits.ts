import type { ServerOptions } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import type { ResolvedConfig } from "../../schemas/config.js";

type HttpSettings = ResolvedConfig["http"];

/**
 * Node's own timeouts for requests that arrive too slowly: headers (idle new connections
 * included) and whole requests, bodies included. Node checks them on an interval, so the
 * interval is a fraction of the shortest timeout rather than its default 30 s.
 */
export function connectionServerOptions(http: HttpSettings) {
  const checkEveryMs = Math.max(50, Math.min(1_000, Math.floor(Math.min(http.headersTimeoutMs, http.requestTimeoutMs) / 4)));
  const server: ServerOptions = {
    headersTimeout: http.headersTimeoutMs,
    requestTimeout: http.requestTimeoutMs,
    connectionsCheckingInterval: checkEveryMs,
  };
  return {
    http: server,
    requestTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    clientErrorHandler: answerClientError,
  };
}

const problemResponse = (status: number, reason: string, code: string, title: string, detail: string) => {
  const body = JSON.stringify({ type: `https://codexd.dev/problems/${code.toLowerCase()}`, title, status, code, detail });
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
};

/** Errors Node raises before a request reaches Fastify (timeouts, unparsable HTTP): problem+json, then close. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  let response: string;
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    response = problemResponse(408, "Request Timeout", "CODEXD_REQUEST_TIMEOUT", "Request not received in time", "The request's headers or body did not arrive within the daemon's timeout; the connection is closed");
  } else if (error.code === "HPE_HEADER_OVERFLOW") {
    response = problemResponse(431, "Request Header Fields Too Large", "CODEXD_HEADERS_TOO_LARGE", "Request headers too large", "The request's headers exceed the size the daemon accepts");
  } else {
    response = problemResponse(400, "Bad Request", "CODEXD_BAD_REQUEST", "Malformed HTTP request", "The request is not valid HTTP/1.1");
  }
  if (socket.writable) socket.end(response);
  socket.destroySoon();
}

/**
 * Caps open connections below the open-file limit (beyond it Node closes new connections at
 * once, before reading anything), and closes a connection whose request body was not read when
 * the answer went out (an early 401, 413, 415...): otherwise Node reads and discards whatever
 * the client keeps sending, as slowly as it likes.
 */
export function installConnectionLimits(app: FastifyInstance, http: HttpSettings): void {
  app.server.maxConnections = http.maxConnections;
  let dropped = 0;
  let reportedAt = 0;
  app.server.on("drop", () => {
    dropped++;
    const now = Date.now();
    if (now - reportedAt < 10_000) return;
    reportedAt = now;
    app.log.warn({ dropped, maxConnections: http.maxConnections }, "connections refused: the connection cap is reached");
    dropped = 0;
  });
  app.addHook("onSend", async (request, reply) => {
    const raw = request.raw;
    const hasBody = (raw.headers["content-length"] !== undefined && raw.headers["content-length"] !== "0") || raw.headers["transfer-encoding"] !== undefined;
    if (hasBody && !raw.complete) reply.header("connection", "close");
  });
}
