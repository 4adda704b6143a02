import { createHash, timingSafeEqual } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ResolvedConfig } from "../../schemas/config.js";
import { isLoopback } from "../config.js";
import { ProblemError } from "../errors.js";
import { inlineHook, routeMethods } from "./inline-hook.js";
import { MonotonicRateStore } from "./monotonic-rate-store.js";
import { requestTargetProblem } from "./request-target.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** "open": answered without the bearer token. Every other route needs it when one is set. */
    access?: "open";
  }
}

/** Route config of the routes anyone may call: health, the contract and its docs. */
export const OPEN_ROUTE = { access: "open" } as const;
export const isOpenRoute = (config: { access?: string } | undefined) => config?.access === "open";

export const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const digest = (value: string) => createHash("sha256").update(value).digest();

/** The credentials of `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 9110 11.1). */
function bearerToken(header: string | undefined): string {
  const match = /^bearer +(\S+) *$/i.exec(header ?? "");
  return match ? match[1]! : "";
}

function hostName(hostHeader: string): string {
  // "[::1]:4319" -> "[::1]", "localhost:4319" -> "localhost"
  if (hostHeader.startsWith("[")) return hostHeader.slice(0, hostHeader.indexOf("]") + 1);
  return hostHeader.split(":")[0]!;
}

/**
 * DNS-rebinding and cross-site protection, then the bearer token:
 * - the Host header must name loopback, the bound host, or an allowed host;
 * - a browser Origin must be the daemon's own or on the allow-list;
 * - a request target that reads differently once decoded is refused (request-target.ts);
 * - with a token configured, every route needs `Authorization: Bearer <token>` unless the route
 *   the router matched is marked open (OPEN_ROUTE). The decision is on the matched route, never on
 *   the URL as sent, and a request that matched nothing (404) needs the token too. The token is
 *   compared in constant time over digests, so neither content nor length leaks through timing.
 */
export async function installSecurity(app: FastifyInstance, config: ResolvedConfig): Promise<void> {
  const { host, token, allowedHosts, allowedOrigins, rateLimitPerMinute } = config.http;
  const hosts = new Set(["localhost", "127.0.0.1", "[::1]", ...allowedHosts.map((h) => h.toLowerCase())]);
  if (!isLoopback(host) && host !== "0.0.0.0" && host !== "::") hosts.add(host.toLowerCase());
  const anyHost = host === "0.0.0.0" || host === "::";
  const origins = new Set(allowedOrigins.map((o) => o.replace(/\/$/, "").toLowerCase()));
  const expected = token ? digest(token) : null;

  app.addHook(
    "onRequest",
    inlineHook((request: FastifyRequest) => {
      const hostHeader = request.headers.host ?? "";
      const name = hostName(hostHeader).toLowerCase();
      // Bound to all interfaces (only allowed with a token), any name reaching us is accepted.
      if (!anyHost && !hosts.has(name) && !isLoopback(name)) {
        throw new ProblemError(403, "CODEXD_HOST_NOT_ALLOWED", "Host not allowed", `Host ${JSON.stringify(hostHeader)} is not this daemon's (add it to CODEXD_ALLOWED_HOSTS)`);
      }
      const origin = request.headers.origin;
      if (origin !== undefined) {
        const own = `http://${hostHeader}`.toLowerCase();
        if (origin.toLowerCase() !== own && !origins.has(origin.replace(/\/$/, "").toLowerCase())) {
          throw new ProblemError(403, "CODEXD_ORIGIN_NOT_ALLOWED", "Origin not allowed", `Origin ${JSON.stringify(origin)} may not call this daemon (add it to CODEXD_ALLOWED_ORIGINS)`);
        }
      }
      if (expected && !isOpenRoute(request.routeOptions.config)) {
        const presented = bearerToken(request.headers.authorization);
        if (!presented || !timingSafeEqual(digest(presented), expected)) {
          throw new ProblemError(401, "CODEXD_UNAUTHORIZED", "Unauthorized", "A valid bearer token is required", {}, { "www-authenticate": 'Bearer realm="codexd"' });
        }
      }
      const targetProblem = requestTargetProblem(request.raw.url ?? "");
      if (targetProblem !== null) throw new ProblemError(400, "CODEXD_BAD_URL", "Malformed URL", `Request target refused: ${targetProblem}`);
    }),
  );

  if (rateLimitPerMinute > 0) {
    // The limit's hook goes only on routes that change things; reads never pay for it.
    app.addHook("onRoute", (route) => {
      if (!routeMethods(route).some((m) => MUTATING.has(m))) route.config = { ...route.config, rateLimit: false };
    });
    await app.register(rateLimit, {
      max: rateLimitPerMinute,
      timeWindow: 60_000,
      store: MonotonicRateStore,
      // Reads are cheap and idempotent; the limit guards the routes that change things.
      allowList: (request) => !MUTATING.has(request.method),
      errorResponseBuilder: (_request, context) =>
        new ProblemError(429, "CODEXD_RATE_LIMITED", "Too many requests", `More than ${context.max} changing requests in ${context.after}; retry later`),
    });
  }
}

/**
 * Every route can answer what the hooks above answer: document it on each route (for the
 * contract and for the serializer) instead of repeating it in every route file.
 */
export function documentSecurityResponses(app: FastifyInstance, problems: (...statuses: number[]) => Record<number, unknown>): void {
  app.addHook("onRoute", (route) => {
    const schema = route.schema as (Record<string, unknown> & { response?: Record<string, unknown> }) | undefined;
    if (!schema || schema.hide) return;
    const methods = routeMethods(route);
    // 400: any request target may be refused as malformed (request-target.ts).
    const statuses = [400, 403];
    const open = isOpenRoute(route.config);
    if (!open) statuses.push(401);
    // Any request may carry a body, whether the route takes one or not: its size, type and JSON are checked.
    if (methods.some((m) => MUTATING.has(m))) statuses.push(413, 415, 429);
    else if (schema.body) statuses.push(413, 415);
    if (route.url.includes(":")) statuses.push(414);
    schema.response = { ...problems(...statuses), ...schema.response };
    // Open routes say so (`security: []`): no requirement is not the same as an undeclared one.
    schema.security = open ? [] : [{ bearerAuth: [] }];
  });
}
