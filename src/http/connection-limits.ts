import type { ServerOptions } from "node:http";
import type { FastifyInstance } from "fastify";
import type { ResolvedConfig } from "../../schemas/config.js";
import { inlineSendHook } from "./inline-hook.js";

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
  };
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
  let reportedAt = -Infinity;
  app.server.on("drop", () => {
    dropped++;
    const now = performance.now();
    if (now - reportedAt < 10_000) return;
    reportedAt = now;
    app.log.warn({ dropped, maxConnections: http.maxConnections }, "connections refused: the connection cap is reached");
    dropped = 0;
  });
  app.addHook(
    "onSend",
    inlineSendHook((request, reply) => {
      const raw = request.raw;
      const hasBody = (raw.headers["content-length"] !== undefined && raw.headers["content-length"] !== "0") || raw.headers["transfer-encoding"] !== undefined;
      if (hasBody && !raw.complete) reply.header("connection", "close");
    }),
  );
}
