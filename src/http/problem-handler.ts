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
    const errors = summarizeValidation(fe.validation, fe.validationContext ?? "request");
    return {
      type: PROBLEM_TYPE_BASE + "codexd_validation_failed",
      title: "Request validation failed",
      status: 400,
      code: "CODEXD_VALIDATION_FAILED",
      // One sentence per offending value, naming it: Ajv's own message repeats a failed union once per branch.
      detail: errors.map((e) => `${e.path === "/" ? (LOCATION_WORDS[e.location] ?? e.location) : nameOf(e.path)} ${e.message}`).join("; "),
      ...base,
      errors,
    };
  }
  if (fe.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
    const sent = request.headers["content-type"];
    return {
      type: PROBLEM_TYPE_BASE + "codexd_unsupported_media_type",
      title: "Unsupported media type",
      status: 415,
      code: "CODEXD_UNSUPPORTED_MEDIA_TYPE",
      detail: `Bodies are JSON: send them with Content-Type: application/json (this request said ${sent === undefined ? "nothing" : JSON.stringify(sent)}; curl -d sends application/x-www-form-urlencoded unless told otherwise with -H 'content-type: application/json')`,
      ...base,
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
    const allowed = group.filter((v) => v.keyword === "const").map((v) => String(v.params.allowedValue));
    const enumerated = group.find((v) => v.keyword === "enum")?.params.allowedValues as unknown[] | undefined;
    const messages = [...new Set(group.filter((v) => v.keyword !== "anyOf" && v.keyword !== "const" && v.keyword !== "enum").map((v) => describeValidation(v, location)))];
    const oneOf = allowed.length > 1 ? allowed : enumerated?.map(String);
    const message = oneOf ? `must be one of ${oneOf.join(", ")}` : messages.join("; ") || describeValidation(group[0]!, location);
    return { location, path, message };
  });
}

const LOCATION_WORDS: Record<string, string> = { querystring: "the query", params: "the path", headers: "the headers", body: "the body" };

/** "/status" -> "status", "/input/0/text" -> "input/0/text": how a person names the value. */
const nameOf = (path: string) => path.replace(/^\//, "");

function describeValidation(v: { keyword: string; message?: string; params: Record<string, unknown> }, location: string): string {
  if (v.keyword === "additionalProperties") {
    return `${location === "querystring" ? "has an unknown parameter" : "has an unknown property"} ${JSON.stringify(v.params.additionalProperty)}`;
  }
  if (v.keyword === "required") return `is missing ${location === "querystring" ? "the required parameter" : "the required property"} ${JSON.stringify(v.params.missingProperty)}`;
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
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0]!;
    // A known path asked with another method: say which methods it has (RFC 9110 15.5.6).
    const allow = allowedMethods(app, path);
    if (allow.length > 0) {
      reply.header("allow", allow.join(", "));
      if (request.method === "OPTIONS") return reply.code(204).send();
      return sendProblem(reply, {
        type: PROBLEM_TYPE_BASE + "codexd_method_not_allowed",
        title: "Method not allowed",
        status: 405,
        code: "CODEXD_METHOD_NOT_ALLOWED",
        detail: `${path} answers ${allow.join(", ")}, not ${request.method}`,
        instance: request.url,
        allow,
      });
    }
    return sendProblem(reply, routeNotFound(request));
  });
}

export function routeNotFound(request: FastifyRequest): Problem {
  return {
    type: PROBLEM_TYPE_BASE + "codexd_route_not_found",
    title: "Not found",
    status: 404,
    code: "CODEXD_ROUTE_NOT_FOUND",
    detail: `No route ${request.method} ${request.url.split("?")[0]}`,
    instance: request.url,
  };
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;

/** The methods some route answers at `path` (OPTIONS too, when there is any); none for an unknown path. */
function allowedMethods(app: FastifyInstance, path: string): string[] {
  const found = METHODS.filter((method) => {
    const route = app.findRoute({ method, url: path });
    // An empty parameter ("/v1/runs/") names no resource: that path is unknown (see request-shape.ts).
    return route !== null && Object.values(route.params ?? {}).every((value) => value !== "");
  });
  return found.length > 0 ? [...found, "OPTIONS"] : [];
}

const CLIENT_ERRORS: Record<string, { status: number; code: `CODEXD_${string}`; title: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: "CODEXD_HEADERS_TOO_LARGE",
    title: "Request header fields too large",
    detail: "The request line and headers together exceed the server's limit (16 KiB): shorten the URL or the headers",
  },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: "CODEXD_REQUEST_TIMEOUT", title: "Request timeout", detail: "The request was not received in full in time" },
  ERR_HTTP_HEADERS_TIMEOUT: { status: 408, code: "CODEXD_REQUEST_TIMEOUT", title: "Request timeout", detail: "The request headers were not received in full in time" },
};

/**
 * Errors Node's HTTP parser raises before there is a request to route (an over-long request
 * line or header, a malformed request line): answered as problem+json too, then the connection
 * is closed, since the parser cannot find where the next request would start.
 */
export function clientErrorProblem(error: Error & { code?: string }, socket: import("node:stream").Duplex): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const known = error.code ? CLIENT_ERRORS[error.code] : undefined;
  const { status, code, title, detail } = known ?? {
    status: 400,
    code: "CODEXD_MALFORMED_REQUEST" as const,
    title: "Malformed request",
    detail: `The request is not valid HTTP/1.1 (${error.code ?? "parse error"}): check the request line (METHOD /path HTTP/1.1) and the header syntax`,
  };
  const body = JSON.stringify({ type: PROBLEM_TYPE_BASE + code.toLowerCase(), title, status, code, detail });
  const response = `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  // Ended, not destroyed at once: the answer reaches the client before the connection closes.
  if (socket.writable) socket.end(response, () => socket.destroy());
  else socket.destroy();
}
