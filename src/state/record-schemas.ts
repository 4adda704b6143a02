import { Ajv, type ErrorObject } from "ajv";
import formatsModule from "ajv-formats";
import { sharedSchemas, storedOnlySchemas } from "../../schemas/index.js";

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((formatsModule as unknown as { default?: AddFormats }).default ?? (formatsModule as unknown as AddFormats)) as AddFormats;

const ajv = new Ajv({ allErrors: false, strict: false });
addFormats(ajv);
for (const schema of [...sharedSchemas, ...storedOnlySchemas]) ajv.addSchema(schema);

/** The schema ids of what the state files hold. */
export type RecordSchema = "Run" | "Session" | "Turn" | "Event" | "DaemonIdentity" | "DaemonState";

const describe = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? e.keyword}`).join("; ") || "invalid";

/**
 * Why a loaded value does not match its schema, or null when it does. Beyond the schema, an
 * event's seq must be a safe integer: `1e300` is an integer to JSON Schema, but seqs above 2^53
 * stop increasing.
 */
export function invalidReason(schema: RecordSchema, value: unknown): string | null {
  const validate = ajv.getSchema(schema);
  if (!validate) throw new Error(`no schema ${schema}`);
  if (!validate(value)) return describe(validate.errors);
  if (schema === "Event" && !Number.isSafeInteger((value as { seq: number }).seq)) return "/seq is not a safe integer";
  if (schema === "DaemonState") {
    const seq = (value as { lastEventSeq?: unknown }).lastEventSeq;
    if (seq !== undefined && !Number.isSafeInteger(seq)) return "/lastEventSeq is not a safe integer";
  }
  return null;
}

export const isValid =
  <T>(schema: RecordSchema) =>
  (value: unknown): value is T =>
    invalidReason(schema, value) === null;

/** Split a loaded list into the records that match and those that do not (with why). */
export function partition<T>(schema: RecordSchema, items: readonly unknown[]): { good: T[]; bad: { record: unknown; reason: string }[] } {
  const good: T[] = [];
  const bad: { record: unknown; reason: string }[] = [];
  for (const record of items) {
    const reason = invalidReason(schema, record);
    if (reason === null) good.push(record as T);
    else bad.push({ record, reason });
  }
  return { good, bad };
}
