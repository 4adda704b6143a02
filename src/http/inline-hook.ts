import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from "fastify";

/**
 * A step run on every request as a callback hook: Fastify waits for an async hook's promise,
 * one more turn of the microtask queue per hook and request, which on small answers costs as
 * much as the step. A step throws to fail the request: Fastify's hook runners catch a throw
 * and answer it as they would a rejected promise.
 */
export function inlineHook(step: (request: FastifyRequest, reply: FastifyReply) => void): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  return (request, reply, done) => {
    step(request, reply);
    done();
  };
}

/** The same for onSend: the payload goes on as it is. */
export function inlineSendHook(step: (request: FastifyRequest, reply: FastifyReply) => void): (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void) => void {
  return (request, reply, payload, done) => {
    step(request, reply);
    done(null, payload);
  };
}

/** Methods whose requests Fastify never reads a body for. */
const BODYLESS = new Set(["GET", "HEAD", "TRACE"]);

/** A route's methods as a list (a route may be declared with one or several). */
export function routeMethods(route: Pick<RouteOptions, "method">): readonly string[] {
  return Array.isArray(route.method) ? route.method : [route.method];
}

/** Whether a request of this route can carry a body that Fastify parses. */
export function routeReadsBody(route: Pick<RouteOptions, "method">): boolean {
  return routeMethods(route).some((m) => !BODYLESS.has(m));
}

type RouteHookName = "onRequest" | "preValidation" | "preHandler";

/**
 * Add a hook to one route (from an onRoute hook), after the route's own: a step that only some
 * routes need then costs nothing on the others, which the hot reads are.
 */
export function addRouteHook(route: RouteOptions, name: RouteHookName, hook: (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void): void {
  const current = route[name] as unknown;
  const list = current === undefined ? [] : Array.isArray(current) ? current : [current];
  (route as unknown as Record<RouteHookName, unknown[]>)[name] = [...list, hook];
}
