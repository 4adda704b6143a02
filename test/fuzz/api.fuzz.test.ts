/**
 * Fuzzing the REST API (fast-check), in-process (`app.inject`) on a started daemon with the fake
 * app-server as its child.
 *
 * Every operation of openapi.yaml is fuzzed (the list is read from the document, so a new route
 * is fuzzed without touching this file), each as its own property so one failing operation does
 * not hide the others: random and malformed bodies (schema-shaped bodies with one thing wrong,
 * wrong types, unknown properties, huge strings, deep nesting, invalid JSON and raw bytes, odd
 * content types), query strings (unknown and repeated keys, wrong types, odd encodings), path
 * parameters (real ids, unicode, very long, `..`, bad percent-encoding), headers (garbage
 * Authorization, Host, Origin, Last-Event-ID, Idempotency-Key, Content-Length mismatches) and
 * now and then another method.
 *
 * Properties of every response:
 * - never 5xx;
 * - it conforms to the contract: the status is documented for the operation the request was
 *   routed to (unrouted: a 4xx problem), the content type too, the body matches the schema
 *   (test/contract/openapi-contract.ts, Ajv on openapi.yaml); the route comes from the daemon's
 *   response audit (src/http/response-audit.ts), and its status and type must equal what inject saw;
 * - a 4xx is application/problem+json with a `code` matching ^CODEXD_[A-Z0-9_]+$;
 * - a 4xx changes nothing on disk: the store's lastSeq and flush count, the size, mtime and inode
 *   of every file in the state dir, and every CONTENT_EVERY-th 4xx the full contents.
 * Valid requests do happen (a 2xx restart, a run queued): after a 2xx that can change things the
 * daemon is settled (child running again, runs and turns finished, no flush pending) before the
 * next case, so the 4xx check compares a quiet state.
 *
 * Two failure classes hit every operation alike and have a property of their own (so that they
 * do not hide other findings behind them): path parameters longer than SHORT_PARAM characters,
 * and a body sent to an operation that takes none. After a 5xx the next case runs on a fresh
 * daemon, so a daemon a request broke cannot make the shrinker report a wrong repro.
 *
 * Streams (`/v1/events/stream`, `/v1/child/logs?follow=true`) are injected with payloadAsStream
 * and cut once their head is read; long-polls and waits get a small timeout (BOUNDED below).
 *
 * Seed 424242; FUZZ_RUNS cases per property (default 20; `npm run fuzz` runs 2000); FUZZ_SHRINK
 * bounds the shrinking (default 12 attempts, 200 for large runs).
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessDaemon, type InProcessDaemon } from "../helpers/in-process-daemon.js";
import { mediaType, OpenApiContract, type AuditRecord, type OperationInfo } from "../contract/openapi-contract.js";
import { LOCK_FILE } from "../../src/state/state-dir-lock.js";

const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 20));
const SEED = 424242;
const TOKEN = "fuzz-token-0123456789abcdef";
const BODY_LIMIT = 65_536;
const CONTENT_EVERY = 10;
const PROBLEM_CODE = /^CODEXD_[A-Z0-9_]+$/;

/** Query parameters that make an operation wait: always present, and small when valid. */
const BOUNDED: Record<string, { key: string; max: number }> = {
  getRun: { key: "waitMs", max: 30 },
  waitForChild: { key: "timeoutMs", max: 30 },
  startChild: { key: "timeoutMs", max: 30 },
  stopChild: { key: "timeoutMs", max: 200 },
};

const contract = OpenApiContract.load();
const operations = contract.operations();
const byId = new Map(operations.map((op) => [op.operationId, op]));

type Json = Record<string, unknown>;

interface FuzzBody {
  label: string;
  payload: string | Uint8Array;
  contentType?: string | undefined;
  contentLength?: string | undefined;
}

interface FuzzCase {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: FuzzBody | null;
}

// ---------------------------------------------------------------------------------------------
// the daemon under test and its fixtures
// ---------------------------------------------------------------------------------------------

let d: InProcessDaemon;
let auditDir: string;
let audit: AuditTail;
const known: Record<string, string[]> = { sessions: [], runs: [], approvals: [], turns: [] };
const stats = new Map<string, number>();
let fourXxSeen = 0;

/** Reads the lines the daemon appended to its audit file since the last call. */
class AuditTail {
  private offset = 0;
  private partial = "";
  constructor(private readonly file: string) {}

  read(): AuditRecord[] {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return [];
    }
    if (size <= this.offset) return [];
    const buffer = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, "r");
    try {
      readSync(fd, buffer, 0, buffer.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const text = this.partial + buffer.toString("utf8");
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    return lines.filter(Boolean).map((line) => JSON.parse(line) as AuditRecord);
  }

  async next(timeoutMs = 2_000): Promise<AuditRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const records = this.read();
      if (records.length > 0 || Date.now() > deadline) return records;
      await sleep(5);
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const auth = { authorization: `Bearer ${TOKEN}` };

async function call(method: InjectOptions["method"], url: string, body?: unknown) {
  const res = await d.app.inject({ method, url, headers: auth, ...(body !== undefined ? { payload: body as object } : {}) });
  audit.read();
  return res;
}

async function createFixtures(): Promise<void> {
  const session = (await call("POST", "/v1/sessions", { metadata: { fuzz: true } })).json() as { sessionId: string };
  known.sessions!.push(session.sessionId);
  const turn = (await call("POST", `/v1/sessions/${session.sessionId}/turns`, { input: "hello fuzz" })).json() as { turnId: string };
  known.turns!.push(turn.turnId);
  const declining = (await call("POST", "/v1/sessions", { approvals: "decline" })).json() as { sessionId: string };
  known.sessions!.push(declining.sessionId);
  await settle();
  const asked = (await call("POST", `/v1/sessions/${declining.sessionId}/turns`, { input: "[approval:command] please" })).json() as { turnId: string };
  known.turns!.push(asked.turnId);
  const run = (await call("POST", "/v1/runs", { prompt: "a fuzz run", metadata: { n: 1 } })).json() as { runId: string };
  known.runs!.push(run.runId);
  await settle();
  const approvals = (await call("GET", "/v1/approvals")).json() as { approvals: { approvalId: string }[] };
  known.approvals!.push(...approvals.approvals.map((a) => a.approvalId));
  await settle();
}

/**
 * Earlier properties may have closed the fixture sessions (DELETE is fuzzed too): a property
 * starts with the first two open, so requests on them reach past the "closed" check.
 */
async function ensureFixtures(): Promise<void> {
  const open = known.sessions!.filter((id) => d.daemon.store.getSession(id)?.status === "idle");
  if (open.length >= 2) return;
  await createFixtures();
  // The newest fixtures first in the lists (fc.constantFrom shrinks towards the first).
  for (const list of Object.values(known)) list.reverse();
}

/**
 * Bring the daemon back to a quiet state after a request that may have changed things: the child
 * running (and not stopped by SIGSTOP), no run or turn in flight, no flush pending.
 */
async function settle(): Promise<void> {
  const { daemon } = d;
  const deadline = Date.now() + 20_000;
  const pid = daemon.child.state.pid;
  if (pid) {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      /* gone */
    }
  }
  let stableSince = 0;
  let lastFlushes = -1;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`the daemon did not settle: child ${JSON.stringify(daemon.child.state)}`);
    const child = daemon.child;
    if (!child.ready) {
      if (["stopped", "exited", "fatal", "idle"].includes(child.state.status)) await child.start().catch(() => {});
      await child.waitFor("ready", 5_000, ["fatal"]);
      stableSince = 0;
      continue;
    }
    const busy =
      daemon.store.listRuns().some((r) => r.status === "queued" || r.status === "running") ||
      daemon.store.listSessions().some((s) => s.status === "active");
    if (busy) {
      stableSince = 0;
      await sleep(5);
      continue;
    }
    const flushes = daemon.store.flushCount;
    if (flushes !== lastFlushes || !storeQuiet()) {
      lastFlushes = flushes;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 15) return;
    await sleep(5);
  }
}

/**
 * No group flush queued or running (peeking at the store's GroupCommit: the flush count goes up
 * when a flush starts, and its fsyncs may take a while).
 */
function storeQuiet(): boolean {
  const commits = (d.daemon.store as unknown as { commits?: { running: unknown; scheduled: boolean; waiters: unknown[] } }).commits;
  if (!commits) throw new Error("the store has no `commits` any more: update storeQuiet() in this test");
  return commits.running === null && !commits.scheduled && commits.waiters.length === 0;
}

async function untilQuiet(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!storeQuiet()) {
    if (Date.now() > deadline) throw new Error("the store kept flushing for 10 s");
    await sleep(2);
  }
}

interface Snapshot {
  lastSeq: number;
  flushCount: number;
  /** A rewrite of recent-events.json (the cache of recorded events) is due: it may land any time. */
  deferred: boolean;
  files: Record<string, string>;
  contents?: Record<string, string>;
}

/** The store rewrites recent-events.json at most once a second, so after a flush it may owe one. */
function recentWriteDue(): boolean {
  const timer = (d.daemon.store as unknown as { recentTimer?: unknown }).recentTimer;
  return timer !== undefined && timer !== null;
}
const RECENT_FILES = /^(recent-events\.json(\.bak)?|\.recent-events\.json\..*\.tmp)$/;

function snapshot(full: boolean): Snapshot {
  const dir = d.daemon.config.paths.stateDir;
  const files: Record<string, string> = {};
  const contents: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(dir, entry.name);
    const st = statSync(path);
    // The lock's heartbeat moves its mtime every few seconds whatever the requests do: the lock
    // counts as changed only when its content or inode does.
    files[entry.name] =
      entry.name === LOCK_FILE ? `ino=${st.ino} sha256=${createHash("sha256").update(readFileSync(path)).digest("hex")}` : `size=${st.size} mtime=${st.mtimeMs} ino=${st.ino}`;
    if (full) contents[entry.name] = createHash("sha256").update(readFileSync(path)).digest("hex");
  }
  return { lastSeq: d.daemon.store.lastSeq, flushCount: d.daemon.store.flushCount, deferred: recentWriteDue(), files, ...(full ? { contents } : {}) };
}

let daemons = 0;

async function startDaemon(): Promise<void> {
  const auditFile = join(auditDir, `responses-${++daemons}.jsonl`);
  d = await startInProcessDaemon({
    CODEXD_TOKEN: TOKEN,
    CODEXD_RESPONSE_AUDIT_FILE: auditFile,
    CODEXD_RATE_LIMIT_PER_MINUTE: "0",
    CODEXD_BODY_LIMIT_BYTES: String(BODY_LIMIT),
    CODEXD_CHILD_LIVENESS_INTERVAL_MS: "0",
    CODEXD_APPROVAL_POLICY: "decline",
    CODEXD_RUN_TIMEOUT_MS: "5000",
    CODEXD_TURN_SILENCE_TIMEOUT_MS: "3000",
    CODEXD_CHILD_BACKOFF_INITIAL_MS: "20",
    CODEXD_CHILD_BACKOFF_MAX_MS: "100",
    CODEXD_CHILD_START_LIMIT_BURST: "100000",
    CODEXD_CHILD_STOP_EOF_TIMEOUT_MS: "500",
    CODEXD_CHILD_STOP_TERM_TIMEOUT_MS: "500",
  });
  audit = new AuditTail(auditFile);
  const ready = await d.daemon.child.waitFor("ready", 10_000, ["fatal"]);
  if (!ready.matched) throw new Error(`the fake child did not start: ${JSON.stringify(ready.state)}`);
  for (const list of Object.values(known)) list.length = 0;
  const t0 = Date.now();
  await createFixtures();
  fixtureMs += Date.now() - t0;
}
let fixtureMs = 0;

let resetMs = 0;
const closing: Promise<void>[] = [];
async function resetDaemon(): Promise<void> {
  const started = Date.now();
  // The broken daemon winds down (its own temp dir) while the next one starts.
  closing.push(d.close().catch(() => {}));
  await startDaemon();
  resetMs += Date.now() - started;
}

beforeAll(async () => {
  auditDir = await mkdtemp(join(tmpdir(), "codexd-fuzz-api-"));
  await startDaemon();
}, 60_000);

afterAll(async () => {
  if (stats.size > 0) {
    const lines = [...stats].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${String(n).padStart(6)} ${k}`);
    console.log(`API fuzz: ${[...stats.values()].reduce((a, b) => a + b, 0)} requests (${RUNS} per property, seed ${SEED}, ${daemons} daemons, ${resetMs} ms in resets, ${fixtureMs} ms of it fixtures)\n${lines.join("\n")}`);
  }
  await d?.close();
  await Promise.all(closing);
  if (auditDir) await rm(auditDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// generators
// ---------------------------------------------------------------------------------------------

/** Percent-encode the UTF-8 bytes of a string (lone surrogates become U+FFFD), keeping unreserved characters. */
function pct(s: string): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const garbageText = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("", " ", "null", "undefined", "true", "-1", "0", "1e309", "NaN", "[]", "{}", "\u0000", "\u202e", "é", "💥", "\ud800"),
);

/** Components shared by the schemas, for $ref. */
const componentSchemas = (contract.doc.components?.schemas ?? {}) as Record<string, Json>;
function deref(schema: Json): Json {
  const ref = schema.$ref;
  if (typeof ref === "string" && ref.startsWith("#/components/schemas/")) return deref(componentSchemas[ref.slice("#/components/schemas/".length)] ?? {});
  return schema;
}

/** A value that conforms to a (subset of) JSON Schema: enough for the request schemas of the contract. */
function conforming(schemaIn: Json, maxString = 40): fc.Arbitrary<unknown> {
  const schema = deref(schemaIn);
  if ("const" in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const branches = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (branches) return fc.oneof(...branches.map((b) => conforming(b, maxString)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "string": {
      const min = Number(schema.minLength ?? 0);
      const max = Math.max(min, Math.min(Number(schema.maxLength ?? maxString), maxString));
      if (typeof schema.pattern === "string" && schema.pattern.includes("\\x21-\\x7e")) {
        return fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: Math.max(1, min), maxLength: max });
      }
      if (typeof schema.pattern === "string" && schema.pattern.startsWith("^[0-9]")) return fc.nat({ max: 1_000_000 }).map(String);
      if (schema.format === "date-time") return fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((t) => t.toISOString());
      return fc.string({ unit: "grapheme", minLength: min, maxLength: max });
    }
    case "integer":
      return fc.integer({ min: Number(schema.minimum ?? -1_000_000), max: Number(schema.maximum ?? 1_000_000) });
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(conforming((schema.items as Json) ?? {}, maxString), { minLength: Number(schema.minItems ?? 0), maxLength: Math.min(Number(schema.maxItems ?? 3), 3) });
    case "object": {
      const props = (schema.properties ?? {}) as Record<string, Json>;
      const required = new Set((schema.required as string[] | undefined) ?? []);
      if (Object.keys(props).length === 0) {
        return fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), {
          minKeys: Number(schema.minProperties ?? 0),
          maxKeys: Math.min(Number(schema.maxProperties ?? 3), 3),
        });
      }
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) record[k] = conforming(v, maxString);
      return fc.record(record, { requiredKeys: [...required].filter((k) => k in props) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

const wrongValue = fc.oneof(
  fc.constantFrom<unknown>(42, -1, 1.5, 0, true, false, null, "", "str", [], {}, [1, "a"], { nested: { x: 1 } }, 1e300, "1", "true"),
  fc.jsonValue({ maxDepth: 3 }),
);
const deep = (n: number, open = "[", close = "]", inner = "1") => open.repeat(n) + inner + close.repeat(n);
/** Stands for a deeply nested value in a body until it is spliced in as text (JSON.stringify cannot nest that deep). */
const DEEP_MARK = "\u0000deep\u0000";
const deepDepth = fc.oneof({ weight: 1, arbitrary: fc.integer({ min: 50, max: 3_000 }) }, { weight: 2, arbitrary: fc.integer({ min: 3_000, max: 20_000 }) });
/** JSON text of a value, with every DEEP_MARK<n> string replaced by n nested arrays. */
function toJsonText(value: unknown): string {
  return (JSON.stringify(value) ?? "null").replace(/"\\u0000deep\\u0000(\d+)"/g, (_m, n: string) => deep(Number(n), "[", "]", "0"));
}

/** Properties that take free-form JSON objects (metadata, outputSchema, ...): where depth is not limited by the schema. */
function freeFormProps(schema: Json): string[] {
  const props = (deref(schema).properties ?? {}) as Record<string, Json>;
  const isFreeForm = (p: Json): boolean => {
    const s = deref(p);
    if (Array.isArray(s.anyOf)) return (s.anyOf as Json[]).some(isFreeForm);
    return s.type === "object" && !s.properties && s.additionalProperties !== false;
  };
  return Object.keys(props).filter((k) => isFreeForm(props[k]!));
}

/** A schema-shaped body with one thing wrong (or two). */
function mutated(schema: Json): fc.Arbitrary<unknown> {
  const props = Object.keys((deref(schema).properties ?? {}) as Json);
  const freeForm = freeFormProps(schema);
  const key = props.length > 0 ? fc.constantFrom(...props) : fc.string({ maxLength: 8 });
  return fc
    .tuple(
      conforming(schema),
      fc.oneof(
        // Free-form JSON (metadata, outputSchema, ...) is where nesting is unbounded: weighted up.
        ...(freeForm.length > 0
          ? [{ weight: 3, arbitrary: fc.record({ op: fc.constant("deep-free-form" as const), key: fc.constantFrom(...freeForm), value: deepDepth.map((n) => ({ nested: `${DEEP_MARK}${n}` })) }) }]
          : []),
        fc.record({ op: fc.constant("unknown-property" as const), key: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty")), value: wrongValue }),
        fc.record({ op: fc.constant("delete" as const), key, value: fc.constant(null) }),
        fc.record({ op: fc.constant("wrong-type" as const), key, value: wrongValue }),
        fc.record({ op: fc.constant("huge-string" as const), key, value: fc.integer({ min: 100, max: BODY_LIMIT + 10_000 }).map((n) => "x".repeat(n)) }),
        fc.record({ op: fc.constant("deep" as const), key, value: deepDepth.map((n) => `${DEEP_MARK}${n}`) }),
        fc.record({ op: fc.constant("deep-inside" as const), key, value: deepDepth.map((n) => ({ nested: `${DEEP_MARK}${n}` })) }),
        fc.record({ op: fc.constant("unicode" as const), key, value: fc.string({ unit: "binary", minLength: 1, maxLength: 50 }) }),
      ),
    )
    .map(([valid, m]) => {
      const body = typeof valid === "object" && valid !== null && !Array.isArray(valid) ? { ...(valid as Json) } : {};
      if (m.op === "delete") delete body[m.key];
      else if (m.op === "unknown-property") Object.defineProperty(body, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
      else body[m.key] = m.value;
      return body;
    });
}

const invalidJson = fc.oneof(
  fc.constantFrom(
    "{",
    '{"a":',
    '{"a":1,}',
    "{'a':1}",
    "NaN",
    "\ufeff{}",
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    "",
    " ",
    "\n",
    '{"a":1}{"b":2}',
    '{"a":"\\ud800"}',
    '{"a":"\\u00"}',
    "[" + "[".repeat(100_000),
    '"\u0000"',
    "1e99999",
  ),
  fc.string({ maxLength: 40 }),
);

const contentTypes = fc.oneof(
  { weight: 12, arbitrary: fc.constant("application/json") },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "application/json; charset=utf-8",
      "application/json; charset=latin1",
      "application/json;charset=UTF-8",
      "APPLICATION/JSON",
      "text/plain",
      "text/plain; charset=utf-8",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
      "application/merge-patch+json",
      "application/json, text/plain",
      "application/jsonx",
      "",
      "*/*",
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.constant(undefined) },
);

function bodies(op: OperationInfo, mode: "as-documented" | "force"): fc.Arbitrary<FuzzBody | null> {
  const schema = (op.requestBody?.content as Record<string, { schema?: Json }> | undefined)?.["application/json"]?.schema;
  const json = (label: string, value: fc.Arbitrary<unknown>) => value.map((v): Omit<FuzzBody, "contentType"> => ({ label, payload: toJsonText(v) }));
  const kinds: fc.WeightedArbitrary<Omit<FuzzBody, "contentType">>[] = [
    { weight: 2, arbitrary: json("json-any", fc.jsonValue({ maxDepth: 4 })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 40_000 }).map((n) => ({ label: `deep-${n}`, payload: deep(n, '{"a":', "}") })) },
    { weight: 2, arbitrary: invalidJson.map((payload) => ({ label: "invalid-json", payload })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((payload) => ({ label: "bytes", payload })) },
    { weight: 1, arbitrary: fc.constantFrom(BODY_LIMIT - 2, BODY_LIMIT + 1, BODY_LIMIT * 3).map((n) => ({ label: `huge-${n}`, payload: JSON.stringify("x".repeat(n)) })) },
  ];
  if (schema) {
    kinds.push({ weight: 6, arbitrary: json("valid", conforming(schema)) });
    kinds.push({ weight: 10, arbitrary: json("mutated", mutated(schema)) });
  }
  const withBody = fc
    .tuple(fc.oneof(...kinds), contentTypes, fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.oneof(fc.integer({ min: -5, max: 5 }).filter((n) => n !== 0).map(String), fc.constantFrom("abc", "-1", "", "1e3", "99999999999999999999")) }))
    .map(([body, contentType, lengthDelta]): FuzzBody => {
      const size = typeof body.payload === "string" ? Buffer.byteLength(body.payload) : body.payload.length;
      const contentLength = lengthDelta === undefined ? undefined : /^-?\d$/.test(lengthDelta) ? String(Math.max(0, size + Number(lengthDelta))) : lengthDelta;
      return { ...body, contentType, contentLength };
    });
  if (mode === "force") return withBody;
  // Operations with a body mostly get one; the others none (see the "bodies where none belongs" property).
  return schema ? fc.oneof({ weight: 12, arbitrary: withBody }, { weight: 1, arbitrary: fc.constant(null) }) : fc.constant(null);
}

const oddSegments = fc.constantFrom(
  "..",
  ".",
  "%2e%2e",
  "%2E%2E%2F%2E%2E",
  "..%2F..%2Fetc%2Fpasswd",
  "%",
  "%zz",
  "%0",
  "%00",
  "%ff%fe",
  "%c0%af",
  "%C3%A9",
  "a%2Fb",
  "%2F",
  "%3F",
  "%23",
  "~",
  "*",
  "%20",
  "+",
  ";x=1",
  "%u2215",
  "ab%",
  "%F0%9F%92%A5",
  "%ED%A0%80",
);

/** Path parameters longer than this (raw, as in the URL) are fuzzed by their own property. */
const SHORT_PARAM = 100;
const longSegment = fc.integer({ min: SHORT_PARAM + 1, max: 6_000 }).chain((n) => fc.constantFrom("a".repeat(n), pct("é".repeat(Math.ceil(n / 4))), "%41".repeat(Math.ceil(n / 3)), "a".repeat(Math.min(n, 200))));

function segment(op: OperationInfo, param: string, long: boolean): fc.Arbitrary<string> {
  if (long) return longSegment;
  const resource = param === "turnId" ? "turns" : (op.path.split("/")[2] ?? "");
  const ids = known[resource] ?? [];
  const choices: fc.WeightedArbitrary<string>[] = [
    { weight: 3, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }).map(pct).filter((x) => x.length <= SHORT_PARAM) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 12 }).map(pct).filter((x) => x.length <= SHORT_PARAM) },
    { weight: 2, arbitrary: oddSegments },
    { weight: 1, arbitrary: fc.integer({ min: 50, max: SHORT_PARAM }).chain((n) => fc.constantFrom("a".repeat(n), "%41".repeat(Math.floor(n / 3)), pct("é".repeat(Math.floor(n / 6))))) },
  ];
  if (ids.length > 0) choices.push({ weight: 8, arbitrary: fc.constantFrom(...ids) }, { weight: 1, arbitrary: fc.constantFrom(...ids).map((id) => `${id}%00`) });
  return fc.oneof(...choices);
}

const encodings = ["component", "raw", "plus", "double"] as const;
function encodeQueryPart(s: string, how: (typeof encodings)[number]): string {
  if (how === "raw") return s;
  if (how === "plus") return pct(s).replace(/%20/g, "+");
  if (how === "double") return pct(pct(s));
  return pct(s);
}

function queryValue(schema: Json, bound: number | null): fc.Arbitrary<string> {
  const valid = bound !== null ? fc.integer({ min: 1, max: bound }).map(String) : conforming(schema, 20).map((v) => String(v));
  return fc.oneof(
    { weight: 5, arbitrary: valid },
    { weight: 3, arbitrary: garbageText },
    { weight: 1, arbitrary: fc.constantFrom("1.5", "0x10", " 1", "1 ", "+1", "-0", "99999999999999999999", "1e3", "TRUE", "yes", "[]", "a,b", "%00") },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 3_000 }).map((n) => "z".repeat(n)) },
  );
}

function queries(op: OperationInfo): fc.Arbitrary<string> {
  const bounded = BOUNDED[op.operationId];
  const declared = op.queryParams.map((p) => ({ name: String(p.name), schema: (p.schema ?? {}) as Json }));
  const entry = (name: string, schema: Json) =>
    fc.tuple(fc.constant(name), queryValue(schema, bounded && bounded.key === name ? bounded.max : null), fc.constantFrom(...encodings), fc.constantFrom(...encodings));
  type Entry = [string, string, (typeof encodings)[number], (typeof encodings)[number]];
  const none = fc.constant<Entry[]>([]);
  const declaredEntries: fc.Arbitrary<Entry[]> =
    declared.length > 0 ? fc.subarray(declared).chain((ps) => (ps.length === 0 ? none : fc.tuple(...ps.map((p) => entry(p.name, p.schema))).map((t): Entry[] => [...t]))) : none;
  const unknownEntries = fc.array(fc.tuple(fc.oneof(garbageText, fc.constantFrom("__proto__", "constructor", "limit", "after", "follow", "cursor", "a[b]", "a.b", "")), garbageText, fc.constantFrom(...encodings), fc.constantFrom(...encodings)), { maxLength: 2 });
  const repeat = fc.boolean();
  return fc
    .tuple(declaredEntries, fc.oneof({ weight: 4, arbitrary: none }, { weight: 1, arbitrary: unknownEntries }), fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: repeat }), fc.oneof({ weight: 10, arbitrary: fc.constant("") }, { weight: 1, arbitrary: fc.constantFrom("&", "&&", "=", "a", "%", "%zz=1", "=1", "&=") }))
    .map(([known, unknown, dup, junk]) => {
      const entries: Entry[] = [...known, ...unknown];
      if (dup && entries.length > 0) entries.push(entries[0]!);
      const parts = entries.map(([k, v, ek, ev]) => `${encodeQueryPart(k, ek)}=${encodeQueryPart(v, ev)}`);
      if (bounded && !entries.some(([k]) => k === bounded.key)) parts.push(`${bounded.key}=${bounded.max}`);
      if (junk) parts.push(junk);
      return parts.join("&");
    });
}

const headerArb = fc.record(
  {
    authorization: fc.oneof(
      { weight: 20, arbitrary: fc.constant(`Bearer ${TOKEN}`) },
      {
        weight: 1,
        arbitrary: fc.oneof(
          fc.constantFrom("", "Bearer", "Bearer ", `bearer ${TOKEN}`, `Bearer  ${TOKEN}  `, `Bearer ${TOKEN}x`, `Basic ${Buffer.from(`u:${TOKEN}`).toString("base64")}`, `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${"x".repeat(10_000)}`, `Bearer ${TOKEN}\u0000`),
          garbageText,
        ),
      },
    ),
    host: fc.oneof(
      { weight: 20, arbitrary: fc.constantFrom("localhost:4319", "127.0.0.1:4319", "[::1]:4319", "localhost") },
      { weight: 1, arbitrary: fc.oneof(fc.constantFrom("evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "[::1", "LOCALHOST:1", "localhost:99999", "", ":4319", "0.0.0.0", "2130706433"), garbageText) },
    ),
    origin: fc.oneof({ weight: 20, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom("http://localhost:4319", "http://evil.example", "null", "file://", "http://127.0.0.1:4319/"), garbageText) }),
    "last-event-id": fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.oneof(fc.nat().map(String), fc.constantFrom("0", "-1", "1e3", "9".repeat(16), "", " 1", "0x1"), garbageText) }),
    "idempotency-key": fc.oneof(
      { weight: 10, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.constantFrom("key-1", "key-2", "key-3") },
      { weight: 2, arbitrary: fc.oneof(fc.constantFrom("", " ", "\u0001", "a\u007f", "\t", "ключ", "💥", "x".repeat(201), "x".repeat(200), "a b"), garbageText) },
    ),
    accept: fc.oneof({ weight: 10, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom("application/xml", "text/event-stream", "*/*", "", "application/problem+json") }),
  },
  { requiredKeys: [] },
);

const otherMethods = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");

interface CaseOptions {
  /** One path parameter (at random) is longer than SHORT_PARAM. */
  longParam?: boolean;
  /** A body is sent whether the operation takes one or not. */
  forceBody?: boolean;
}

function cases(op: OperationInfo, options: CaseOptions = {}): fc.Arbitrary<FuzzCase> {
  const longAt = options.longParam ? fc.nat({ max: Math.max(0, op.pathParams.length - 1) }) : fc.constant(-1);
  const params = longAt.chain((at) => (op.pathParams.length > 0 ? fc.tuple(...op.pathParams.map((p, i) => segment(op, p, i === at))) : fc.constant([] as string[])));
  const method = options.forceBody ? fc.constant(op.method) : fc.oneof({ weight: 20, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: otherMethods });
  return fc
    .tuple(method, params, queries(op), headerArb, bodies(op, options.forceBody ? "force" : "as-documented"))
    .map(([method, values, query, rawHeaders, body]) => {
      let path = op.path;
      op.pathParams.forEach((p, i) => (path = path.replace(`{${p}}`, values[i]!)));
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(rawHeaders)) if (v !== undefined) headers[k] = v;
      const c: FuzzCase = { method, path, query, headers, body };
      // Counterexamples print as the request, with long bodies cut, not as a huge object.
      Object.defineProperty(c, fc.toStringMethod, { value: () => describeCase(c), enumerable: false });
      return c;
    });
}

// ---------------------------------------------------------------------------------------------
// running a case and checking it
// ---------------------------------------------------------------------------------------------

interface Outcome {
  status: number;
  contentType: string | null;
  body: string | null;
  streamed: boolean;
}

async function execute(c: FuzzCase): Promise<Outcome | "client-rejected"> {
  const headers: Record<string, string> = { ...c.headers };
  const options: InjectOptions = { method: c.method as InjectOptions["method"], url: c.query ? `${c.path}?${c.query}` : c.path, headers, payloadAsStream: true };
  if (c.body) {
    options.payload = typeof c.body.payload === "string" ? c.body.payload : Buffer.from(c.body.payload);
    if (c.body.contentType !== undefined) headers["content-type"] = c.body.contentType;
    if (c.body.contentLength !== undefined) headers["content-length"] = c.body.contentLength;
  }
  let res;
  try {
    res = await d.app.inject(options);
  } catch (error) {
    // light-my-request refusing to build the request (not the daemon's answer).
    if (error instanceof TypeError || /Invalid|ERR_/.test(String((error as Error).message ?? error))) return "client-rejected";
    throw error;
  }
  const contentType = (res.headers["content-type"] as string | undefined) ?? null;
  if (mediaType(contentType) === "text/event-stream") {
    (res.raw.res as unknown as { destroy: () => void }).destroy();
    return { status: res.statusCode, contentType, body: null, streamed: true };
  }
  const chunks: Buffer[] = [];
  for await (const chunk of res.stream()) chunks.push(Buffer.from(chunk as Buffer));
  return { status: res.statusCode, contentType, body: Buffer.concat(chunks).toString("utf8"), streamed: false };
}

function describeCase(c: FuzzCase): string {
  const body = c.body ? ` body(${c.body.label}, ${c.body.contentType ?? "no content-type"}${c.body.contentLength !== undefined ? `, content-length ${c.body.contentLength}` : ""}): ${JSON.stringify(typeof c.body.payload === "string" ? c.body.payload.slice(0, 300) : `<${c.body.payload.length} bytes>`)}` : "";
  return `${c.method} ${(c.query ? `${c.path}?${c.query}` : c.path).slice(0, 400)} headers ${JSON.stringify(c.headers).slice(0, 400)}${body}`;
}

/**
 * What changed between two snapshots. The one change a 4xx may coincide with: the rewrite of
 * recent-events.json the store owed before the request (events recorded earlier), one flush.
 */
function diffSnapshots(a: Snapshot, b: Snapshot): string[] {
  const out: string[] = [];
  const owed = a.deferred && a.lastSeq === b.lastSeq && b.flushCount - a.flushCount <= 1;
  if (a.lastSeq !== b.lastSeq) out.push(`lastSeq ${a.lastSeq} -> ${b.lastSeq}`);
  if (a.flushCount !== b.flushCount && !owed) out.push(`flushCount ${a.flushCount} -> ${b.flushCount}`);
  for (const name of new Set([...Object.keys(a.files), ...Object.keys(b.files)])) {
    if (owed && RECENT_FILES.test(name)) continue;
    if (a.files[name] !== b.files[name]) out.push(`${name}: ${a.files[name] ?? "(absent)"} -> ${b.files[name] ?? "(absent)"}`);
    if (a.contents && b.contents && a.contents[name] !== b.contents[name]) out.push(`${name}: contents changed`);
  }
  return out;
}

/**
 * After a 5xx the daemon may be left broken; every later case (the shrinker's too) would then
 * fail for that reason and shrink to a misleading repro. The next case gets a fresh daemon.
 */
let poisoned = false;

/**
 * Shrinking runs on a fresh daemon after every failing attempt (see `poisoned`), about half a
 * second each: past this many attempts after the first failure, cases pass unrun and fast-check
 * reports the smallest failing case found so far. FUZZ_SHRINK overrides.
 */
const SHRINK_BUDGET = Number(process.env.FUZZ_SHRINK ?? (RUNS > 100 ? 200 : 12));
let failedOnce = false;
let shrinkAttempts = 0;
function startProperty(): void {
  failedOnce = false;
  shrinkAttempts = 0;
}

const count = (key: string) => stats.set(key, (stats.get(key) ?? 0) + 1);

async function runCase(op: OperationInfo, c: FuzzCase): Promise<void> {
  if (failedOnce && ++shrinkAttempts > SHRINK_BUDGET) return;
  try {
    await checkCase(op, c);
  } catch (error) {
    failedOnce = true;
    throw error;
  }
}

async function checkCase(op: OperationInfo, c: FuzzCase): Promise<void> {
  if (poisoned) {
    poisoned = false;
    await resetDaemon();
  }
  const full = fourXxSeen % CONTENT_EVERY === 0;
  await untilQuiet();
  const before = snapshot(full);
  const outcome = await execute(c);
  if (outcome === "client-rejected") {
    count(`${op.method} ${op.path} (request not sendable)`);
    return;
  }
  const what = `${describeCase(c)}\n  -> ${outcome.status} ${outcome.contentType ?? ""} ${(outcome.body ?? "(stream)").slice(0, 500)}`;

  // Answers Fastify gives before routing (malformed URL, over-long parameter) do not reach its
  // hooks, and inject has no server to catch them on: no record, and no route.
  const records = await audit.next(outcome.streamed ? 1_000 : 20);
  expect(records.length, `at most one audit record for ${what}`).toBeLessThanOrEqual(1);
  const record: AuditRecord = records[0] ?? { method: c.method, route: null, url: c.query ? `${c.path}?${c.query}` : c.path, status: outcome.status, contentType: outcome.contentType, body: outcome.body, bodyKind: "text" };
  count(`${op.method} ${op.path} -> ${record.method === op.method ? "" : `${record.method} `}${record.route === null ? "(unrouted) " : ""}${outcome.status}`);

  if (outcome.status >= 500) poisoned = true;
  expect(outcome.status, `never 5xx: ${what}`).toBeLessThan(500);
  expect({ status: record.status, type: mediaType(record.contentType) }, `the audit saw what the client saw: ${what}`).toEqual({ status: outcome.status, type: mediaType(outcome.contentType) });
  expect(contract.check({ ...record, body: outcome.streamed ? null : outcome.body, bodyKind: outcome.streamed ? "stream" : "text" }), `conforms to openapi.yaml: ${what}`).toEqual([]);

  if (outcome.status >= 400 && outcome.status < 500) {
    fourXxSeen++;
    expect(mediaType(outcome.contentType), `a 4xx is problem+json: ${what}`).toBe("application/problem+json");
    if (c.method !== "HEAD") {
      const problem = JSON.parse(outcome.body ?? "") as { code?: unknown; status?: unknown };
      expect(String(problem.code), `a 4xx has a CODEXD_ code: ${what}`).toMatch(PROBLEM_CODE);
      expect(problem.status, `the problem's status is the response's: ${what}`).toBe(outcome.status);
    }
    const after = snapshot(full);
    expect(diffSnapshots(before, after), `a 4xx changes nothing on disk: ${what}`).toEqual([]);
  } else if (c.method !== "GET" && c.method !== "HEAD") {
    await settle();
  }
}

const timeout = (runs: number) => Math.max(30_000, runs * 250);

describe("API fuzz: every operation of openapi.yaml", () => {
  it("has operations to fuzz", () => {
    expect(operations.length).toBeGreaterThan(20);
  });

  for (const op of operations) {
    it(
      `${op.method} ${op.path} (${op.operationId})`,
      async () => {
        await ensureFixtures();
        startProperty();
        await fc.assert(
          fc.asyncProperty(cases(op), (c) => runCase(op, c)),
          { seed: SEED, numRuns: RUNS },
        );
      },
      timeout(RUNS),
    );
  }

  // Failure classes that hit every operation alike get a property of their own, so that one
  // finding does not hide the others behind it.
  const withParams = operations.filter((op) => op.pathParams.length > 0);
  it(`path parameters longer than ${SHORT_PARAM} characters (${withParams.length} operations)`, async () => {
    startProperty();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...withParams).chain((op) => cases(op, { longParam: true }).map((c) => ({ operation: op.operationId, c }))),
        ({ operation, c }) => runCase(byId.get(operation)!, c),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, timeout(RUNS));

  const bodyless = operations.filter((op) => !op.requestBody);
  it(`a body sent to an operation that takes none (${bodyless.length} operations)`, async () => {
    startProperty();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodyless).chain((op) => cases(op, { forceBody: true }).map((c) => ({ operation: op.operationId, c }))),
        ({ operation, c }) => runCase(byId.get(operation)!, c),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, timeout(RUNS));
});
