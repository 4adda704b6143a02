/**
 * An independent check of HTTP responses against the committed contract (openapi.yaml).
 *
 * Independent on purpose: the schemas are compiled by Ajv (JSON Schema 2020-12, the dialect of
 * OpenAPI 3.1) with ajv-formats, straight from the YAML document, so neither Fastify's
 * serializer nor the TypeBox schemas in schemas/ take part. A response conforms when
 * - its operation is in the document (the route pattern and method, HEAD answered by GET),
 * - its status is one the operation documents,
 * - its content type (the media type without parameters) is one documented for that status,
 * - its body, parsed when the media type is JSON, matches the schema for that status and type.
 * Bodies the daemon streams (SSE, files) are not available: only status and type are checked.
 */
import type { AuditLine } from "../../src/http/response-audit.js";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { parse as parseYaml } from "yaml";

export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const contractPath = join(repoRoot, "openapi.yaml");

type Json = Record<string, unknown>;

/** One response as the daemon's response audit records it. */
export type AuditRecord = AuditLine;

export interface OperationInfo {
  method: string;
  /** OpenAPI path template ("/v1/runs/{id}"). */
  path: string;
  operationId: string;
  op: Json;
  statuses: number[];
  pathParams: string[];
  queryParams: Json[];
  headerParams: Json[];
  requestBody: Json | undefined;
}

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
const REF_PREFIX = "#/components/schemas/";
const COMPONENTS_ID = "https://codexd.invalid/openapi/components.json";

/** Routes that are deliberately not part of the contract (the docs UI's and the console's pages and assets). */
const UNDOCUMENTED_ROUTES = [/^\/docs(\/|$)/, /^\/$/, /^\/console(\/|$)/];

/** "/v1/runs/:id" -> "/v1/runs/{id}" */
export function openApiPath(fastifyRoute: string): string {
  return fastifyRoute.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

/** "Application/JSON; charset=utf-8" -> "application/json" */
export function mediaType(contentType: string | null | undefined): string | null {
  if (!contentType) return null;
  return contentType.split(";")[0]!.trim().toLowerCase() || null;
}

const isJsonMedia = (type: string) => type === "application/json" || type.endsWith("+json");

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== "object" || value === null) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "$ref" && typeof v === "string" && v.startsWith(REF_PREFIX)) out[k] = `${COMPONENTS_ID}#/$defs/${v.slice(REF_PREFIX.length)}`;
    else out[k] = rewriteRefs(v);
  }
  return out;
}

/**
 * Ajv's errors, one line per offending value: a value failing a union of constants is reported
 * by Ajv once per branch plus once for the union; say instead which values are allowed.
 */
export function formatAjvErrors(errors: readonly ErrorObject[] | null | undefined, max = 6): string {
  if (!errors || errors.length === 0) return "(no detail)";
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of errors) byPath.set(e.instancePath || "/", [...(byPath.get(e.instancePath || "/") ?? []), e]);
  const lines = [...byPath].map(([path, group]) => {
    const allowed = group.flatMap((e) => (e.keyword === "enum" ? ((e.params as { allowedValues: unknown[] }).allowedValues ?? []) : e.keyword === "const" ? [(e.params as { allowedValue: unknown }).allowedValue] : []));
    const others = group.filter((e) => !["enum", "const", "anyOf", "oneOf"].includes(e.keyword));
    const parts: string[] = [];
    if (allowed.length > 0) parts.push(`must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`);
    for (const e of others) {
      const extra = e.keyword === "additionalProperties" ? ` ${JSON.stringify((e.params as { additionalProperty?: string }).additionalProperty)}` : "";
      parts.push(`${e.message ?? e.keyword}${extra} [${e.schemaPath.replace(COMPONENTS_ID, "")}]`);
    }
    if (parts.length === 0) parts.push(`${group[0]!.message ?? group[0]!.keyword} [${group[0]!.schemaPath.replace(COMPONENTS_ID, "")}]`);
    return `${path} ${parts.join("; ")}`;
  });
  if (lines.length > max) return [...lines.slice(0, max), `... and ${lines.length - max} more`].join(" | ");
  return lines.join(" | ");
}

export class OpenApiContract {
  readonly doc: Json & { paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json> } };
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ops = new Map<string, OperationInfo>();

  constructor(doc: unknown) {
    this.doc = doc as OpenApiContract["doc"];
    if (typeof this.doc?.openapi !== "string" || !this.doc.openapi.startsWith("3.1")) throw new Error("not an OpenAPI 3.1 document");
    // strict: unknown keywords in a schema are an error, so a schema Ajv would silently ignore
    // cannot pass for a check. Union types (type: [..]) are legal 2020-12.
    this.ajv = new Ajv2020({ strict: true, strictTypes: false, allErrors: true, validateFormats: true });
    addFormatsModule.default(this.ajv);
    // OpenAPI annotations that are not JSON Schema keywords but may appear in Schema Objects.
    this.ajv.addVocabulary(["example", "xml", "externalDocs", "discriminator"]);
    this.ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewriteRefs(this.doc.components?.schemas ?? {}) });
    for (const [path, item] of Object.entries(this.doc.paths ?? {})) {
      for (const method of HTTP_METHODS) {
        const op = item[method] as Json | undefined;
        if (!op) continue;
        const params = [...(((item.parameters as Json[] | undefined) ?? [])), ...(((op.parameters as Json[] | undefined) ?? []))];
        const info: OperationInfo = {
          method: method.toUpperCase(),
          path,
          operationId: String(op.operationId ?? `${method} ${path}`),
          op,
          statuses: Object.keys((op.responses as Json | undefined) ?? {}).filter((s) => /^\d{3}$/.test(s)).map(Number),
          pathParams: params.filter((p) => p.in === "path").map((p) => String(p.name)),
          queryParams: params.filter((p) => p.in === "query"),
          headerParams: params.filter((p) => p.in === "header"),
          requestBody: op.requestBody as Json | undefined,
        };
        this.ops.set(`${info.method} ${path}`, info);
      }
    }
  }

  static load(file = contractPath): OpenApiContract {
    return new OpenApiContract(parseYaml(readFileSync(file, "utf8")));
  }

  operations(): OperationInfo[] {
    return [...this.ops.values()];
  }

  operation(method: string, path: string): OperationInfo | undefined {
    const m = method.toUpperCase();
    return this.ops.get(`${m} ${path}`) ?? (m === "HEAD" ? this.ops.get(`GET ${path}`) : undefined);
  }

  /** The compiled validator of a response body (or any schema by a JSON pointer into the document). */
  private validatorFor(key: string, schema: unknown): ValidateFunction {
    let v = this.validators.get(key);
    if (!v) {
      v = this.ajv.compile(rewriteRefs(schema) as Json);
      this.validators.set(key, v);
    }
    return v;
  }

  /** Validate a value against a component schema by name; returns the errors, empty when it conforms. */
  validateComponent(name: string, value: unknown): string[] {
    if (!this.doc.components?.schemas?.[name]) return [`no component schema ${name}`];
    const v = this.validatorFor(`component ${name}`, { $ref: `${REF_PREFIX}${name}` });
    return v(value) ? [] : [formatAjvErrors(v.errors)];
  }

  /** Validate a value against a schema taken from the document (its component refs resolved); the errors, empty when it conforms. */
  validateSchema(key: string, schema: unknown, value: unknown): string[] {
    const v = this.validatorFor(`schema ${key}`, schema);
    return v(value) ? [] : [formatAjvErrors(v.errors)];
  }

  /** Check one recorded response; returns readable problems, empty when it conforms. */
  check(rec: AuditRecord): string[] {
    const problems: string[] = [];
    const method = rec.method.toUpperCase();
    const type = mediaType(rec.contentType);
    const head = method === "HEAD";

    if (rec.route === null) {
      // Rejected before routing (malformed URL, over-long parameter) although the URL has the
      // shape of an operation: judged as that operation's answer.
      const op = this.matchUrl(method, rec.url);
      if (op && problemCode(rec.body) !== "CODEXD_ROUTE_NOT_FOUND") return this.check({ ...rec, route: op.path.replace(/\{(\w+)\}/g, ":$1") });
      // OPTIONS on a known path: 204 with Allow, no body.
      if (method === "OPTIONS" && rec.status === 204) {
        const known = [...this.ops.values()].some((op) => this.matchUrl(op.method, rec.url) === op);
        return known ? (rec.body ? ["OPTIONS answered 204 with a body"] : []) : ["OPTIONS answered 204 on a path the contract does not have"];
      }
      // No route matched (unknown path or method): every such answer is a problem+json of the
      // 4xx family with the Problem component's shape.
      if (rec.status < 400 || rec.status > 499) problems.push(`unrouted request answered ${rec.status}, expected a 4xx problem`);
      if (type !== "application/problem+json") problems.push(`unrouted request answered content type ${JSON.stringify(rec.contentType)}, expected application/problem+json`);
      else if (!head) problems.push(...this.checkJsonBody(rec, "component Problem", { $ref: `${REF_PREFIX}Problem` }));
      return problems;
    }

    if (UNDOCUMENTED_ROUTES.some((re) => re.test(rec.route!))) return [];
    const path = openApiPath(rec.route);
    const op = this.operation(method, path);
    if (!op) return [`${method} ${path} is not an operation of the contract`];

    const responses = (op.op.responses as Record<string, Json>) ?? {};
    const response = responses[String(rec.status)] ?? responses[`${String(rec.status)[0]}XX`] ?? responses.default;
    if (!response) return [`status ${rec.status} is not documented (documented: ${op.statuses.join(", ")})`];

    const content = response.content as Record<string, Json> | undefined;
    if (!content || Object.keys(content).length === 0) {
      if (!head && rec.body) problems.push(`status ${rec.status} documents no content but a body was sent`);
      return problems;
    }
    const media = type ? (content[type] ?? content[`${type.split("/")[0]}/*`] ?? content["*/*"]) : undefined;
    if (!media) {
      return [`content type ${JSON.stringify(rec.contentType)} is not documented for ${rec.status} (documented: ${Object.keys(content).join(", ")})`];
    }
    if (head || rec.bodyKind !== "text" || rec.body === null) return problems;
    const key = `${op.method} ${op.path} ${rec.status} ${type}`;
    if (isJsonMedia(type!)) problems.push(...this.checkJsonBody(rec, key, media.schema));
    else if (media.schema !== undefined) {
      const v = this.validatorFor(key, media.schema);
      if (!v(rec.body)) problems.push(`body does not match the schema: ${formatAjvErrors(v.errors)}`);
    }
    return problems;
  }

  /** The operation whose path template the URL's path has (any non-empty segment fits a parameter). */
  matchUrl(method: string, url: string): OperationInfo | undefined {
    const path = url.split("?")[0]!.split("#")[0]!;
    const segments = path.split("/");
    for (const op of this.ops.values()) {
      if (op.method !== method.toUpperCase() && !(op.method === "GET" && method.toUpperCase() === "HEAD")) continue;
      const template = op.path.split("/");
      if (template.length !== segments.length) continue;
      if (template.every((t, i) => (/^\{\w+\}$/.test(t) ? segments[i]!.length > 0 && segments[i] !== "." && segments[i] !== ".." : t === segments[i]))) return op;
    }
    return undefined;
  }

  private checkJsonBody(rec: AuditRecord, key: string, schema: unknown): string[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rec.body ?? "");
    } catch {
      return [`body is not JSON: ${JSON.stringify((rec.body ?? "").slice(0, 200))}`];
    }
    if (schema === undefined) return [];
    const v = this.validatorFor(key, schema);
    const problems = v(parsed) ? [] : [`body does not match the schema: ${formatAjvErrors(v.errors)}`];
    if (mediaType(rec.contentType) === "application/problem+json") problems.push(...this.undeclaredProblemFields(parsed));
    return problems;
  }

  /**
   * Problem is an open object (RFC 9457 allows extension members), so the schema lets any field
   * through; a generated client sees only the declared ones. Every field sent must be declared.
   */
  private undeclaredProblemFields(body: unknown): string[] {
    if (typeof body !== "object" || body === null || Array.isArray(body)) return [];
    const declared = (this.doc.components?.schemas?.Problem?.properties ?? {}) as Json;
    return Object.keys(body)
      .filter((field) => !Object.hasOwn(declared, field))
      .map((field) => `problem field ${JSON.stringify(field)} is not declared in the Problem schema`);
  }
}

function problemCode(body: string | null): string | undefined {
  try {
    const code = (JSON.parse(body ?? "") as { code?: unknown }).code;
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined;
  }
}

export interface Mismatch {
  where: string;
  problems: string[];
  record: AuditRecord;
}

/** Check many records; equal mismatches (same operation, status and problem) are reported once. */
export function checkAll(contract: OpenApiContract, records: Iterable<AuditRecord>): { checked: number; mismatches: Mismatch[] } {
  let checked = 0;
  const seen = new Map<string, Mismatch & { count: number }>();
  for (const record of records) {
    checked++;
    const problems = contract.check(record);
    if (problems.length === 0) continue;
    const where = `${record.method} ${record.route === null ? "(no route)" : openApiPath(record.route)} -> ${record.status} ${mediaType(record.contentType) ?? "(no content type)"}`;
    const key = `${where} ${problems.join(" | ")}`;
    const known = seen.get(key);
    if (known) known.count++;
    else seen.set(key, { where, problems, record, count: 1 });
  }
  return {
    checked,
    mismatches: [...seen.values()].map(({ count, ...m }) => ({ ...m, where: count > 1 ? `${m.where} (x${count})` : m.where })),
  };
}

export function formatMismatches(mismatches: readonly Mismatch[]): string {
  return mismatches
    .map((m) => {
      const body = m.record.body === null ? `(${m.record.bodyKind})` : m.record.body.length > 400 ? `${m.record.body.slice(0, 400)}...` : m.record.body;
      return `- ${m.where}\n    url: ${m.record.url}\n    ${m.problems.join("\n    ")}\n    body: ${body}`;
    })
    .join("\n");
}
