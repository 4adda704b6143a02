import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Problem } from "../../schemas/common.js";
import { ProblemError } from "../errors.js";

const PROBLEM_TYPE_BASE = "https://codexd.dev/problems/";

/** Fastify's own client errors, by their code, with the code we publish for each. */
const FASTIFY_CODES: Record<string, { status: number; code: string; title: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: "CODEXD_PAYLOAD_TOO_LARGE", title: "Request body too large" },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: "CODEXD_UNSUPPORTED_MEDIA_TYPE", title: "Unsupported media type" },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: "CODEXD_INVALID_BODY", title: "Invalid Content-Length" },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: "CODEXD_INVALID_BODY", title: "Empty JSON body" },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: "CODEXD_INVALID_JSON", title: "Body is not valid JSON" },
  FST_ERR_BAD_URL: { status: 400, code: "CODEXD_BAD_URL", title: "Malformed URL" },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: "CODEXD_BAD_REQUEST", title: "Bad request" },
};

function problemFor(error: FastifyError | ProblemError | Error, request: FastifyRequest): Problem {
  const base = { instance: request.url };
  if (error instanceof ProblemError) {
    return { type: PROBLEM_TYPE_BASE + error.code.toLowerCase(), title: error.title, status: error.status, code: error.code, detail: error.message, ...base, ...error.extra };
  }
  const fe = error as FastifyError;
  if (fe.validation) {
    return {
      type: PROBLEM_TYPE_BASE + "codexd_validation_failed",
      title: "Request validation failed",
      status: 400,
      code: "CODEXD_VALIDATION_FAILED",
      detail: fe.message,
      ...base,
      errors: summarizeValidation(fe.validation, fe.validationContext ?? "request"),
    };
  }
  const known = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) return { type: PROBLEM_TYPE_BASE + known.code.toLowerCase(), title: known.title, status: known.status, code: known.code, detail: fe.message, ...base };
  if (fe instanceof SyntaxError || (fe.statusCode === 400 && fe.message.includes("JSON"))) {
    return { type: PROBLEM_TYPE_BASE + "codexd_invalid_json", title: "Body is not valid JSON", status: 400, code: "CODEXD_INVALID_JSON", detail: fe.message, ...base };
  }
  if (fe.statusCode === 414) {
    return { type: PROBLEM_TYPE_BASE + "codexd_uri_too_long", title: "URI too long", status: 414, code: "CODEXD_URI_TOO_LONG", detail: "A path parameter is too long", ...base };
  }
  if (fe.statusCode === 429) {
    return { type: PROBLEM_TYPE_BASE + "codexd_rate_limited", title: "Too many requests", status: 429, code: "CODEXD_RATE_LIMITED", detail: fe.message, ...base };
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { type: PROBLEM_TYPE_BASE + "codexd_bad_request", title: "Bad request", status: fe.statusCode, code: "CODEXD_BAD_REQUEST", detail: fe.message, ...base };
  }
  return { type: PROBLEM_TYPE_BASE + "codexd_internal", title: "Internal error", status: 500, code: "CODEXD_INTERNAL", detail: "An internal error occurred; see the daemon log", ...base };
}

type ValidationItem = { keyword: string; instancePath: string; message?: string; params: Record<string, unknown> };

/**
 * One entry per offending value: Ajv reports a value that fails a union of constants once per
 * constant plus once for the union; say instead which values are allowed.
 */
function summarizeValidation(items: readonly ValidationItem[], location: string) {
  const byPath = new Map<string, ValidationItem[]>();
  for (const item of items) {
    const path = item.instancePath || "/";
    byPath.set(path, [...(byPath.get(path) ?? []), item]);
  }
  return [...byPath].map(([path, group]) => {
    const allowed = group.filter((v) => v.keyword === "const").map((v) => JSON.stringify(v.params.allowedValue));
    const message = allowed.length > 1 ? `must be one of ${allowed.join(", ")}` : group.filter((v) => v.keyword !== "anyOf").map(describeValidation).join("; ") || describeValidation(group[0]!);
    return { location, path, message };
  });
}

function describeValidation(v: { keyword: string; message?: string; params: Record<string, unknown> }): string {
  if (v.keyword === "additionalProperties") return `unknown property ${JSON.stringify(v.params.additionalProperty)}`;
  if (v.keyword === "required") return `missing required property ${JSON.stringify(v.params.missingProperty)}`;
  return v.message ?? v.keyword;
}

export function sendProblem(reply: FastifyReply, problem: Problem & Record<string, unknown>): FastifyReply {
  return reply.code(problem.status).type("application/problem+json").send(problem);
}

/** One place where every error becomes problem+json; stacks stay in the log. */
/** For errors raised before routing (e.g. a malformed URL): Fastify's `frameworkErrors` option. */
export function frameworkProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendProblem(reply, problemFor(error, request));
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = problemFor(error, request);
    if (error instanceof ProblemError) reply.headers(error.headers);
    if (problem.status >= 500) request.log.error({ err: error }, "request failed");
    else request.log.info({ code: problem.code, detail: problem.detail }, "request rejected");
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      type: PROBLEM_TYPE_BASE + "codexd_route_not_found",
      title: "Not found",
      status: 404,
      code: "CODEXD_ROUTE_NOT_FOUND",
      detail: `No route ${request.method} ${request.url.split("?")[0]}`,
      instance: request.url,
    }),
  );
}
