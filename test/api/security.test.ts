import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { RunRecord } from "../../schemas/runs.js";
import type { SessionRecord } from "../../schemas/sessions.js";
import { buildApp, type App } from "../../src/app.js";
import { Daemon } from "../../src/daemon.js";
import { fakeChildEnv } from "../helpers/in-process-daemon.js";
import { tempState, type TempState } from "../helpers/temp-config.js";

const TOKEN = "s3cret-token-for-tests-0123456789";

let temp: TempState | undefined;
let daemon: Daemon | undefined;
let app: App | undefined;
let logged = "";

afterEach(async () => {
  await app?.close();
  await daemon?.stop("test over");
  await temp?.cleanup();
  app = daemon = temp = undefined;
  logged = "";
});

/** A started daemon whose log lines are captured, so the test can search them for the token. */
async function boot(env: Record<string, string> = {}): Promise<App> {
  temp = await tempState({ ...fakeChildEnv(), ...env });
  const sink = new Writable({ write: (chunk, _enc, done) => ((logged += chunk.toString()), done()) });
  const logger = pino({ level: "debug" }, sink);
  daemon = new Daemon(temp.config, logger);
  await daemon.start();
  app = await buildApp(daemon, { logger });
  return app;
}

const auth = { authorization: `Bearer ${TOKEN}` };

describe("bearer token", () => {
  it("guards every /v1 route and /metrics, not /healthz, and never shows the token", async () => {
    const a = await boot({ CODEXD_TOKEN: TOKEN });
    for (const url of ["/v1/status", "/v1/events", "/v1/child", "/v1/sessions", "/v1/runs", "/v1/approvals", "/metrics"]) {
      const res = await a.inject({ url });
      expect(res.statusCode, url).toBe(401);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.headers["www-authenticate"]).toContain("Bearer");
      expect(res.json().code).toBe("CODEXD_UNAUTHORIZED");
    }
    expect((await a.inject({ url: "/v1/status", headers: { authorization: "Bearer wrong" } })).statusCode).toBe(401);
    expect((await a.inject({ url: "/v1/status", headers: { authorization: TOKEN } })).statusCode).toBe(401);
    expect((await a.inject({ url: "/healthz" })).statusCode).toBe(200);
    const status = await a.inject({ url: "/v1/status", headers: auth });
    expect(status.statusCode).toBe(200);
    expect(status.json().config.http.token).toBe("[redacted]");
    const events = await a.inject({ url: "/v1/events?limit=1000", headers: auth });
    const everything = [status.body, events.body, (await a.inject({ url: "/openapi.json" })).body, logged];
    for (const text of everything) expect(text).not.toContain(TOKEN);
  });

  it("documents 401 and the bearer scheme on /v1 routes", async () => {
    const a = await boot();
    const doc = (await a.inject({ url: "/openapi.json" })).json();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.paths["/v1/status"].get.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths["/v1/status"].get.responses).toHaveProperty("401");
    expect(doc.paths["/healthz"].get.security).toEqual([]);
    expect(doc.paths["/v1/runs"].post.responses).toHaveProperty("429");
  });
});

describe("DNS rebinding and cross-site protection", () => {
  it("rejects a Host that is not this daemon's, accepts loopback names and allowed hosts", async () => {
    const a = await boot({ CODEXD_ALLOWED_HOSTS: '["codexd.internal"]' });
    const bad = await a.inject({ url: "/healthz", headers: { host: "attacker.example:4319" } });
    expect(bad.statusCode).toBe(403);
    expect(bad.json().code).toBe("CODEXD_HOST_NOT_ALLOWED");
    for (const host of ["localhost:4319", "127.0.0.1:4319", "[::1]:4319", "codexd.internal"]) {
      expect((await a.inject({ url: "/v1/status", headers: { host } })).statusCode, host).toBe(200);
    }
  });

  it("rejects a foreign browser Origin, accepts the daemon's own and allowed ones", async () => {
    const a = await boot({ CODEXD_ALLOWED_ORIGINS: '["http://dashboard.local:8080"]' });
    const cross = await a.inject({ method: "POST", url: "/v1/child/stop", headers: { origin: "http://evil.example", host: "127.0.0.1:4319" } });
    expect(cross.statusCode).toBe(403);
    expect(cross.json().code).toBe("CODEXD_ORIGIN_NOT_ALLOWED");
    expect(daemon!.child.state.desired).not.toBe("stopped");
    expect((await a.inject({ url: "/v1/status", headers: { origin: "http://127.0.0.1:4319", host: "127.0.0.1:4319" } })).statusCode).toBe(200);
    expect((await a.inject({ url: "/v1/status", headers: { origin: "http://dashboard.local:8080", host: "127.0.0.1:4319" } })).statusCode).toBe(200);
  });
});

describe("request limits", () => {
  it("answers 413 problem+json for a body over the limit, changing nothing", async () => {
    const a = await boot({ CODEXD_BODY_LIMIT_BYTES: "2048" });
    const res = await a.inject({ method: "POST", url: "/v1/runs", payload: { prompt: "x".repeat(5000) } });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe("CODEXD_PAYLOAD_TOO_LARGE");
    expect(daemon!.store.listRuns()).toHaveLength(0);
  });

  it("answers 400 for a JSON body nested deeper than 64 levels, before validation, changing nothing", async () => {
    const a = await boot();
    const deep = `{"prompt":"x","metadata":${"[".repeat(70)}${"]".repeat(70)}}`;
    const res = await a.inject({ method: "POST", url: "/v1/runs", headers: { "content-type": "application/json" }, payload: deep });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe("CODEXD_BODY_TOO_DEEP");
    expect(daemon!.store.listRuns()).toHaveLength(0);
  });

  it("limits changing requests per client per minute, not reads", async () => {
    const a = await boot({ CODEXD_RATE_LIMIT_PER_MINUTE: "3" });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await a.inject({ method: "POST", url: "/v1/child/wait?condition=ready&timeoutMs=1" })).statusCode);
    expect(codes.slice(0, 3)).toEqual([200, 200, 200]);
    expect(codes.slice(3)).toEqual([429, 429]);
    const limited = await a.inject({ method: "POST", url: "/v1/child/wait?condition=ready&timeoutMs=1" });
    expect(limited.headers["content-type"]).toContain("application/problem+json");
    expect(limited.json().code).toBe("CODEXD_RATE_LIMITED");
    for (let i = 0; i < 10; i++) expect((await a.inject({ url: "/v1/status" })).statusCode).toBe(200);
  });
});

describe("metrics", () => {
  it("serves Prometheus text with HTTP, child, session, run, event log, flush and stream metrics", async () => {
    const a = await boot();
    await a.inject({ url: "/v1/status" });
    await a.inject({ url: "/nope" });
    await daemon!.store.recordEvent({ level: "info", type: "test.flushed", message: "one durable flush after the app exists" });
    const res = await a.inject({ url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/plain");
    const text = res.body;
    expect(text).toMatch(/codexd_http_requests_total\{method="GET",route="\/v1\/status",status="200"\} 1/);
    expect(text).toMatch(/codexd_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/status"/);
    expect(text).toMatch(/codexd_child_status\{status="(starting|running)"\} 1/);
    expect(text).toMatch(/# TYPE codexd_child_restarts_total counter\ncodexd_child_restarts_total 0\n/);
    expect(text).toMatch(/codexd_sessions\{status="idle"\} 0/);
    expect(text).toMatch(/codexd_runs\{status="queued"\} 0/);
    expect(text).toMatch(new RegExp(`codexd_event_last_seq ${daemon!.store.lastSeq}`));
    expect(text).toMatch(/codexd_store_flush_duration_seconds_count [1-9]/);
    expect(text).toMatch(/codexd_sse_subscribers 0/);
    expect(text).toMatch(/codexd_process_resident_memory_bytes/);
  });

  it("counts the registry's sessions and runs by status, following every write", async () => {
    const a = await boot();
    const now = new Date().toISOString();
    const store = daemon!.store;
    for (let i = 0; i < 3; i++) await store.upsertSession({ sessionId: `s${i}`, status: "idle", createdAt: now, updatedAt: now, currentTurnId: null } as unknown as SessionRecord);
    await store.closeSession("s0");
    for (let i = 0; i < 4; i++) await store.upsertRun({ runId: `r${i}`, status: i < 3 ? "completed" : "failed", createdAt: now, updatedAt: now } as unknown as RunRecord);
    const text = (await a.inject({ url: "/metrics" })).body;
    expect(text).toMatch(/codexd_sessions\{status="idle"\} 2\n/);
    expect(text).toMatch(/codexd_sessions\{status="closed"\} 1\n/);
    expect(text).toMatch(/codexd_runs\{status="completed"\} 3\n/);
    expect(text).toMatch(/codexd_runs\{status="failed"\} 1\n/);
    expect(text).toMatch(/codexd_runs\{status="queued"\} 0\n/);
  });
});
