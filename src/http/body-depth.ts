import type { FastifyInstance } from "fastify";
import { ProblemError } from "../errors.js";
import { addRouteHook, inlineHook, routeReadsBody } from "./inline-hook.js";

/** Deeper than any request of this API needs; deep enough values could exhaust a recursive serializer. */
export const MAX_BODY_DEPTH = 64;

/** How deep a parsed JSON value nests (iterative: the value itself may be very deep). */
export function depthOf(value: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== "object") continue;
    max = Math.max(max, depth);
    if (max > limit) return max;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return max;
}

/**
 * A body nested deeper than MAX_BODY_DEPTH is a 400 before validation ever sees it. Only routes
 * whose requests have their body read get the check (a GET's body is never parsed).
 */
export function limitBodyDepth(app: FastifyInstance): void {
  const check = inlineHook((request) => {
    if (request.body !== undefined && depthOf(request.body, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
      throw new ProblemError(400, "CODEXD_BODY_TOO_DEEP", "Body nested too deep", `JSON bodies may nest at most ${MAX_BODY_DEPTH} levels`);
    }
  });
  app.addHook("onRoute", (route) => {
    if (routeReadsBody(route)) addRouteHook(route, "preValidation", check);
  });
}
