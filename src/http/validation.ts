import { Ajv, type ErrorObject } from "ajv";
import formatsModule from "ajv-formats";
import type { FastifyInstance } from "fastify";
import type { TSchema } from "@sinclair/typebox";
import { problems } from "../../schemas/common.js";

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((formatsModule as unknown as { default?: AddFormats }).default ?? (formatsModule as unknown as AddFormats)) as AddFormats;

function makeAjv(coerceTypes: false | "array", shared: readonly TSchema[]): Ajv {
  const ajv = new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, coerceTypes, strict: false });
  addFormats(ajv);
  for (const schema of shared) ajv.addSchema(schema);
  return ajv;
}

type Schema = Record<string, unknown>;

/** Decimal digits only: Ajv's coercion would also take `0x10`, `1e1`, ` 5` or `5.0` for a number. */
const DECIMAL_INTEGER = /^-?(0|[1-9][0-9]*)$/;
const DECIMAL_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** The numeric type a property's schema takes ("integer" wins over "number"), following $refs and unions. */
function numericType(schema: Schema | undefined, shared: ReadonlyMap<string, Schema>, depth = 0): "integer" | "number" | null {
  if (!schema || depth > 8) return null;
  if (typeof schema.$ref === "string") return numericType(shared.get(schema.$ref), shared, depth + 1);
  const types = ([] as unknown[]).concat(schema.type ?? []);
  if (types.includes("integer")) return "integer";
  if (types.includes("number")) return "number";
  for (const branch of [...((schema.anyOf as Schema[]) ?? []), ...((schema.oneOf as Schema[]) ?? [])]) {
    const found = numericType(branch, shared, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * Numbers in a query string or path are written in decimal: anything else is an error naming
 * the value, before Ajv's coercion (which goes by JavaScript's Number()) can read it as another
 * number.
 */
function decimalOnly(schema: Schema, shared: ReadonlyMap<string, Schema>): (data: unknown) => ErrorObject[] {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const numeric = Object.entries(properties)
    .map(([name, property]) => [name, numericType(property, shared)] as const)
    .filter((entry): entry is readonly [string, "integer" | "number"] => entry[1] !== null);
  if (numeric.length === 0) return () => [];
  return (data) => {
    const errors: ErrorObject[] = [];
    if (data === null || typeof data !== "object") return errors;
    for (const [name, type] of numeric) {
      const raw = (data as Record<string, unknown>)[name];
      for (const value of Array.isArray(raw) ? raw : [raw]) {
        if (typeof value !== "string") continue;
        if (!(type === "integer" ? DECIMAL_INTEGER : DECIMAL_NUMBER).test(value)) {
          errors.push({
            keyword: "type",
            instancePath: `/${name}`,
            schemaPath: `#/properties/${name}/type`,
            params: { type },
            message: `must be ${type === "integer" ? "a decimal integer" : "a decimal number"} (got ${JSON.stringify(value)})`,
          });
        }
      }
    }
    return errors;
  };
}

/**
 * Query strings, path parameters and headers arrive as text, so their numbers and booleans are
 * coerced (decimal numbers only); a JSON body is already typed, so `{"cwd": 42}` is an error
 * there, not "42".
 */
export function installValidators(app: FastifyInstance, shared: readonly TSchema[]): void {
  const strict = makeAjv(false, shared);
  const coercing = makeAjv("array", shared);
  const byId = new Map(shared.filter((s) => typeof s.$id === "string").map((s) => [s.$id as string, s as unknown as Schema]));
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart === "body") return strict.compile(schema);
    const validate = coercing.compile(schema);
    if (httpPart !== "querystring" && httpPart !== "params") return validate;
    const checkDecimal = decimalOnly(schema as Schema, byId);
    const checked = (data: unknown) => {
      const errors = checkDecimal(data);
      if (errors.length > 0) {
        checked.errors = errors;
        return false;
      }
      const ok = validate(data);
      checked.errors = validate.errors ?? null;
      return ok;
    };
    checked.errors = null as ErrorObject[] | null;
    return checked;
  });
  rejectUnknownQueryParameters(app);
}

/**
 * One rule for query parameters: every operation rejects one it does not define (400 naming
 * it), the ones without parameters included, so a misspelt `limt=5` is never silently ignored.
 */
function rejectUnknownQueryParameters(app: FastifyInstance): void {
  app.addHook("onRoute", (route) => {
    const schema = route.schema as (Schema & { querystring?: Schema }) | undefined;
    if (!schema || schema.hide) return;
    schema.querystring = schema.querystring ? { ...schema.querystring, additionalProperties: false } : { type: "object", properties: {}, additionalProperties: false };
    // So every operation can answer 400, and says so.
    schema.response = { ...problems(400), ...(schema.response as Schema | undefined) };
  });
}
