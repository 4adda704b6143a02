import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ResolvedConfig } from "../../schemas/config.js";
import { ProblemError } from "../errors.js";
import { addRouteHook, inlineHook, routeMethods } from "./inline-hook.js";

type Limits = ResolvedConfig["limits"];
type Body = Record<string, unknown>;

/** One field a request may carry, how big it is, and which limit holds it. */
interface FieldRule {
  field: string;
  setting: keyof Limits;
  env: string;
  size: (body: Body) => number | null;
}

const textBytes = (v: unknown) => (typeof v === "string" ? Buffer.byteLength(v, "utf8") : null);
/** Exact UTF-8 bytes of a value's JSON text (the store's `jsonBytes` estimates; a client's limit must not). */
const exactJsonBytes = (v: unknown) => (v === undefined || v === null ? null : Buffer.byteLength(JSON.stringify(v), "utf8"));
/** A turn's input is a string or a list of text parts: the parts count together. */
const inputBytes = (v: unknown) => (Array.isArray(v) ? v.reduce((n: number, part) => n + (textBytes((part as Body | null)?.text) ?? 0), 0) : textBytes(v));

const PROMPT = { setting: "promptBytes", env: "CODEXD_PROMPT_LIMIT_BYTES" } as const;
const METADATA = { setting: "metadataBytes", env: "CODEXD_METADATA_LIMIT_BYTES" } as const;

/** The byte limits of each route's body fields, by method and route path. */
const RULES: Record<string, readonly FieldRule[]> = {
  "POST /v1/runs": [
    { field: "prompt", ...PROMPT, size: (b) => textBytes(b.prompt) },
    { field: "metadata", ...METADATA, size: (b) => exactJsonBytes(b.metadata) },
  ],
  "POST /v1/sessions/:id/turns": [{ field: "input", ...PROMPT, size: (b) => inputBytes(b.input) }],
  "POST /v1/sessions": [
    { field: "baseInstructions", ...PROMPT, size: (b) => textBytes(b.baseInstructions) },
    { field: "developerInstructions", ...PROMPT, size: (b) => textBytes(b.developerInstructions) },
    { field: "metadata", ...METADATA, size: (b) => exactJsonBytes(b.metadata) },
  ],
};

/** 413 naming the field, its size and the limit (and the setting that raises it); nothing is changed. */
export function payloadTooLarge(field: string, sizeBytes: number, limitBytes: number, setting: string, env: string): ProblemError {
  return new ProblemError(
    413,
    "CODEXD_PAYLOAD_TOO_LARGE",
    "A field of the request is too large",
    `${field} is ${sizeBytes} bytes; at most ${limitBytes} are accepted (limits.${setting}, ${env})`,
    { field, sizeBytes, limitBytes },
  );
}

/** The first field of the request over its limit, as a problem; null when all fit. */
export function checkPayload(request: Pick<FastifyRequest, "method" | "body" | "routeOptions">, limits: Limits): ProblemError | null {
  const rules = RULES[`${request.method} ${request.routeOptions.url ?? ""}`];
  if (!rules || typeof request.body !== "object" || request.body === null) return null;
  for (const rule of rules) {
    const size = rule.size(request.body as Body);
    const limit = limits[rule.setting];
    if (size !== null && size > limit) return payloadTooLarge(rule.field, size, limit, rule.setting, rule.env);
  }
  return null;
}

/**
 * Byte limits per field, checked after validation and before the handler: the body limit bounds
 * a request as a whole, these bound what would be kept (prompts, metadata) so stored state stays
 * small. A request over a limit changes nothing. Only the routes with rules get the check.
 */
export function installPayloadLimits(app: FastifyInstance, limits: Limits): void {
  const check = inlineHook((request) => {
    const problem = checkPayload(request, limits);
    if (problem) throw problem;
  });
  app.addHook("onRoute", (route) => {
    if (routeMethods(route).some((m) => RULES[`${m} ${route.url}`] !== undefined)) addRouteHook(route, "preHandler", check);
  });
}
