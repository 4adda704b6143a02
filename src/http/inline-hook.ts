import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";

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
