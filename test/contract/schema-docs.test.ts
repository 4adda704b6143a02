/**
 * openapi.yaml is read by people (GET /docs): every schema property and every parameter says what
 * it means, and every request body and JSON answer of the API's operations shows an example that
 * conforms to its schema. The examples are bodies captured from a real daemon (schemas/examples.ts,
 * kept real by test/contract/api-examples.test.ts).
 */
import { describe, expect, it } from "vitest";
import { OpenApiContract } from "./openapi-contract.js";

type Json = Record<string, unknown>;
const contract = OpenApiContract.load();
const doc = contract.doc;
const components = doc.components.schemas;

/** Operations whose answer is not an API resource: the contract itself. */
const NO_EXAMPLE_NEEDED = new Set(["getOpenApiJson"]);

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const componentOf = (ref: unknown) => (typeof ref === "string" ? components[ref.replace("#/components/schemas/", "")] : undefined);

/** Every property of every schema object in the document, with where it is. */
function properties(): { where: string; schema: Json }[] {
  const out: { where: string; schema: Json }[] = [];
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${where}/${i}`));
    if (!isObject(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "example" || key === "examples") continue;
      if (key === "properties" && isObject(value)) {
        for (const [name, schema] of Object.entries(value)) {
          out.push({ where: `${where}/properties/${name}`, schema: isObject(schema) ? schema : {} });
          walk(schema, `${where}/properties/${name}`);
        }
      } else walk(value, `${where}/${key}`);
    }
  };
  walk(doc.components, "#/components");
  walk(doc.paths, "#/paths");
  return out;
}

/** A property is described by its own description, or (a bare $ref) by the component's. */
const described = (schema: Json) =>
  typeof schema.description === "string" && schema.description.trim() !== ""
    ? true
    : typeof componentOf(schema.$ref)?.description === "string";

interface Media {
  where: string;
  schema: unknown;
  example: unknown;
  has: boolean;
}

/** The request bodies and 2xx JSON answers of the API's operations. */
function mainMedia(): Media[] {
  const out: Media[] = [];
  for (const op of contract.operations()) {
    if (NO_EXAMPLE_NEEDED.has(op.operationId)) continue;
    const bodies: [string, Json | undefined][] = [[`${op.operationId} request body`, (op.requestBody?.content as Json | undefined)?.["application/json"] as Json | undefined]];
    for (const [status, response] of Object.entries((op.op.responses as Record<string, Json>) ?? {})) {
      if (status.startsWith("2")) bodies.push([`${op.operationId} ${status}`, (response.content as Json | undefined)?.["application/json"] as Json | undefined]);
    }
    for (const [where, media] of bodies) {
      if (!media) continue;
      const has = "example" in media || isObject(media.examples);
      const example = "example" in media ? media.example : isObject(media.examples) ? (Object.values(media.examples)[0] as Json | undefined)?.value : undefined;
      out.push({ where, schema: media.schema, example, has });
    }
  }
  return out;
}

describe("openapi.yaml as documentation", () => {
  it("describes every schema property", () => {
    const all = properties();
    expect(all.length).toBeGreaterThan(300);
    const missing = all.filter((p) => !described(p.schema)).map((p) => p.where);
    expect(missing, `${missing.length} of ${all.length} properties have no description`).toEqual([]);
  });

  it("describes every parameter", () => {
    const missing = contract
      .operations()
      .flatMap((op) => [...op.queryParams, ...op.headerParams, ...(((op.op.parameters as Json[] | undefined) ?? []).filter((p) => p.in === "path"))].map((p) => ({ op, p })))
      .filter(({ p }) => typeof p.description !== "string" || p.description.trim() === "")
      .map(({ op, p }) => `${op.operationId} ${String(p.in)} ${String(p.name)}`);
    expect(missing).toEqual([]);
  });

  it("shows an example of every request body and JSON answer of the API", () => {
    const media = mainMedia();
    expect(media.length).toBeGreaterThanOrEqual(30);
    expect(media.filter((m) => !m.has).map((m) => m.where)).toEqual([]);
  });

  it("shows examples that conform to their schemas", () => {
    const wrong = mainMedia()
      .filter((m) => m.has)
      .map((m) => [m.where, contract.validateSchema(m.where, m.schema, m.example)] as const)
      .filter(([, errors]) => errors.length > 0);
    expect(wrong).toEqual([]);
    // and the check can fail: a run whose status is not one of the run statuses
    const created = mainMedia().find((m) => m.where === "createRun 202")!;
    expect(contract.validateSchema("negative control", created.schema, { ...(created.example as Json), status: "exploded" })[0]).toMatch(/\/status must be one of "queued"/);
  });
});
