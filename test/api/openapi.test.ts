/**
 * The OpenAPI contract: the committed openapi.yaml is what the code generates, it is a valid
 * OpenAPI 3.1 document, every operation is fully described, and the docs routes serve it.
 *
 * On @apidevtools/swagger-parser and 3.1: validate() checks a 3.1 document against the official
 * 3.1 meta-schema (structure, required fields, unknown keys) and resolves every $ref, but it
 * does NOT validate Schema Objects (the 3.1 meta-schema lets any object through as a schema) and
 * skips its semantic checks (unique operationIds, declared path parameters) for OpenAPI 3.x.
 * The negative controls below pin both what it catches and what it lets through; the gaps are
 * covered by checks in this file.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { sharedSchemas } from "../../schemas/index.js";
import { buildApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { Daemon } from "../../src/daemon.js";
import { repoRoot } from "../helpers/in-process-daemon.js";

type Json = Record<string, unknown>;
type OpenApiDoc = Json & { paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json>; headers: Record<string, Json> } };

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
const JSON_TYPES = new Set(["string", "number", "integer", "boolean", "object", "array", "null"]);

let app: App;
let doc: OpenApiDoc;

beforeAll(async () => {
  // The same construction as `codexd openapi` (src/cli.ts): defaults only, daemon not started.
  const config = loadConfig({ env: {}, flags: {} });
  app = await buildApp(new Daemon(config, pino({ level: "silent" })));
  await app.ready();
  doc = app.swagger() as unknown as OpenApiDoc;
});

afterAll(async () => {
  await app?.close();
});

interface Operation {
  where: string;
  op: Json;
}

function operations(d: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(d.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) out.push({ where: `${method.toUpperCase()} ${path}`, op });
    }
  }
  return out;
}

/** Every Schema Object in the document, with a JSON-pointer-ish location. */
function schemasOf(d: OpenApiDoc): { where: string; schema: unknown }[] {
  const out: { where: string; schema: unknown }[] = [];
  for (const [name, schema] of Object.entries(d.components.schemas)) out.push({ where: `components.schemas.${name}`, schema });
  for (const { where, op } of operations(d)) {
    for (const [i, p] of ((op.parameters as Json[] | undefined) ?? []).entries()) out.push({ where: `${where} parameters[${i}]`, schema: p.schema });
    const body = op.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined;
    for (const [type, media] of Object.entries(body?.content ?? {})) out.push({ where: `${where} requestBody ${type}`, schema: media.schema });
    for (const [status, response] of Object.entries((op.responses as Record<string, { content?: Record<string, { schema?: unknown }> }>) ?? {})) {
      for (const [type, media] of Object.entries(response.content ?? {})) out.push({ where: `${where} ${status} ${type}`, schema: media.schema });
    }
  }
  return out;
}

/**
 * What swagger-parser does not check for 3.1: Schema Objects (recursively), operationId
 * uniqueness, and that templated path parameters are declared. Returns the problems found.
 */
function semanticProblems(d: OpenApiDoc): string[] {
  const problems: string[] = [];
  const components = new Set(Object.keys(d.components?.schemas ?? {}));

  const visit = (schema: unknown, where: string): void => {
    if (typeof schema === "boolean") return;
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
      problems.push(`${where}: a schema must be an object or a boolean`);
      return;
    }
    const s = schema as Json;
    if ("$ref" in s) {
      const ref = s.$ref;
      const name = typeof ref === "string" && ref.startsWith("#/components/schemas/") ? ref.slice("#/components/schemas/".length) : null;
      if (name === null || !components.has(name)) problems.push(`${where}: $ref ${JSON.stringify(ref)} does not name a component schema`);
    }
    if ("type" in s) {
      const types = Array.isArray(s.type) ? s.type : [s.type];
      for (const t of types) if (typeof t !== "string" || !JSON_TYPES.has(t)) problems.push(`${where}: unknown type ${JSON.stringify(t)}`);
    }
    if ("nullable" in s) problems.push(`${where}: "nullable" is OpenAPI 3.0; 3.1 uses type null / anyOf`);
    if ("required" in s) {
      if (!Array.isArray(s.required) || s.required.some((r) => typeof r !== "string")) problems.push(`${where}: required must be an array of strings`);
      else if (isObject(s.properties) && s.additionalProperties === false) {
        for (const r of s.required as string[]) if (!(r in s.properties)) problems.push(`${where}: required ${r} is not a property`);
      }
    }
    if ("enum" in s && (!Array.isArray(s.enum) || s.enum.length === 0)) problems.push(`${where}: enum must be a non-empty array`);
    if ("pattern" in s) {
      try {
        new RegExp(String(s.pattern), "u");
      } catch {
        problems.push(`${where}: pattern ${JSON.stringify(s.pattern)} is not a valid regular expression`);
      }
    }
    for (const key of ["minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"]) {
      if (key in s && typeof s[key] !== "number") problems.push(`${where}: ${key} must be a number`);
    }
    if ("properties" in s) {
      if (!isObject(s.properties)) problems.push(`${where}: properties must be an object`);
      else for (const [k, v] of Object.entries(s.properties)) visit(v, `${where}.properties.${k}`);
    }
    for (const key of ["items", "additionalProperties", "not", "contains", "propertyNames"]) {
      if (key in s && typeof s[key] !== "boolean") visit(s[key], `${where}.${key}`);
    }
    if (isObject(s.patternProperties)) for (const [k, v] of Object.entries(s.patternProperties)) visit(v, `${where}.patternProperties.${k}`);
    for (const key of ["anyOf", "oneOf", "allOf", "prefixItems"]) {
      if (!(key in s)) continue;
      if (!Array.isArray(s[key]) || (s[key] as unknown[]).length === 0) problems.push(`${where}: ${key} must be a non-empty array`);
      else (s[key] as unknown[]).forEach((v, i) => visit(v, `${where}.${key}[${i}]`));
    }
  };
  for (const { where, schema } of schemasOf(d)) {
    if (schema === undefined) problems.push(`${where}: no schema`);
    else visit(schema, where);
  }

  const ids = new Map<string, string>();
  for (const { where, op } of operations(d)) {
    const id = op.operationId;
    if (typeof id !== "string") continue;
    if (ids.has(id)) problems.push(`${where}: operationId ${id} is also used by ${ids.get(id)}`);
    ids.set(id, where);
  }

  for (const [path, item] of Object.entries(d.paths)) {
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const declared = ((op.parameters as Json[] | undefined) ?? []).filter((p) => p.in === "path").map((p) => p.name as string);
      for (const name of templated) if (!declared.includes(name)) problems.push(`${method.toUpperCase()} ${path}: path parameter {${name}} is not declared`);
      for (const name of declared) if (!templated.includes(name)) problems.push(`${method.toUpperCase()} ${path}: path parameter ${name} is not in the path`);
    }
  }
  return problems;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Every $ref string anywhere in the document. */
function allRefs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) allRefs(v, out);
  else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else allRefs(v, out);
    }
  }
  return out;
}

describe("the committed contract", () => {
  it("openapi.yaml equals what the code generates now", async () => {
    const committed = await readFile(join(repoRoot, "openapi.yaml"), "utf8");
    const generated = app.swagger({ yaml: true });
    expect(generated, "openapi.yaml is out of date with the code: run `npm run openapi` and commit the result").toBe(committed);
  });
});

describe("validity", () => {
  it("is OpenAPI 3.1 and passes @apidevtools/swagger-parser validation", async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it("swagger-parser really checks 3.1 structure and $refs (negative controls)", async () => {
    const broken: [string, (d: OpenApiDoc) => void][] = [
      ["a response without description", (d) => void delete (d.paths["/healthz"]!.get!.responses as Record<string, Json>)["200"]!.description],
      ["a dangling $ref", (d) => void ((d.paths["/healthz"]!.get!.responses as Record<string, Json>)["200"]!.content = { "application/json": { schema: { $ref: "#/components/schemas/Nope" } } })],
      ["an unknown operation field", (d) => void (d.paths["/healthz"]!.get!.bogus = 1)],
      ["a path without a leading slash", (d) => void (d.paths["healthz"] = d.paths["/healthz"]!)],
      ["info without version", (d) => void delete (d.info as Json).version],
    ];
    for (const [what, mutate] of broken) {
      const copy = structuredClone(doc);
      mutate(copy);
      await expect(SwaggerParser.validate(copy as never), what).rejects.toThrow();
    }
  });

  it("swagger-parser lets bad Schema Objects and duplicate operationIds through; our checks catch them", async () => {
    const gaps: [string, (d: OpenApiDoc) => void, RegExp][] = [
      ["a misspelt type", (d) => void (d.components.schemas.Liveness!.type = "strnig"), /unknown type "strnig"/],
      ["required that is not an array", (d) => void (d.components.schemas.Liveness!.required = "status"), /required must be an array/],
      ["3.0 nullable", (d) => void (d.components.schemas.Liveness!.nullable = true), /nullable/],
      ["a duplicate operationId", (d) => void (d.paths["/readyz"]!.get!.operationId = d.paths["/healthz"]!.get!.operationId), /operationId getLiveness is also used/],
      ["an undeclared path parameter", (d) => void (d.paths["/v1/things/{id}"] = { get: { responses: { "200": { description: "ok" } } } }), /\{id\} is not declared/],
    ];
    for (const [what, mutate, expected] of gaps) {
      const copy = structuredClone(doc);
      mutate(copy);
      await expect(SwaggerParser.validate(structuredClone(copy) as never), `swagger-parser now rejects ${what}; update the comment at the top`).resolves.toBeTruthy();
      expect(semanticProblems(copy).join("\n"), what).toMatch(expected);
    }
  });

  it("every schema, operationId and path parameter passes the checks swagger-parser skips for 3.1", () => {
    expect(semanticProblems(doc)).toEqual([]);
  });
});

describe("every operation is fully described", () => {
  it("has a unique operationId, a summary and declared tags", () => {
    const declaredTags = new Set(((doc.tags as { name: string }[] | undefined) ?? []).map((t) => t.name));
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(5);
    const seen = new Map<string, string>();
    for (const { where, op } of ops) {
      expect(op.operationId, `${where} operationId`).toMatch(/^[a-z][A-Za-z0-9]*$/);
      const id = op.operationId as string;
      expect(seen.get(id), `${where} reuses operationId ${id}`).toBeUndefined();
      seen.set(id, where);
      expect(op.summary, `${where} summary`).toMatch(/\S/);
      const tags = op.tags as string[] | undefined;
      expect(tags?.length, `${where} tags`).toBeGreaterThan(0);
      for (const tag of tags ?? []) expect(declaredTags.has(tag), `${where} uses undeclared tag ${tag}`).toBe(true);
    }
  });

  it("has a response schema for every status it declares; problems are problem+json", () => {
    for (const { where, op } of operations(doc)) {
      const responses = op.responses as Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
      const statuses = Object.keys(responses);
      expect(statuses.some((s) => s.startsWith("2")), `${where} declares no 2xx response`).toBe(true);
      for (const status of statuses) {
        const response = responses[status]!;
        expect(status, `${where} status key`).toMatch(/^[1-5]\d\d$/);
        expect(response.description, `${where} ${status} description`).toMatch(/\S/);
        const content = Object.entries(response.content ?? {});
        expect(content.length, `${where} ${status} has no content`).toBeGreaterThan(0);
        for (const [type, media] of content) expect(media.schema, `${where} ${status} ${type} has no schema`).toBeDefined();
        if (Number(status) >= 400) {
          expect(Object.keys(response.content ?? {}), `${where} ${status}`).toEqual(["application/problem+json"]);
          expect(response.content!["application/problem+json"]!.schema).toEqual({ $ref: "#/components/schemas/Problem" });
        }
      }
    }
  });

  it("declares 400 wherever it validates a query, body or path parameter", () => {
    for (const { where, op } of operations(doc)) {
      const validates = ((op.parameters as Json[] | undefined) ?? []).length > 0 || op.requestBody !== undefined;
      if (validates) expect(Object.keys(op.responses as Json), where).toContain("400");
    }
  });
});

describe("component names are stable", () => {
  it("are exactly the $ids of the shared schemas, with no generated names", () => {
    const names = Object.keys(doc.components.schemas);
    for (const name of names) {
      expect(name, "generated component name").not.toMatch(/^def-|^Schema\d*$|^schema\d*$/);
      expect(name).toMatch(/^[A-Z][A-Za-z0-9]*$/);
    }
    const ids = sharedSchemas.map((s) => (s as { $id?: string }).$id);
    expect([...names].sort()).toEqual([...ids].sort());
  });

  it("every $ref points at a named component", () => {
    const refs = allRefs(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const [, kind, name] = /^#\/components\/(schemas|headers)\/([A-Z][A-Za-z0-9]*)$/.exec(ref) ?? [];
      expect(kind, ref).toBeDefined();
      expect(doc.components[kind as "schemas" | "headers"], ref).toHaveProperty(name!);
    }
  });

  it("declares x-codexd-store (sent while the state directory cannot be written) on every response of every operation", () => {
    const missing: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) if (!response.headers?.["x-codexd-store"]) missing.push(`${method} ${path} ${status}`);
      }
    }
    expect(missing).toEqual([]);
    expect(doc.components.headers.StoreDegraded?.schema).toEqual({ type: "string", enum: ["degraded"] });
  });
});

describe("docs routes", () => {
  it("/openapi.json and /openapi.yaml serve the same contract as the code", async () => {
    const asJson = await app.inject({ method: "GET", url: "/openapi.json" });
    expect(asJson.statusCode).toBe(200);
    expect(asJson.headers["content-type"]).toMatch(/^application\/json\b/);
    const asYaml = await app.inject({ method: "GET", url: "/openapi.yaml" });
    expect(asYaml.statusCode).toBe(200);
    expect(asYaml.headers["content-type"]).toMatch(/^application\/yaml\b/);
    const fromJson = asJson.json() as unknown;
    expect(fromJson).toEqual(JSON.parse(JSON.stringify(doc)));
    expect(parseYaml(asYaml.body)).toEqual(fromJson);
    expect(asYaml.body).toBe(app.swagger({ yaml: true }));
  });

  it("/docs serves the interactive UI as HTML, and the UI loads this contract", async () => {
    const page = await app.inject({ method: "GET", url: "/docs" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html\b/);
    expect(page.body).toMatch(/<html/i);
    expect(page.body).toMatch(/swagger-ui/i);
    const spec = await app.inject({ method: "GET", url: "/docs/json" });
    expect(spec.statusCode).toBe(200);
    expect(spec.json()).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it("the docs routes are not part of the contract, the contract routes are", () => {
    const paths = Object.keys(doc.paths);
    expect(paths.filter((p) => p.startsWith("/docs"))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(["/healthz", "/readyz", "/v1/status", "/v1/events", "/openapi.json", "/openapi.yaml"]));
  });
});
