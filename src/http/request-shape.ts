import type { FastifyInstance } from "fastify";
import { ProblemError } from "../errors.js";
import { addRouteHook, inlineHook } from "./inline-hook.js";
import { routeNotFound } from "./problem-handler.js";

/**
 * HTTP/1.1 requires a Host header (RFC 9112 3.2). Node's own check answers an empty 400; the
 * server is built without it so the answer is problem+json like every other. Installed before
 * the host allow-list, which would otherwise call a missing Host a foreign one.
 */
export function requireHost(app: FastifyInstance): void {
  app.addHook(
    "onRequest",
    inlineHook((request) => {
      if (request.headers.host === undefined && request.raw.httpVersion !== "1.0") {
        throw new ProblemError(400, "CODEXD_HOST_REQUIRED", "Host header required", "HTTP/1.1 requests must carry a Host header");
      }
    }),
  );
}

/**
 * One rule for trailing slashes: a URL names a route exactly. A trailing slash is never
 * stripped or ignored, so `/v1/status/` and `/v1/runs/` are both 404 CODEXD_ROUTE_NOT_FOUND
 * (the router would read the second as `/v1/runs/:id` with an empty id). Empty segments inside a
 * path are refused earlier, with the other request targets that read differently once decoded.
 */
export function exactPaths(app: FastifyInstance): void {
  const check = inlineHook((request) => {
    const params = request.params as Record<string, unknown> | undefined;
    if (params && Object.values(params).some((value) => value === "")) {
      throw new ProblemError(404, "CODEXD_ROUTE_NOT_FOUND", "Not found", routeNotFound(request).detail);
    }
  });
  // Only a route with parameters can match with one empty.
  app.addHook("onRoute", (route) => {
    if (route.url.includes(":") || route.url.includes("*")) addRouteHook(route, "onRequest", check);
  });
}
