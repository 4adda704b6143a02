/**
 * openapi.yaml is read by people (GET /docs): every schema property and every parameter says what
 * it means.
 */
import { describe, expect, it } from "vitest";
import { OpenApiContract } from "./openapi-contract.js";

type Json = Record<string, unknown>;
const contract = OpenApiContract.load();
const doc = contract.doc;
const components = doc.components.schemas;

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
});
