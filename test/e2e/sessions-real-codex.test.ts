/**
 * Sessions, turns and approvals with the REAL pinned Codex CLI (@openai/codex, the default child
 * command) as the daemon's child, fully offline: its CODEX_HOME points it at the fake model
 * server (test/fixtures/fake-model-server.ts). Driven over real HTTP against an in-process daemon
 * listening on 127.0.0.1.
 *
 * Every wait is a deadline poll of the API; nothing sleeps and hopes.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createCodexHome } from "../fixtures/codex-home.js";
import { replyWith, shellThenReply, startFakeModelServer, type FakeModelServer } from "../fixtures/fake-model-server.js";
import { waitUntil } from "../helpers/deadline.js";
import { startSessionsDaemon, type SessionsDaemon } from "../helpers/sessions-daemon.js";

const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  const errors: unknown[] = [];
  for (const fn of cleanups.splice(0).reverse()) await fn().catch((e: unknown) => errors.push(e));
  if (errors.length > 0) throw errors[0];
});

interface RealSetup {
  d: SessionsDaemon;
  model: FakeModelServer;
  /** The session's working directory (the command's cwd). */
  work: string;
}

async function startReal(settings: Record<string, string> = {}): Promise<RealSetup> {
  const model = await startFakeModelServer();
  cleanups.push(() => model.close());
  const home = await createCodexHome({ modelServerUrl: model.url });
  cleanups.push(() => home.cleanup());
  const work = await mkdtemp(join(tmpdir(), "codexd-real-work-"));
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  const d = await startSessionsDaemon({ fake: false, childEnv: home.env, settings });
  cleanups.push(d.close);
  expect(d.daemon.config.server.childCommand).toMatch(/@openai\/codex\/bin\/codex\.js$/);
  return { d, model, work };
}

const itemsOf = (items: Array<Record<string, unknown>>, type: string) => items.filter((i) => i.type === type);

describe("sessions with the real Codex CLI", () => {
  it("runs a turn; GET turn gives the fake model's reply as the final message", async () => {
    const { d, model, work } = await startReal();
    const { api } = d;
    model.setScript(replyWith("Hello from the fake model."));
    const s = await api.createSession({ cwd: work });
    expect(s).toMatchObject({ status: "idle", cwd: work });
    expect(s.threadId).toMatch(/^[0-9a-f-]{36}$/);

    const { turnId } = await api.startTurn(s.sessionId, "say hello");
    const turn = await api.waitTurn(s.sessionId, turnId, undefined, 20_000);
    expect(turn).toMatchObject({ status: "completed", error: null, finalMessage: "Hello from the fake model.", threadId: s.threadId });
    expect(itemsOf(turn.items, "userMessage")).toHaveLength(1);
    expect(itemsOf(turn.items, "agentMessage")).toEqual([expect.objectContaining({ text: "Hello from the fake model." })]);
    expect(turn.usage).toMatchObject({ last: { outputTokens: 7 } });
    expect(model.responsesRequests()).toHaveLength(1);
    expect(model.responsesRequests()[0]!.rawBody).toContain("say hello");

    expect(await api.waitEvent({ type: "turn.completed", sessionId: s.sessionId })).toMatchObject({ turnId, detail: { status: "completed" } });
    expect((await api.getSession(s.sessionId))).toMatchObject({ status: "idle", currentTurnId: null, turnCount: 1 });
  });

  it("an escalated command waits in GET /v1/approvals; accept runs it and the turn completes", async () => {
    const { d, model, work } = await startReal();
    const { api } = d;
    model.setScript(shellThenReply(["touch", "approved.txt"], { escalated: true, justification: "create the file" }, "created it"));
    const s = await api.createSession({ cwd: work, approvalPolicy: "on-request", sandbox: "workspace-write" });
    const { turnId } = await api.startTurn(s.sessionId, "please create approved.txt");

    const approval = await api.waitPendingApproval(s.sessionId, 20_000);
    expect(approval).toMatchObject({
      kind: "commandExecution",
      status: "pending",
      sessionId: s.sessionId,
      threadId: s.threadId,
      turnId,
      cwd: work,
      reason: "create the file",
      availableDecisions: ["accept", { acceptWithExecpolicyAmendment: { execpolicy_amendment: ["touch", "approved.txt"] } }, "cancel"],
    });
    expect(approval.command).toContain("touch approved.txt");
    expect(existsSync(join(work, "approved.txt"))).toBe(false);
    // The pinned CLI offers no plain decline.
    const refused = await api.decide(approval.approvalId, "decline");
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: "CODEXD_DECISION_NOT_OFFERED" });

    const decided = await api.decide(approval.approvalId, "accept");
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect(decided.body).toMatchObject({ status: "resolved", decision: "accept", decidedBy: "operator" });

    const turn = await api.waitTurn(s.sessionId, turnId, undefined, 20_000);
    expect(turn).toMatchObject({ status: "completed", finalMessage: "created it" });
    expect(existsSync(join(work, "approved.txt"))).toBe(true);
    expect(itemsOf(turn.items, "commandExecution")).toEqual([expect.objectContaining({ id: approval.itemId, status: "completed", exitCode: 0 })]);
    expect(model.responsesRequests()).toHaveLength(2);
    expect(await api.events({ type: "approval.decided", sessionId: s.sessionId })).toHaveLength(1);
  });

  it("the offered deny (cancel) leaves no file and ends the turn interrupted", async () => {
    const { d, model, work } = await startReal();
    const { api } = d;
    model.setScript(shellThenReply(["touch", "denied.txt"], { escalated: true, justification: "create the file" }, "should not be said"));
    const s = await api.createSession({ cwd: work, approvalPolicy: "on-request", sandbox: "workspace-write" });
    const { turnId } = await api.startTurn(s.sessionId, "please create denied.txt");

    const approval = await api.waitPendingApproval(s.sessionId, 20_000);
    expect(approval.availableDecisions).toContain("cancel");
    const decided = await api.decide(approval.approvalId, "cancel");
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect(decided.body).toMatchObject({ status: "resolved", decision: "cancel" });

    const turn = await api.waitTurn(s.sessionId, turnId, undefined, 20_000);
    expect(turn.status).toBe("interrupted");
    expect(turn.finalMessage).toBeNull();
    expect(existsSync(join(work, "denied.txt"))).toBe(false);
    expect(itemsOf(turn.items, "commandExecution")).toEqual([expect.objectContaining({ status: "declined" })]);
    // No further model call after the deny.
    expect(model.responsesRequests()).toHaveLength(1);
    expect((await api.getSession(s.sessionId)).status).toBe("idle");
    // The session goes on: a plain turn after the interrupted one completes.
    model.setScript(replyWith("still here"));
    const next = await api.startTurn(s.sessionId, "are you there?");
    expect(await api.waitTurn(s.sessionId, next.turnId, undefined, 20_000)).toMatchObject({ status: "completed", finalMessage: "still here" });
  });

  // Fails with src/sessions/turn-service.ts as it is: the watchdog skips a turn while an approval is
  // pending, but the time spent waiting still counts as silence once it is answered (lastActivity is
  // only refreshed by notifications carrying the turnId, and serverRequest/resolved carries none), so
  // the next watchdog tick fails a turn whose approved command is running.
  it("time spent waiting on an approval is not silence: an approved short command completes", async () => {
    // 0.171.0 sends nothing for a while after an approved command (seen: over 8 s here), so the
    // silence timeout leaves it room; the operator still takes longer. With 0.171.0 the turn of an
    // approved `sleep 1.2 && touch slow.txt` ended before the file was there: a plain touch.
    const { d, model, work } = await startReal({ CODEXD_TURN_SILENCE_TIMEOUT_MS: "15000" });
    const { api } = d;
    model.setScript(shellThenReply(["touch", "slow.txt"], { escalated: true, justification: "slow but fine" }, "slow done"));
    const s = await api.createSession({ cwd: work, approvalPolicy: "on-request", sandbox: "workspace-write" });
    const { turnId } = await api.startTurn(s.sessionId, "please run the slow command");
    const approval = await api.waitPendingApproval(s.sessionId, 20_000);
    // The operator takes longer than the silence timeout to decide (the watchdog must leave it alone).
    const decideAt = Date.parse(approval.createdAt) + 15_500;
    await waitUntil(() => Date.now() >= decideAt, { what: "the operator's pause", intervalMs: 50, timeoutMs: 30_000 });
    expect((await api.getTurn(s.sessionId, turnId)).status).toBe("inProgress");
    expect((await api.decide(approval.approvalId, "accept")).status).toBe(200);

    const turn = await api.waitTurn(s.sessionId, turnId, undefined, 40_000);
    expect(turn.error).toBeNull();
    expect(turn).toMatchObject({ status: "completed", finalMessage: "slow done" });
    expect(existsSync(join(work, "slow.txt"))).toBe(true);
    expect(await api.events({ type: "turn.silent", sessionId: s.sessionId })).toEqual([]);
  }, 90_000);

  // Fails with src/child/supervisor.ts + src/daemon.ts as they are: transition() sets the status
  // (so GET /v1/child, /readyz and child.connection say running) before the durable write, and only
  // after it calls the state listeners, one of which starts resumeAll() for the new connection. A
  // session created in between is taken for one of the previous connection: the pinned CLI cannot
  // resume a thread without a turn, so the brand-new session's thread is replaced at once (the
  // threadId in the 201 answer is gone). A slow disk (here: the durable write of that transition
  // made 300 ms slower) widens the window; under load it was seen with no injection at all.
  it("a session created the moment the child reads running keeps its thread", async () => {
    const model = await startFakeModelServer({ script: replyWith("kept") });
    cleanups.push(() => model.close());
    const home = await createCodexHome({ modelServerUrl: model.url });
    cleanups.push(() => home.cleanup());
    const work = await mkdtemp(join(tmpdir(), "codexd-real-work-"));
    cleanups.push(() => rm(work, { recursive: true, force: true }));
    const d = await startSessionsDaemon({
      fake: false,
      childEnv: home.env,
      waitReady: false,
      beforeStart: (daemon) => {
        const store = daemon.store;
        const record = store.recordEvent.bind(store);
        store.recordEvent = async (input) => {
          const event = await record(input);
          if (input.type === "child.state_changed" && input.detail?.to === "running") await new Promise((r) => setTimeout(r, 300));
          return event;
        };
      },
    });
    cleanups.push(d.close);
    const { api, daemon } = d;
    await waitUntil(() => daemon.child.state.status === "running", { intervalMs: 2, timeoutMs: 20_000, what: "status running" });
    const s = await api.createSession({ cwd: work });

    // Once the running transition is durable the daemon has reacted to it; give a replacement a
    // bounded second to show up.
    await waitUntil(async () => (await daemon.store.queryEvents({ type: "child.state_changed", limit: 1000 })).events.some((e) => e.detail?.to === "running"), { what: "running transition" });
    const until = Date.now() + 1_000;
    const moved = await waitUntil(
      async () => (await api.events({ sessionId: s.sessionId })).filter((e) => e.type === "session.thread_replaced" || e.type === "session.resumed").at(0) ?? Date.now() >= until,
      { what: "a replacement or the end of the window" },
    );
    expect(moved, `the new session was touched by the start-up resume: ${JSON.stringify(moved)}`).toBe(true);
    expect((await api.getSession(s.sessionId)).threadId).toBe(s.threadId);
    const { turnId } = await api.startTurn(s.sessionId, "still the same thread?");
    expect(await api.waitTurn(s.sessionId, turnId, undefined, 20_000)).toMatchObject({ status: "completed", finalMessage: "kept", threadId: s.threadId });
  });
});
