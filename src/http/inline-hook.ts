import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";

/**
 * A check run on every request as a callback hook: Fastify waits for an async hook's promise,
 * one more turn of the microtask queue per hook and request, which on small answers costs as
 * much as the check. A check throws to refuse the request (the error is answered as usual).
 */
export function inlineHook(check: (request: FastifyRequest, reply: FastifyReply) => void): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  return (request, reply, done) => {
    try {
      check(request, reply);
    } catch (error) {
      done(error as Error);
      return;
    }
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
