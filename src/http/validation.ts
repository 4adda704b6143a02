import { Ajv } from "ajv";
import formatsModule from "ajv-formats";
import type { FastifyInstance } from "fastify";
import type { TSchema } from "@sinclair/typebox";

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((formatsModule as unknown as { default?: AddFormats }).default ?? (formatsModule as unknown as AddFormats)) as AddFormats;

function makeAjv(coerceTypes: false | "array", shared: readonly TSchema[]): Ajv {
  const ajv = new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, coerceTypes, strict: false });
  addFormats(ajv);
  for (const schema of shared) ajv.addSchema(schema);
  return ajv;
}

/**
 * Query strings, path parameters and headers arrive as text, so their numbers and booleans are
 * coerced; a JSON body is already typed, so `{"cwd": 42}` is an error there, not "42".
 */
export function installValidators(app: FastifyInstance, shared: readonly TSchema[]): void {
  const strict = makeAjv(false, shared);
  const coercing = makeAjv("array", shared);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === "body" ? strict : coercing).compile(schema));
}
