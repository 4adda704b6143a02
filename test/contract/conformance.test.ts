/**
 * The contract-conformance validator (openapi-contract.ts) and the daemon's response audit
 * (src/http/response-audit.ts) it reads: the validator must pass what conforms and fail what
 * does not, or the suite-wide check in global-setup.ts proves nothing.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessDaemon, type InProcessDaemon } from "../helpers/in-process-daemon.js";
import { startListeningDaemon, type ListeningDaemon } from "../helpers/sse-daemon.js";
import { waitUntil } from "../helpers/deadline.js";
import { checkAll, formatMismatches, mediaType, OpenApiContract, openApiPath, type AuditRecord } from "./openapi-contract.js";

const contract = OpenApiContract.load();

const rec = (over: Partial<AuditRecord>): AuditRecord => ({
  method: "GET",
  route: "/healthz",
  url: "/healthz",
  status: 200,
  contentType: "application/json; charset=utf-8",
  body: JSON.stringify({ status: "ok" }),
  bodyKind: "text",
  ...over,
});

const problem = (status: number, code = "CODEXD_NOT_FOUND") =>
  JSON.stringify({ type: `https://codexd.dev/problems/${code.toLowerCase()}`, title: "t", status, code, detail: "d", instance: "/x" });

const run = {
  runId: "r1",
  status: "queued",
  createdAt: "2024-01-01T00:00:00.000Z",
  updatedAt: "2024-01-01T00:00:00.000Z",
};

describe("the validator", () => {
  it("reads every operation of openapi.yaml and compiles every response schema (Ajv strict)", () => {
    const ops = contract.operations();
    expect(ops.length).toBeGreaterThanOrEqual(26);
    expect(ops.map((o) => `${o.method} ${o.path}`)).toContain("GET /v1/runs/{id}");
    for (const op of ops) {
      for (const status of op.statuses) {
        const content = ((op.op.responses as Record<string, { content?: Record<string, unknown> }>)[String(status)]?.content ?? {});
        for (const type of Object.keys(content)) {
          // A body that cannot match anything: the check must run (compile) and fail, not throw.
          const problems = contract.check(rec({ method: op.method, route: op.path.replace(/\{(\w+)\}/g, ":$1"), status, contentType: type, body: type.includes("json") ? "[[[]]]" : "" }));
          expect(Array.isArray(problems)).toBe(true);
        }
      }
    }
  });

  it("passes conforming responses", () => {
    expect(contract.check(rec({}))).toEqual([]);
    expect(contract.check(rec({ method: "HEAD", body: "" }))).toEqual([]);
    expect(contract.check(rec({ method: "POST", route: "/v1/runs", url: "/v1/runs", status: 202, body: JSON.stringify(run) }))).toEqual([]);
    expect(contract.check(rec({ route: "/v1/runs/:id", url: "/v1/runs/x", status: 404, contentType: "application/problem+json; charset=utf-8", body: problem(404) }))).toEqual([]);
    expect(contract.check(rec({ route: "/v1/events/stream", status: 200, contentType: "text/event-stream; charset=utf-8", body: null, bodyKind: "stream" }))).toEqual([]);
    expect(contract.check(rec({ route: "/metrics", contentType: "text/plain; version=0.0.4; charset=utf-8", body: "# HELP x\n" }))).toEqual([]);
    expect(contract.check(rec({ route: null, url: "/nope", status: 404, contentType: "application/problem+json", body: problem(404, "CODEXD_ROUTE_NOT_FOUND") }))).toEqual([]);
    // The docs UI's pages are deliberately outside the contract.
    expect(contract.check(rec({ route: "/docs/static/*", status: 200, contentType: "text/css", body: "x" }))).toEqual([]);
  });

  it("fails an undocumented status", () => {
    const problems = contract.check(rec({ status: 418 }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/status 418 is not documented \(documented: 200(, \d{3})+\)/);
    expect(contract.check(rec({ method: "POST", route: "/v1/runs", status: 200, body: JSON.stringify(run) }))[0]).toMatch(/status 200 is not documented/);
  });

  it("fails a wrong body", () => {
    expect(contract.check(rec({ body: JSON.stringify({ status: "nope" }) }))[0]).toMatch(/body does not match the schema: \/status must be one of "ok"/);
    expect(contract.check(rec({ body: "{not json" }))[0]).toMatch(/body is not JSON/);
    const badRun = contract.check(rec({ method: "POST", route: "/v1/runs", status: 202, body: JSON.stringify({ ...run, status: "exploded", createdAt: "yesterday" }) }));
    expect(badRun[0]).toMatch(/\/status/);
    expect(badRun[0]).toMatch(/\/createdAt must match format "date-time"/);
    // A problem without its stable code, or with a code outside the CODEXD_ family.
    expect(contract.check(rec({ route: "/v1/runs/:id", status: 404, contentType: "application/problem+json", body: JSON.stringify({ type: "t", title: "t", status: 404 }) }))[0]).toMatch(/must have required property 'code'/);
    expect(contract.check(rec({ route: "/v1/runs/:id", status: 404, contentType: "application/problem+json", body: problem(404, "NOT_FOUND") }))[0]).toMatch(/\/code must match pattern/);
  });

  it("fails a problem field the Problem schema does not declare, routed or not", () => {
    const withField = (field: string, value: unknown) => JSON.stringify({ ...JSON.parse(problem(429, "CODEXD_QUEUE_FULL")), [field]: value });
    const queueFull = rec({ method: "POST", route: "/v1/runs", url: "/v1/runs", status: 429, contentType: "application/problem+json", body: withField("maxQueued", 3) });
    expect(contract.check(queueFull)).toEqual([]);
    expect(contract.check({ ...queueFull, body: withField("queueLimit", 3) })).toEqual(['problem field "queueLimit" is not declared in the Problem schema']);
    const unrouted = rec({ route: null, url: "/nope", status: 404, contentType: "application/problem+json", body: JSON.stringify({ ...JSON.parse(problem(404, "CODEXD_ROUTE_NOT_FOUND")), hint: "x" }) });
    expect(contract.check(unrouted)).toEqual(['problem field "hint" is not declared in the Problem schema']);
  });

  it("fails an undocumented content type, route or method", () => {
    expect(contract.check(rec({ contentType: "text/html" }))[0]).toMatch(/content type "text\/html" is not documented for 200 \(documented: application\/json\)/);
    expect(contract.check(rec({ route: "/v1/runs/:id", status: 404, body: problem(404) }))[0]).toMatch(/content type .* not documented for 404/);
    expect(contract.check(rec({ route: "/v1/secret" }))[0]).toMatch(/GET \/v1\/secret is not an operation of the contract/);
    expect(contract.check(rec({ method: "DELETE", route: "/v1/runs" }))[0]).toMatch(/DELETE \/v1\/runs is not an operation/);
    expect(contract.check(rec({ route: null, url: "/nope", status: 200 }))[0]).toMatch(/unrouted request answered 200/);
    // Rejected before routing, but the URL is an operation's: judged as that operation's answer.
    const tooLong = rec({ route: null, url: `/v1/runs/${"a".repeat(1500)}`, status: 418, contentType: "application/problem+json", body: problem(418, "CODEXD_BAD_REQUEST") });
    expect(contract.check(tooLong)[0]).toMatch(/status 418 is not documented \(documented: 200, 400, 401, 403, 404, 414, 500, 503, 507\)/);
    expect(contract.check({ ...tooLong, url: "/v1/runs/%zz", status: 400, body: problem(400, "CODEXD_BAD_URL") })).toEqual([]);
    expect(contract.check({ ...tooLong, method: "PUT", url: "/v1/runs/x", status: 404, body: problem(404, "CODEXD_ROUTE_NOT_FOUND") })).toEqual([]);
  });

  it("reports equal mismatches once, with a readable list", () => {
    const bad = rec({ status: 418 });
    const { checked, mismatches } = checkAll(contract, [bad, bad, rec({})]);
    expect(checked).toBe(3);
    expect(mismatches).toHaveLength(1);
    const text = formatMismatches(mismatches);
    expect(text).toContain("GET /healthz -> 418 application/json (x2)");
    expect(text).toContain("status 418 is not documented");
  });

  it("maps route patterns and media types", () => {
    expect(openApiPath("/v1/sessions/:id/turns/:turnId")).toBe("/v1/sessions/{id}/turns/{turnId}");
    expect(mediaType("Application/Problem+JSON; charset=utf-8")).toBe("application/problem+json");
    expect(mediaType(null)).toBeNull();
  });
});

describe("the response audit (CODEXD_RESPONSE_AUDIT_FILE)", () => {
  let dir: string;
  let d: InProcessDaemon | undefined;
  let l: ListeningDaemon | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "codexd-audit-test-"));
  });
  afterAll(async () => {
    await d?.close();
    await l?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const readRecords = async (file: string): Promise<AuditRecord[]> =>
    (await readFile(file, "utf8").catch(() => "")).split("\n").filter(Boolean).map((line) => JSON.parse(line) as AuditRecord);

  it("is off by default", async () => {
    const off = await startInProcessDaemon({ CODEXD_RESPONSE_AUDIT_FILE: "" }, { start: false });
    try {
      expect(off.daemon.config.http.responseAuditFile).toBeNull();
    } finally {
      await off.close();
    }
  });

  it("records every response (routed, unrouted, rejected) and they conform", async () => {
    const file = join(dir, "inject.jsonl");
    d = await startInProcessDaemon({ CODEXD_RESPONSE_AUDIT_FILE: file, CODEXD_CHILD_LIVENESS_INTERVAL_MS: "0" });
    await d.app.inject({ method: "GET", url: "/healthz" });
    await d.app.inject({ method: "GET", url: "/v1/events?limit=2" });
    await d.app.inject({ method: "GET", url: "/v1/events?limit=abc" });
    await d.app.inject({ method: "GET", url: "/v1/runs/nope" });
    await d.app.inject({ method: "GET", url: "/no/such/route" });
    await d.app.inject({ method: "POST", url: "/v1/child/signal", headers: { "content-type": "application/xml" }, payload: "<x/>" });
    await d.app.inject({ method: "GET", url: "/v1/status", headers: { host: "evil.example" } });
    const records = await readRecords(file);
    expect(records.map((r) => `${r.method} ${r.route} ${r.status}`)).toEqual([
      "GET /healthz 200",
      "GET /v1/events 200",
      "GET /v1/events 400",
      "GET /v1/runs/:id 404",
      "GET null 404",
      "POST /v1/child/signal 415",
      "GET /v1/status 403",
    ]);
    expect(records[0]).toMatchObject({ url: "/healthz", contentType: expect.stringMatching(/^application\/json/), body: '{"status":"ok"}', bodyKind: "text" });
    expect(records[2]!.contentType).toMatch(/^application\/problem\+json/);
    const { mismatches } = checkAll(contract, records);
    expect(formatMismatches(mismatches)).toBe("");
  });

  it("records the status and content type of an SSE stream", async () => {
    const file = join(dir, "sse.jsonl");
    l = await startListeningDaemon({ CODEXD_RESPONSE_AUDIT_FILE: file });
    const abort = new AbortController();
    const res = await fetch(`${l.baseUrl}/v1/events/stream?after=0`, { signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    await reader.cancel().catch(() => {});
    const records = await waitUntil(
      async () => {
        const all = await readRecords(file);
        return all.some((r) => r.route === "/v1/events/stream") && all;
      },
      { what: "the stream's audit record" },
    );
    const stream = records.find((r) => r.route === "/v1/events/stream")!;
    expect(stream).toMatchObject({ status: 200, contentType: "text/event-stream; charset=utf-8", body: null, bodyKind: "stream" });
    expect(contract.check(stream)).toEqual([]);
  });

  it("records answers given before routing on a real server", async () => {
    const file = l!.daemon.config.http.responseAuditFile!;
    const badUrl = await fetch(`${l!.baseUrl}/v1/runs/%zz`);
    // Longer than the router's limit for a path parameter: answered before routing (414).
    const longParam = await fetch(`${l!.baseUrl}/v1/runs/${"a".repeat(1500)}`);
    const records = await waitUntil(
      async () => {
        const all = (await readRecords(file)).filter((r) => r.url.startsWith("/v1/runs/"));
        return all.length >= 2 && all;
      },
      { what: "the pre-routing answers' records" },
    );
    expect(records.map((r) => [r.route, r.status])).toEqual([
      [null, badUrl.status],
      [null, longParam.status],
    ]);
    expect(records[0]!.body).toContain("CODEXD_BAD_URL");
    expect(longParam.status).toBe(414);
    expect(records[1]!.body).toContain("CODEXD_URI_TOO_LONG");
  });
});
