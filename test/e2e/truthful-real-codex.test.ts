/**
 * Issue 13 through the REAL pinned Codex CLI, offline against test/fixtures/fake-model-server.ts
 * (or against nothing at all): a model provider nobody listens for ends the run failed with
 * CODEXD_MODEL_UNREACHABLE (Codex alone would retry "waiting for network" for ever); a stream cut
 * once leaves exactly one completed agent message; the account state is read at ready.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RunRecord } from "../../schemas/runs.js";
import { createCodexHome } from "../fixtures/codex-home.js";
import { startFakeModelServer } from "../fixtures/fake-model-server.js";
import { waitUntil } from "../helpers/deadline.js";
import { freePort } from "../helpers/processes.js";
import { startSessionsDaemon, type SessionsDaemon } from "../helpers/sessions-daemon.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

async function daemonFor(modelServerUrl: string, settings: Record<string, string> = {}, home: { streamMaxRetries?: number; requiresOpenaiAuth?: boolean } = {}): Promise<SessionsDaemon> {
  const codexHome = await createCodexHome({ modelServerUrl, ...home });
  cleanups.push(() => codexHome.cleanup());
  const d = await startSessionsDaemon({ fake: false, childEnv: codexHome.env, settings: { CODEXD_CHILD_LIVENESS_INTERVAL_MS: "0", ...settings } });
  cleanups.push(d.close);
  return d;
}

async function runTo(d: SessionsDaemon, prompt: string): Promise<RunRecord> {
  const created = await d.api.post<RunRecord>("/v1/runs", { prompt });
  expect(created.status, JSON.stringify(created.body)).toBe(202);
  return waitUntil(
    async () => {
      const run = (await d.api.get<RunRecord>(`/v1/runs/${created.body.runId}`, { waitMs: 5000 })).body;
      return !["queued", "running"].includes(run.status) && run;
    },
    { timeoutMs: 60_000, what: "the run's end" },
  );
}

describe("issue 13 with the real Codex CLI", () => {
  it("a provider whose base_url points at a closed port: the run fails CODEXD_MODEL_UNREACHABLE naming Codex's cause", async () => {
    const closed = await freePort();
    const d = await daemonFor(`http://127.0.0.1:${closed}/v1`, { CODEXD_TURN_RETRY_GIVE_UP_MS: "4000" });
    const run = await runTo(d, "is anybody there?");
    expect(run.status, JSON.stringify(run.error)).toBe("failed");
    expect(run.error).toMatchObject({ code: "CODEXD_MODEL_UNREACHABLE", httpStatus: null, additionalDetails: expect.any(String) });
    // The message names the cause Codex gave (its additionalDetails).
    expect(run.error!.message).toContain(run.error!.additionalDetails!);
    const turn = await d.api.getTurn(run.sessionId!, run.turnId!);
    expect(turn).toMatchObject({ status: "failed", error: { code: "CODEXD_MODEL_UNREACHABLE" }, finalMessage: null });
    expect((await d.api.events({ type: "turn.retrying", sessionId: run.sessionId! })).length).toBeGreaterThan(0);
  }, 90_000);

  it("a stream cut once: Codex retries; the turn holds exactly one completed agent message, the final one", async () => {
    const model = await startFakeModelServer({
      script: (ctx) => (ctx.callIndex === 0 ? { kind: "text", text: "partial text that is never finished", chunks: ["partial ", "text ", "that is never finished"], cutAfter: 2 } : { kind: "text", text: "the whole answer" }),
    });
    cleanups.push(() => model.close());
    const d = await daemonFor(model.url, {}, { streamMaxRetries: 1 });
    const run = await runTo(d, "answer me");
    expect(run).toMatchObject({ status: "completed", finalMessage: "the whole answer", error: null });
    expect(model.responsesRequests()).toHaveLength(2);
    const turn = await d.api.getTurn(run.sessionId!, run.turnId!);
    expect(turn.items.filter((i) => i.type === "agentMessage")).toEqual([expect.objectContaining({ text: "the whole answer" })]);
    expect(JSON.stringify(turn.items)).not.toContain("partial text");
    expect(await d.api.events({ type: "turn.retrying", sessionId: run.sessionId! })).toHaveLength(1);
  }, 90_000);

  it("the account at ready: a provider that needs OpenAI auth without a sign-in makes /readyz 503; one that needs none is ready", async () => {
    const model = await startFakeModelServer();
    cleanups.push(() => model.close());
    const open = await daemonFor(model.url);
    const status = await waitUntil(async () => {
      const body = (await open.api.get("/v1/status")).body;
      return body.codex.account.status !== "unknown" && body;
    }, { what: "the account read" });
    expect(status.codex.account).toMatchObject({ status: "signedOut", signedIn: false, requiresOpenaiAuth: false });
    expect((await open.api.get("/readyz")).status).toBe(200);

    const needsAuth = await daemonFor(model.url, {}, { requiresOpenaiAuth: true });
    const notReady = await waitUntil(async () => {
      const r = await needsAuth.api.get("/readyz");
      return r.status === 503 && r;
    }, { what: "readyz 503" });
    expect(notReady.body.reasons).toEqual(["codex is not signed in"]);
    expect((await needsAuth.api.get("/v1/status")).body.codex.account).toMatchObject({ status: "signedOut", signedIn: false, requiresOpenaiAuth: true });
  }, 90_000);
});
