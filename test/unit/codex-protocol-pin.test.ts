/**
 * The pinned Codex CLI still speaks everything codexd relies on: the JSON schema of its
 * app-server protocol is generated here, at test time, by the CLI in node_modules
 * (`codex app-server generate-json-schema`), and every method and field listed in
 * src/codex/protocol-usage.ts must exist in it. A bump of @openai/codex that drops or renames one
 * fails here, naming what is gone.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXPERIMENTAL_FIELDS, NOTIFICATIONS_READ, NOTIFICATIONS_SENT, REQUESTS_SENT, SERVER_REQUESTS_READ } from "../../src/codex/protocol-usage.js";

const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const codexBin = join(repoRoot, "node_modules", "@openai", "codex", "bin", "codex.js");

type Schema = Record<string, unknown>;
let dir: string;
let stable: Schema;
let experimental: Schema;
let root: Schema;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "codexd-protocol-"));
  const generate = async (name: string, extra: string[]): Promise<Schema> => {
    const out = join(dir, name);
    await promisify(execFile)(process.execPath, [codexBin, "app-server", "generate-json-schema", ...extra, "--out", out], { timeout: 60_000 });
    return JSON.parse(await readFile(join(out, "codex_app_server_protocol.schemas.json"), "utf8")) as Schema;
  };
  stable = await generate("stable", []);
  experimental = await generate("experimental", ["--experimental"]);
  root = stable;
}, 90_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const definitions = (): Schema => root.definitions as Schema;

function byPointer(ref: string): Schema {
  if (!ref.startsWith("#/")) throw new Error(`external $ref ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) node = (node as Schema)[part];
  if (!node) throw new Error(`dangling $ref ${ref}`);
  return node as Schema;
}

/** A named type: top-level or in the v2 namespace. */
function named(name: string): Schema | undefined {
  const defs = definitions();
  return (defs[name] as Schema | undefined) ?? ((defs.v2 as Schema)[name] as Schema | undefined);
}

/** The method -> params schema table of a union such as ClientRequest or ServerNotification. */
function methods(unionName: string): Map<string, Schema | null> {
  const out = new Map<string, Schema | null>();
  for (const branch of (named(unionName)!.oneOf ?? []) as Schema[]) {
    const props = branch.properties as Record<string, Schema>;
    const method = (props.method!.enum as string[])[0]!;
    out.set(method, props.params ?? null);
  }
  return out;
}

/** Does `path` (dotted, through arrays and unions) exist in `schema`? */
function hasPath(schema: Schema, path: string[], seen = 0): boolean {
  if (seen > 50) return false;
  if (path.length === 0) return true;
  if (typeof schema.$ref === "string") return hasPath(byPointer(schema.$ref), path, seen + 1);
  for (const key of ["allOf", "anyOf", "oneOf"] as const) {
    const branches = schema[key] as Schema[] | undefined;
    if (branches?.some((b) => hasPath(b, path, seen + 1))) return true;
  }
  if (schema.items && typeof schema.items === "object") return hasPath(schema.items as Schema, path, seen + 1);
  const props = schema.properties as Record<string, Schema> | undefined;
  const [head, ...rest] = path;
  const next = props?.[head!];
  return next !== undefined && hasPath(next, rest, seen + 1);
}

describe("the pinned Codex CLI's app-server protocol has everything codexd uses", () => {
  it("requests codexd sends exist, with the params it fills in and the result fields it reads", () => {
    const requests = methods("ClientRequest");
    const missing: string[] = [];
    for (const [method, usage] of Object.entries(REQUESTS_SENT)) {
      if (!requests.has(method)) {
        missing.push(`request ${method}`);
        continue;
      }
      const params = requests.get(method);
      for (const field of usage.params) if (!params || !hasPath(params, field.split("."))) missing.push(`${method} param ${field}`);
      const response = named(usage.response);
      if (!response) missing.push(`${method} response type ${usage.response}`);
      else for (const field of usage.reads) if (!hasPath(response, field.split("."))) missing.push(`${method} result field ${field}`);
    }
    expect(missing).toEqual([]);
  });

  it("notifications codexd sends and reads exist, with the fields it reads", () => {
    const sent = methods("ClientNotification");
    const read = methods("ServerNotification");
    const missing: string[] = NOTIFICATIONS_SENT.filter((m) => !sent.has(m)).map((m) => `client notification ${m}`);
    for (const [method, fields] of Object.entries(NOTIFICATIONS_READ)) {
      const params = read.get(method);
      if (params === undefined) missing.push(`notification ${method}`);
      else for (const field of fields) if (!params || !hasPath(params, field.split("."))) missing.push(`${method} field ${field}`);
    }
    expect(missing).toEqual([]);
  });

  it("server requests codexd answers exist, with the fields it reads (experimental ones in the experimental schema)", () => {
    const check = (experimentalOnly: boolean): string[] => {
      root = experimentalOnly ? experimental : stable;
      const requests = methods("ServerRequest");
      const missing: string[] = [];
      for (const [method, fields] of Object.entries(SERVER_REQUESTS_READ)) {
        const params = requests.get(method);
        if (params === undefined) missing.push(`server request ${method}`);
        for (const field of fields) {
          if (EXPERIMENTAL_FIELDS.has(`${method} ${field}`) !== experimentalOnly) continue;
          if (!params || !hasPath(params, field.split("."))) missing.push(`${method} field ${field}`);
        }
      }
      return missing;
    };
    try {
      expect(check(false)).toEqual([]);
      expect(check(true)).toEqual([]);
    } finally {
      root = stable;
    }
  });

  it("the check itself finds what is not there", () => {
    expect(methods("ClientRequest").has("thread/start")).toBe(true);
    expect(methods("ClientRequest").has("thread/doesNotExist")).toBe(false);
    const start = methods("ClientRequest").get("thread/start")!;
    expect(hasPath(start, ["cwd"])).toBe(true);
    expect(hasPath(start, ["noSuchParam"])).toBe(false);
    expect(hasPath(named("ThreadReadResponse")!, ["thread", "turns", "status"])).toBe(true);
    expect(hasPath(named("ThreadReadResponse")!, ["thread", "turns", "noSuchField"])).toBe(false);
  });
});
