import type { FastifyInstance } from "fastify";
import { ProblemError } from "../errors.js";

/**
 * The one body parser: JSON. An empty body (`Content-Type: application/json` and nothing else,
 * as many clients send on a POST without a payload) is no body, so routes that take none accept
 * it and routes that need one say the body is missing. Malformed JSON names where it broke, and
 * a key that could reach an object's prototype (`__proto__`, `constructor.prototype`) is named
 * and refused instead of being called invalid JSON.
 */
export function installJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === "") return done(null, undefined);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return done(new ProblemError(400, "CODEXD_INVALID_JSON", "Body is not valid JSON", `The body is not valid JSON: ${(error as Error).message}`), undefined);
    }
    const key = forbiddenKey(value);
    if (key !== null) {
      return done(
        new ProblemError(400, "CODEXD_FORBIDDEN_KEY", "Forbidden key in the JSON body", `The body is valid JSON, but its key ${JSON.stringify(key)} is refused: it could change the prototype of the objects it is read into. No field of this API has that name; remove it`, { key }),
        undefined,
      );
    }
    done(null, value);
  });
}

/** `__proto__` anywhere, or a `constructor` object with a `prototype`: the first one found, else null. */
function forbiddenKey(value: unknown): string | null {
  const stack = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== "object") continue;
    if (Object.hasOwn(node, "__proto__")) return "__proto__";
    const ctor = (node as Record<string, unknown>).constructor;
    if (Object.hasOwn(node, "constructor") && ctor !== null && typeof ctor === "object" && Object.hasOwn(ctor, "prototype")) return "constructor";
    for (const child of Object.values(node)) stack.push(child);
  }
  return null;
}
