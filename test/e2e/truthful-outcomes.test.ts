/**
 * Every turn and run ends in bounded time and reports what Codex did (issue 13), against the fake
 * app-server's fault modes: the account state at ready, endless retries, an abandoned stream, a
 * model answering an HTTP error, a child that hangs after initialize, lazy resume, deprecation
 * notices.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CodexdEvent } from "../../schemas/events.js";
import type { RunRecord } from "../../schemas/runs.js";
import { waitUntil } from "../helpers/deadline.js";
import { logCapture } from "../helpers/log-capture.js";
import { startSessionsDaemon, type SessionsDaemon, type SessionsDaemonOptions } from "../helpers/sessions-daemon.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

async function start(options: SessionsDaemonOptions = {}): Promise<SessionsDaemon> {
  const d = await startSessionsDaemon({ ...options, settings: { CODEXD_CHILD_LIVENESS_INTERVAL_MS: "0", ...options.settings } });
  cleanups.push(d.close);
  return d;
}

async function runTo(d: SessionsDaemon, body: Record<string, unknown>): Promise<RunRecord> {
  const created = await d.api.post<RunRecord>("/v1/runs", body);
  expect(created.status, JSON.stringify(created.body)).toBe(202);
  return waitUntil(
    async () => {
      const run = (await d.api.get<RunRecord>(`/v1/runs/${created.body.runId}`, { waitMs: 5000 })).body;
      return ["completed", "failed", "cancelled", "timed_out", "interrupted"].includes(run.status) && run;
    },
    { timeoutMs: 30_000, what: "the run's end" },
  );
}

const requestsIn = (log: string, method: string) => log.split("\n").filter((l) => l.endsWith(` ${method}`) && / request \S+ /.test(l));
const paramsIn = (log: string) => log.split("\n").filter((l) => / params of \S+: /.test(l)).map((l) => l.slice(l.indexOf(": {") + 2));

describe("the account at child ready", { timeout: 90_000 }, () => {
  it("a provider that needs no OpenAI auth: ready, and the status says so", async () => {
    const { api } = await start();
    const status = await waitUntil(async () => {
      const body = (await api.get("/v1/status")).body;
      return body.codex.account.status !== "unknown" && body;
    }, { what: "the account read", timeoutMs: 30_000 });
    expect(status.codex.account).toMatchObject({ status: "signedOut", signedIn: false, authMode: null, planType: null, requiresOpenaiAuth: false, error: null });
    expect((await api.get("/readyz")).status).toBe(200);
    expect(JSON.stringify(status)).not.toContain("fake@example.invalid");
  });

  it("an account read answered too late at ready is asked again until one answers: unknown first, then known", async () => {
    // Far later than the 2 s codexd waits at ready: a timeout is judged once the input already
    // waiting is read, so on a starved machine an answer only a little late would still count.
    const { api } = await start({ childExtra: { FAKE_APP_SERVER_FAULTS: "slow-account", FAKE_ACCOUNT_DELAY_MS: "120000", FAKE_REQUIRES_OPENAI_AUTH: "1" } });
    const known = await waitUntil(async () => {
      const body = (await api.get("/v1/status")).body;
      return body.codex.account.status !== "unknown" && body;
    }, { what: "the account read asked again", timeoutMs: 60_000 });
    expect(known.codex.account).toMatchObject({ status: "signedOut", signedIn: false, requiresOpenaiAuth: true, error: null });
    expect((await api.get("/readyz")).status).toBe(503);
    const accountEvents = await api.events({ type: "codex.account" });
    expect(accountEvents.map((e) => [e.level, e.detail?.status])).toEqual([["warn", "unknown"], ["warn", "signedOut"]]);
    expect(accountEvents[0]!.detail?.error).toMatch(/^account\/read failed: /);
  });

  it("a provider that needs OpenAI auth without a sign-in: /readyz 503 'codex is not signed in' until account/updated says signed in", async () => {
    const dir = await mkdtemp(join(tmpdir(), "codexd-login-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const loginFile = join(dir, "login");
    const { api } = await start({ childExtra: { FAKE_REQUIRES_OPENAI_AUTH: "1", FAKE_LOGIN_WHEN_FILE: loginFile, FAKE_LOGIN_AS: "chatgpt", FAKE_PLAN: "pro" } });
    const notReady = await waitUntil(async () => {
      const r = await api.get("/readyz");
      return r.status === 503 && r;
    }, { what: "readyz 503", timeoutMs: 30_000 });
    expect(notReady.body).toMatchObject({ code: "CODEXD_NOT_READY", reasons: ["codex is not signed in"] });
    const status = (await api.get("/v1/status")).body;
    expect(status.daemon).toMatchObject({ ready: false, notReadyReasons: ["codex is not signed in"] });
    expect(status.codex.account).toMatchObject({ status: "signedOut", signedIn: false, requiresOpenaiAuth: true });
    expect(status.child.status).toBe("running");

    // account/updated: read again, now signed in with ChatGPT (plan shown, e-mail never).
    await writeFile(loginFile, "");
    const ready = await waitUntil(async () => {
      const r = await api.get("/readyz");
      return r.status === 200 && r;
    }, { what: "readyz 200 after the sign-in", timeoutMs: 30_000 });
    expect(ready.body.checks).toMatchObject({ codexAccount: true });
    const after = (await api.get("/v1/status")).body;
    expect(after.codex.account).toMatchObject({ status: "signedIn", signedIn: true, authMode: "chatgpt", planType: "pro", requiresOpenaiAuth: true });
    expect(JSON.stringify(after)).not.toContain("fake@example.invalid");
    // On a loaded machine the read at ready may time out first: recorded as unknown, then asked again.
    const accountEvents = await api.events({ type: "codex.account" });
    const [timedOut, known] = [accountEvents.filter((e) => e.detail?.status === "unknown"), accountEvents.filter((e) => e.detail?.status !== "unknown")];
    expect(known.map((e) => [e.level, e.detail?.status])).toEqual([["warn", "signedOut"], ["info", "signedIn"]]);
    for (const e of timedOut) expect(e.detail?.error).toMatch(/timed out/);
  });
});

describe("retries are not progress", () => {
  it("a turn that only retries is interrupted after retryGiveUpMs and fails CODEXD_MODEL_UNREACHABLE; its run fails with the same error at once", async () => {
    const { lines, logger } = logCapture();
    const d = await start({ settings: { CODEXD_TURN_RETRY_GIVE_UP_MS: "1500" }, logger });
    const run = await runTo(d, { prompt: "[retry-forever] hello?" });
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({
      code: "CODEXD_MODEL_UNREACHABLE",
      codexErrorInfo: { responseStreamDisconnected: { httpStatusCode: null } },
      httpStatus: null,
      additionalDetails: "Connection failed: error sending request",
    });
    expect(run.error!.message).toContain("Connection failed: error sending request");
    expect(run.error!.message).toMatch(/^the model could not be reached/);
    const turn = await d.api.getTurn(run.sessionId!, run.turnId!);
    expect(turn.status).toBe("failed");
    expect(turn.error).toMatchObject({ code: run.error!.code, message: run.error!.message, additionalDetails: "Connection failed: error sending request" });
    expect(await d.api.events({ type: "turn.gave_up", sessionId: run.sessionId! })).toHaveLength(1);
    // Many retries, one warn line for the first of them (and one for giving up).
    expect((await d.api.events({ type: "turn.retrying", sessionId: run.sessionId! })).length).toBeGreaterThan(1);
    const retryLines = lines.filter((l) => String(l.msg).includes("Codex is retrying"));
    expect(retryLines).toHaveLength(1);
    expect(retryLines[0]).toMatchObject({ level: 40, turnId: run.turnId, additionalDetails: "Connection failed: error sending request" });
  });

  it("retries followed by progress are not given up on", async () => {
    const d = await start({ settings: { CODEXD_TURN_RETRY_GIVE_UP_MS: "1500" } });
    const run = await runTo(d, { prompt: "[retry-error] [delay:2000] slow but fine" });
    expect(run).toMatchObject({ status: "completed", finalMessage: "echo: [retry-error] [delay:2000] slow but fine", error: null });
  });
});

describe("abandoned partial messages", () => {
  it("a stream cut once leaves exactly one completed agent message; while running the text in progress is marked partial", async () => {
    const { api } = await start();
    const s = await api.createSession();
    const input = "[abandon] [delay:1500] the reply";
    const { turnId } = await api.startTurn(s.sessionId, input);
    // During the delay: the abandoned message is gone, the new one is in progress.
    const midway = await api.waitTurn(s.sessionId, turnId, (t) => t.items.some((i) => i.type === "agentMessage" && i.partial === true && String(i.text).startsWith("echo:")));
    expect(midway.status).toBe("inProgress");
    expect(midway.finalMessage).toBeNull();
    expect(midway.items.filter((i) => i.type === "agentMessage")).toHaveLength(1);
    expect(JSON.stringify(midway.items)).not.toContain("partial text");

    const done = await api.waitTurn(s.sessionId, turnId);
    expect(done.status).toBe("completed");
    const messages = done.items.filter((i) => i.type === "agentMessage");
    expect(messages).toEqual([expect.objectContaining({ text: `echo: ${input}` })]);
    expect(done.items.some((i) => "partial" in i)).toBe(false);
    expect(done.finalMessage).toBe(`echo: ${input}`);
  });

  it("an interrupted turn keeps no partial message and has no final message", async () => {
    const { api } = await start();
    const s = await api.createSession();
    const { turnId } = await api.startTurn(s.sessionId, "[delay:30000] never finished");
    await api.waitTurn(s.sessionId, turnId, (t) => t.items.some((i) => i.partial === true));
    expect((await api.post(`/v1/sessions/${s.sessionId}/interrupt`)).status).toBe(202);
    const done = await api.waitTurn(s.sessionId, turnId);
    expect(done).toMatchObject({ status: "interrupted", finalMessage: null });
    expect(done.items.filter((i) => i.type === "agentMessage")).toEqual([]);
  });

  it("a turn's updatedAt is the time of its last change, not of the request", async () => {
    const { api } = await start();
    const s = await api.createSession();
    const { turnId } = await api.startTurn(s.sessionId, "[silent] quiet");
    const first = await api.waitTurn(s.sessionId, turnId, (t) => t.status === "inProgress");
    const later = Date.now() + 1100;
    await waitUntil(() => Date.now() >= later, { what: "a second to pass", intervalMs: 50 });
    expect((await api.getTurn(s.sessionId, turnId)).updatedAt).toBe(first.updatedAt);
  });
});

describe("errors that say what happened", () => {
  it("a model answering 500: the run fails naming the status, with Codex's structured error", async () => {
    const d = await start();
    const run = await runTo(d, { prompt: "[fail-http:500] hi" });
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ code: "CODEXD_TURN_FAILED", codexErrorInfo: "internalServerError", httpStatus: 500, additionalDetails: null });
    expect(run.error!.message).toBe("the model server answered HTTP 500: We\u2019re currently experiencing high demand, which may cause temporary errors.");
    expect(run.finalMessage).toBeNull();
  });

  it("a model answering 401: the status comes from codexErrorInfo", async () => {
    const d = await start();
    const run = await runTo(d, { prompt: "[fail-http:401] hi" });
    expect(run.error).toMatchObject({ code: "CODEXD_TURN_FAILED", httpStatus: 401, codexErrorInfo: { responseStreamDisconnected: { httpStatusCode: 401 } } });
    expect(run.error!.message).toMatch(/^the model server answered HTTP 401: /);
  });

  it("a child that hangs after initialize: 504 CODEXD_CHILD_TIMEOUT naming the method and the wait, and the state as it is", async () => {
    const { api } = await start({ settings: { CODEXD_CODEX_REQUEST_TIMEOUT_MS: "700" }, childExtra: { FAKE_APP_SERVER_FAULTS: "hang-after-init" } });
    const reply = await api.post("/v1/sessions", {});
    expect(reply.status, JSON.stringify(reply.body)).toBe(504);
    expect(reply.body).toMatchObject({ code: "CODEXD_CHILD_TIMEOUT", method: "thread/start", timeoutMs: 700, currentState: "running" });
    expect(reply.body.detail).toBe("thread/start was not answered within 700 ms (the child is running)");
    // The account could not be read either: unknown, and that does not hold readiness.
    const status = await waitUntil(async () => {
      const body = (await api.get("/v1/status")).body;
      return body.codex.account.error !== null && body;
    }, { what: "the account read to time out" });
    expect(status.codex.account).toMatchObject({ status: "unknown", signedIn: null });
    expect(status.codex.account.error).toContain("account/read");
  });
});

describe("no work for nothing", () => {
  it("after a child restart no thread is resumed until its session is used; then once, without its history", async () => {
    const fakeState = await mkdtemp(join(tmpdir(), "codexd-fake-state-"));
    cleanups.push(() => rm(fakeState, { recursive: true, force: true }));
    const d = await start({ childExtra: { FAKE_STATE_DIR: fakeState } });
    const { api, daemon } = d;
    const sessions = [];
    for (let i = 0; i < 3; i++) {
      const s = await api.createSession();
      await api.waitTurn(s.sessionId, (await api.startTurn(s.sessionId, `warm ${i}`)).turnId);
      sessions.push(s);
    }
    const pidBefore = daemon.child.state.pid;
    expect((await api.post("/v1/child/restart")).status).toBe(200);
    await waitUntil(() => daemon.child.ready && daemon.child.state.pid !== pidBefore, { what: "the restarted child" });
    const stderrLog = daemon.config.paths.stderrLogPath;
    await waitUntil(async () => (await readFile(stderrLog, "utf8")).split("\n").filter((l) => l.endsWith(" initialize")).length === 2, { what: "the second child's initialize in its log" });
    expect(requestsIn(await readFile(stderrLog, "utf8"), "thread/resume")).toEqual([]);

    const used = sessions[1]!;
    const turn = await api.waitTurn(used.sessionId, (await api.startTurn(used.sessionId, "after the restart")).turnId);
    expect(turn).toMatchObject({ status: "completed", threadId: used.threadId });
    const log = await readFile(stderrLog, "utf8");
    expect(requestsIn(log, "thread/resume")).toHaveLength(1);
    expect(paramsIn(log)).toEqual([JSON.stringify({ excludeTurns: true })]);
    expect(await api.events({ type: "codex.deprecation" })).toEqual([]);
  });

  it("the silence watchdog reads the thread without its turns", async () => {
    const d = await start({ settings: { CODEXD_TURN_SILENCE_TIMEOUT_MS: "800" } });
    const s = await d.api.createSession();
    const { turnId } = await d.api.startTurn(s.sessionId, "[silent] quiet");
    expect(await d.api.waitTurn(s.sessionId, turnId)).toMatchObject({ status: "failed", error: { code: "CODEXD_TURN_SILENT" } });
    const log = await readFile(d.daemon.config.paths.stderrLogPath, "utf8");
    expect(requestsIn(log, "thread/read").length).toBeGreaterThan(0);
    expect(paramsIn(log)).toEqual(requestsIn(log, "thread/read").map(() => JSON.stringify({})));
  });

  it("Codex's deprecation notices are recorded once, at warn", async () => {
    const { lines, logger } = logCapture();
    const d = await start({ logger });
    const s = await d.api.createSession();
    for (const input of ["[deprecated] one", "[deprecated] two"]) await d.api.waitTurn(s.sessionId, (await d.api.startTurn(s.sessionId, input)).turnId);
    const events: CodexdEvent[] = await d.api.events({ type: "codex.deprecation" });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ level: "warn", message: "Full-history hydration is deprecated for paginated threads (fake)" });
    expect(lines.filter((l) => String(l.msg).startsWith("Codex deprecation notice"))).toHaveLength(1);
    expect(await d.api.events({ type: "codex.notification" }).then((all) => all.filter((e) => e.message === "deprecationNotice"))).toEqual([]);
  });
});
