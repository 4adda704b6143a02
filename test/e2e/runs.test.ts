/**
 * Runs end to end, over real HTTP, with the fake app-server (a real child process) as the
 * daemon's child. Most tests run the daemon in this process, listening on 127.0.0.1
 * (test/helpers/runs-daemon.ts); where the daemon itself must die or stop (kill -9, SIGTERM)
 * it is `node dist/src/cli.js serve` as a real process (test/helpers/daemon-process.ts). Turn
 * directives in the prompt steer the fake (test/fixtures/README.md). Every wait is a long-poll
 * or a deadline-bounded poll. Needs a build (`npm run build`; `npm test` builds first).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CodexdEvent } from "../../schemas/events.js";
import type { RunRecord } from "../../schemas/runs.js";
import { waitUntil } from "../helpers/deadline.js";
import { createWorkspace, type DaemonProcess, type Workspace } from "../helpers/daemon-process.js";
import { RUN_END_EVENTS, RunsApi, countChildRequests, snapshotDir } from "../helpers/runs-api.js";
import { startRunsDaemon, type RunsDaemon, type RunsDaemonOptions } from "../helpers/runs-daemon.js";

let ws: Workspace | undefined;
const inProcess: RunsDaemon[] = [];

beforeEach(() => {
  ws = undefined;
});

afterEach(async () => {
  // Stop in-process daemons (and their children); kill every daemon process of the test and
  // every process they led to; remove the temp dirs.
  // Newest first: a restarted daemon stops before the one that owns its state dir removes it.
  const failures: unknown[] = [];
  for (const d of inProcess.splice(0).reverse()) await d.close().catch((error: unknown) => failures.push(error));
  await ws?.cleanup().catch((error: unknown) => failures.push(error));
  if (failures.length > 0) throw failures[0];
});

interface Started {
  api: RunsApi;
  stateDir: string;
  /** Until the child (first or restarted) answers `initialize`. */
  childReady: () => Promise<void>;
}

/** A daemon in this process, listening on a real socket, with the fake child up. */
async function daemon(env: Record<string, string> = {}, options: RunsDaemonOptions = {}): Promise<Started & { d: RunsDaemon }> {
  const d = await startRunsDaemon(env, options);
  inProcess.push(d);
  return {
    d,
    api: d.api,
    stateDir: d.stateDir,
    childReady: async () => {
      const { matched, state } = await d.daemon.child.waitFor("ready", 10_000, ["fatal"]);
      if (!matched) throw new Error(`child not ready: ${JSON.stringify(state)}`);
    },
  };
}

/** `codexd serve` as a real process on the test's workspace state dir, with the fake child up. */
async function daemonProcess(env: Record<string, string> = {}): Promise<Started & { d: DaemonProcess }> {
  ws ??= await createWorkspace();
  const d = await ws.start({ CODEXD_CHILD_LIVENESS_INTERVAL_MS: "0", ...env });
  await d.waitForChild("ready", 10_000);
  return { d, api: new RunsApi(d.baseUrl), stateDir: ws.stateDir, childReady: async () => void (await d.waitForChild("ready", 10_000)) };
}

const stderrLog = (stateDir: string) => join(stateDir, "logs", "child.stderr.log");
const ms = (iso: string | null | undefined) => Date.parse(iso ?? "");

async function createSession(api: RunsApi, body: Record<string, unknown> = {}): Promise<string> {
  const res = await api.call("POST", "/v1/sessions", { body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.sessionId as string;
}

/**
 * The run.* events of a finished run: each carries the runId; exactly one end event, of the
 * expected type, carrying the run's session; queued/started carry the session when the run
 * had one from the start.
 */
async function expectRunEvents(api: RunsApi, run: RunRecord, endType: string, createdWithSession: boolean): Promise<CodexdEvent[]> {
  const events = await api.runEvents(run.runId);
  for (const e of events) expect(e.runId, `${e.type} carries the runId`).toBe(run.runId);
  const ends = events.filter((e) => (RUN_END_EVENTS as readonly string[]).includes(e.type));
  expect(ends.map((e) => e.type)).toEqual([endType]);
  if (run.sessionId) expect(ends[0]!.sessionId, `${endType} carries the sessionId`).toBe(run.sessionId);
  const queued = events.filter((e) => e.type === "run.queued");
  expect(queued).toHaveLength(1);
  expect(queued[0]!.sessionId).toBe(createdWithSession ? run.sessionId : undefined);
  for (const started of events.filter((e) => e.type === "run.started")) {
    expect(started.sessionId).toBe(createdWithSession ? run.sessionId : undefined);
  }
  const seqs = events.map((e) => e.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(events[0]!.type).toBe("run.queued");
  expect(events.at(-1)!.type).toBe(endType);
  return events;
}

describe("a run ends in each terminal status", () => {
  it("completed: a new session, the fake's echo as finalMessage, usage, duration and ids", async () => {
    const { api } = await daemon();
    const created = await api.create({ prompt: "hello codexd", metadata: { ticket: 7 } });
    expect(created.status).toBe(202);
    expect(created.headers.get("idempotent-replayed")).toBeNull();
    expect(created.body).toMatchObject({ status: "queued", sessionId: null, turnId: null, prompt: "hello codexd", metadata: { ticket: 7 }, attempt: 0 });

    const run = await api.waitTerminal(created.body.runId);
    expect(run.status).toBe("completed");
    expect(run.finalMessage).toBe("echo: hello codexd");
    expect(run.error).toBeNull();
    expect(run.attempt).toBe(1);
    expect(run.usage).toMatchObject({ last: { inputTokens: 10, outputTokens: "echo: hello codexd".length } });
    expect(run.sessionId).toEqual(expect.any(String));
    expect(run.threadId).toEqual(expect.any(String));
    expect(run.turnId).toEqual(expect.any(String));
    expect(Number.isInteger(run.durationMs)).toBe(true);
    expect(ms(run.createdAt)).toBeLessThanOrEqual(ms(run.startedAt));
    expect(ms(run.startedAt)).toBeLessThanOrEqual(ms(run.finishedAt));
    expect(Math.abs(run.durationMs! - (ms(run.finishedAt) - ms(run.startedAt)))).toBeLessThanOrEqual(5);

    // The session was created for this run, on the run's thread, and holds the run's turn.
    const session = await api.call("GET", `/v1/sessions/${run.sessionId}`);
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ sessionId: run.sessionId, threadId: run.threadId, status: "idle", turnCount: 1, metadata: { runId: run.runId } });
    const turn = await api.call("GET", `/v1/sessions/${run.sessionId}/turns/${run.turnId}`);
    expect(turn.body).toMatchObject({ status: "completed", finalMessage: "echo: hello codexd", input: "hello codexd" });
    const sessionCreated = await api.events({ type: "session.created", sessionId: run.sessionId! });
    expect(sessionCreated).toHaveLength(1);

    const events = await expectRunEvents(api, run, "run.completed", false);
    expect(events.map((e) => e.type)).toEqual(["run.queued", "run.started", "run.completed"]);
  });

  it("failed: a turn the app-server fails ends the run failed with CODEXD_TURN_FAILED", async () => {
    const { api } = await daemon();
    const { runId } = await api.start({ prompt: "please [fail]" });
    const run = await api.waitTerminal(runId);
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ code: "CODEXD_TURN_FAILED", message: expect.stringContaining("fake failure") });
    expect(run.sessionId).toEqual(expect.any(String));
    expect(run.turnId).toEqual(expect.any(String));
    expect(run.finishedAt).toEqual(expect.any(String));
    await expectRunEvents(api, run, "run.failed", false);
  });

  it("cancelled: cancelling a running run interrupts its turn", async () => {
    const { api } = await daemon();
    const { runId } = await api.start({ prompt: "[silent] wait for me" });
    const running = await api.waitTurnStarted(runId);

    const res = await api.cancel(runId);
    expect(res.status).toBe(200);
    expect(res.body.changed).toBe(true);
    expect(res.body.run).toMatchObject({ runId, status: "cancelled", error: null });
    expect(res.body.run.durationMs).toEqual(expect.any(Number));

    const turn = await api.call("GET", `/v1/sessions/${running.sessionId}/turns/${running.turnId}`);
    expect(turn.body.status).toBe("interrupted");
    expect(await api.events({ type: "turn.interrupt_requested", sessionId: running.sessionId! })).toHaveLength(1);
    await expectRunEvents(api, res.body.run, "run.cancelled", false);
  });

  it("timed_out: a run that outlives its timeoutMs is interrupted and ends CODEXD_RUN_TIMEOUT", async () => {
    const { api } = await daemon();
    const { runId } = await api.start({ prompt: "[silent] too slow", timeoutMs: 300 });
    const run = await api.waitTerminal(runId);
    expect(run.status).toBe("timed_out");
    expect(run.error).toMatchObject({ code: "CODEXD_RUN_TIMEOUT" });
    expect(run.timeoutMs).toBe(300);
    expect(run.durationMs).toBeGreaterThanOrEqual(300);
    const turn = await api.call("GET", `/v1/sessions/${run.sessionId}/turns/${run.turnId}`);
    expect(turn.body.status).toBe("interrupted");
    await expectRunEvents(api, run, "run.timed_out", false);

    // The turn really ended: the session takes the next run at once.
    const next = await api.waitTerminal((await api.start({ prompt: "after the timeout", sessionId: run.sessionId })).runId);
    expect(next).toMatchObject({ status: "completed", finalMessage: "echo: after the timeout" });
  });

  it("interrupted: policy decline on an escalated command (no decline offered) answers cancel -> CODEXD_APPROVAL_DENIED", async () => {
    const { api } = await daemon();
    const { runId } = await api.start({ prompt: "[approval:command-escalated] run it", approvalPolicy: "decline" });
    const run = await api.waitTerminal(runId);
    expect(run.status).toBe("interrupted");
    expect(run.error).toMatchObject({ code: "CODEXD_APPROVAL_DENIED" });
    expect(run.approvals).toEqual([{ approvalId: expect.any(String), kind: "commandExecution", status: "resolved", decision: "cancel", decidedBy: "policy" }]);

    const approval = await api.call("GET", `/v1/approvals/${run.approvals![0]!.approvalId}`);
    expect(approval.body).toMatchObject({ turnId: run.turnId, decision: "cancel", availableDecisions: ["accept", { acceptWithExecpolicyAmendment: { execpolicy_amendment: ["echo"] } }, "cancel"] });
    await expectRunEvents(api, run, "run.interrupted", false);
  });

  it("completed with a declined approval: the run's decline policy wins over the session's manual one", async () => {
    const { api } = await daemon();
    // The session asks an operator (the configured default, manual); the run says decline.
    const sessionId = await createSession(api);
    const { runId } = await api.start({ prompt: "[approval:command] run it", sessionId, approvalPolicy: "decline" });
    const run = await api.waitTerminal(runId, 10_000);
    expect(run.status).toBe("completed");
    expect(run.finalMessage).toBe("echo: [approval:command] run it");
    expect(run.approvals).toEqual([{ approvalId: expect.any(String), kind: "commandExecution", status: "resolved", decision: "decline", decidedBy: "policy" }]);
    await expectRunEvents(api, run, "run.completed", true);
  });

  it("child crash during a run: failed with CODEXD_CHILD_EXITED, and the prompt is never sent again", async () => {
    const { api, stateDir, childReady } = await daemon({ CODEXD_CHILD_BACKOFF_INITIAL_MS: "100" });
    const { runId } = await api.start({ prompt: "[crash] going down" });
    const run = await api.waitTerminal(runId);
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ code: "CODEXD_CHILD_EXITED" });
    expect(run.attempt).toBe(1);
    await expectRunEvents(api, run, "run.failed", false);

    expect(run.error!.message).toBe("the child exited with code 3");

    // The supervisor brings a new child up; a later run on the same session re-attaches it (the
    // fake keeps no rollouts, so its thread is replaced) and goes through.
    await childReady();
    const after = await api.waitTerminal((await api.start({ prompt: "after the crash", sessionId: run.sessionId })).runId);
    expect(after).toMatchObject({ status: "completed", finalMessage: "echo: after the crash" });
    expect(await api.events({ type: "session.thread_replaced", sessionId: run.sessionId! })).toHaveLength(1);

    // Exactly two turn/start requests reached any child: the crashed prompt once, the later run once.
    expect(await countChildRequests(stderrLog(stateDir), "turn/start")).toBe(2);
    expect(await api.events({ type: "turn.requested", sessionId: run.sessionId! })).toHaveLength(2);
    expect(await api.run(runId)).toMatchObject({ status: "failed", attempt: 1 });
    expect((await api.runEvents(runId)).filter((e) => e.type === "run.started")).toHaveLength(1);
    expect(await api.list()).toHaveLength(2);
  });

  it("a run queued on a session while the child restarts runs on the session's re-attached thread", async () => {
    const { api } = await daemon({ CODEXD_CHILD_BACKOFF_INITIAL_MS: "300" });
    // Other open sessions are re-attached first after the restart (one at a time, in order).
    for (let i = 0; i < 20; i++) await createSession(api);
    const sessionId = await createSession(api);
    const crashed = await api.waitTerminal((await api.start({ prompt: "[crash] first", sessionId })).runId);
    expect(crashed.error).toMatchObject({ code: "CODEXD_CHILD_EXITED" });
    // The child is down (backing off): this run waits in the queue for the next one.
    const { runId } = await api.start({ prompt: "queued across the restart", sessionId });
    const run = await api.waitTerminal(runId);
    expect(run, JSON.stringify(run.error)).toMatchObject({ status: "completed", finalMessage: "echo: queued across the restart" });
    const session = await api.call("GET", `/v1/sessions/${sessionId}`);
    expect(run.threadId).toBe(session.body.threadId);
    expect(run.threadId).not.toBe(crashed.threadId);
  });
});

describe("scheduling", () => {
  it("runs on one session execute one after another in creation order", async () => {
    const { api } = await daemon();
    const sessionId = await createSession(api);
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) ids.push((await api.start({ prompt: `[delay:300] step ${i}`, sessionId })).runId);
    const runs = await Promise.all(ids.map((id) => api.waitTerminal(id)));
    runs.forEach((run, i) => {
      expect(run).toMatchObject({ status: "completed", sessionId, finalMessage: `echo: [delay:300] step ${i + 1}` });
    });
    for (let i = 1; i < runs.length; i++) {
      expect(ms(runs[i]!.startedAt), `run ${i + 1} starts after run ${i} finished`).toBeGreaterThanOrEqual(ms(runs[i - 1]!.finishedAt));
    }
    expect(new Set(runs.map((r) => r.turnId)).size).toBe(3);
    expect((await api.list({ sessionId })).map((r) => r.runId)).toEqual([...ids].reverse());
    const turns = await api.call("GET", `/v1/sessions/${sessionId}/turns`);
    expect(turns.body.turns.map((t: { turnId: string }) => t.turnId)).toEqual(runs.map((r) => r.turnId));
    for (const run of runs) await expectRunEvents(api, run, "run.completed", true);
  });

  it("the global concurrency limit: never more than CODEXD_RUN_CONCURRENCY=2 running at once", async () => {
    const { api } = await daemon({ CODEXD_RUN_CONCURRENCY: "2" });
    const t0 = Date.now();
    const ids = (await Promise.all(Array.from({ length: 5 }, (_, i) => api.start({ prompt: `[delay:500] job ${i}` })))).map((r) => r.runId);
    const done = Promise.all(ids.map((id) => api.waitTerminal(id)));
    let settled = false;
    void done.then(() => (settled = true), () => (settled = true));
    let sampledMax = 0;
    while (!settled) {
      sampledMax = Math.max(sampledMax, (await api.list({ status: "running" })).length);
    }
    const runs = await done;
    const elapsed = Date.now() - t0;
    expect(runs.map((r) => r.status)).toEqual(Array(5).fill("completed"));
    expect(sampledMax).toBeLessThanOrEqual(2);
    expect(sampledMax).toBeGreaterThanOrEqual(1);

    // The exact picture from the event log: count running runs along run.started / run.<end>.
    const events = (await api.events({ type: "run." })).filter((e) => ids.includes(e.runId!));
    let running = 0;
    let max = 0;
    for (const e of events) {
      if (e.type === "run.started") max = Math.max(max, ++running);
      if ((RUN_END_EVENTS as readonly string[]).includes(e.type)) running--;
    }
    expect(max).toBe(2);
    expect(running).toBe(0);
    // Three waves of 500 ms at least.
    expect(elapsed).toBeGreaterThanOrEqual(1_400);

    // Pages of 2 walk the list newest first (by createdAt; runs created in the same millisecond
    // have no order between them), each run once.
    const paged: string[] = [];
    const created: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { runs: RunRecord[]; nextCursor: string | null } } = await api.call("GET", `/v1/runs?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(page.status).toBe(200);
      expect(page.body.runs.length).toBeLessThanOrEqual(2);
      paged.push(...page.body.runs.map((r) => r.runId));
      created.push(...page.body.runs.map((r) => r.createdAt));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect([...paged].sort()).toEqual([...ids].sort());
    expect(created).toEqual([...created].sort().reverse());
  });
});

describe("Idempotency-Key", () => {
  it("same key and body -> the same run (202, idempotent-replayed); another body -> 409", async () => {
    const { api, stateDir } = await daemon();
    const body = { prompt: "once only", metadata: { a: 1, b: [1, 2] } };
    const first = await api.create(body, "key-1");
    expect(first.status).toBe(202);
    expect(first.headers.get("idempotent-replayed")).toBeNull();

    const again = await api.create(body, "key-1");
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.runId).toBe(first.body.runId);

    // The same body with its keys in another order is the same request.
    const reordered = await api.create({ metadata: { b: [1, 2], a: 1 }, prompt: "once only" }, "key-1");
    expect(reordered.status).toBe(202);
    expect(reordered.body.runId).toBe(first.body.runId);

    const other = await api.create({ prompt: "something else" }, "key-1");
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ code: "CODEXD_IDEMPOTENCY_KEY_REUSED", runId: first.body.runId });
    expect(other.headers.get("content-type")).toMatch(/^application\/problem\+json/);

    // After the run ended the replay returns its final record.
    const finished = await api.waitTerminal(first.body.runId);
    const late = await api.create(body, "key-1");
    expect(late.status).toBe(202);
    expect(late.headers.get("idempotent-replayed")).toBe("true");
    expect(late.body).toMatchObject({ runId: finished.runId, status: "completed", finalMessage: "echo: once only" });

    expect(await api.list()).toHaveLength(1);
    expect(await api.events({ type: "run.queued" })).toHaveLength(1);
    expect(await countChildRequests(stderrLog(stateDir), "turn/start")).toBe(1);
  });

  it("concurrent POSTs with one key create one run", async () => {
    const { api, stateDir } = await daemon();
    const body = { prompt: "[delay:200] raced" };
    const answers = await Promise.all(Array.from({ length: 8 }, () => api.create(body, "race-key")));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
    const runIds = new Set(answers.map((a) => a.body.runId));
    expect(runIds.size, JSON.stringify([...runIds])).toBe(1);
    expect(answers.filter((a) => a.headers.get("idempotent-replayed") === "true")).toHaveLength(7);
    expect(await api.list()).toHaveLength(1);
    const run = await api.waitTerminal([...runIds][0]!);
    expect(run.status).toBe("completed");
    expect(await countChildRequests(stderrLog(stateDir), "turn/start")).toBe(1);
  });

  it("a key survives a daemon restart", async () => {
    const first = await daemon();
    const created = await first.api.start({ prompt: "remember me" }, "restart-key");
    await first.api.waitTerminal(created.runId);
    await first.d.close({ keepState: true });

    // A new daemon on the same state dir.
    const { api } = await daemon({}, { reuse: first.d.temp });
    const again = await api.create({ prompt: "remember me" }, "restart-key");
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toMatchObject({ runId: created.runId, status: "completed" });
    const other = await api.create({ prompt: "someone else" }, "restart-key");
    expect(other.status).toBe(409);
    expect(other.body.code).toBe("CODEXD_IDEMPOTENCY_KEY_REUSED");
    expect(await api.list()).toHaveLength(1);
    expect(await api.events({ type: "daemon.started" })).toHaveLength(2);
  });
});

describe("long-poll GET /v1/runs/{id}?waitMs", () => {
  it("answers soon after the run ends, not at waitMs, with the terminal record; every waiter wakes", async () => {
    const { api } = await daemon();
    const { runId } = await api.start({ prompt: "[delay:800] slow reply" });
    // waitMs far beyond the run's length: an answer before it means the run's end woke the waiter.
    const waits = await Promise.all(Array.from({ length: 10 }, () => api.get(runId, 25_000)));
    for (const res of waits) {
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ runId, status: "completed", finalMessage: "echo: [delay:800] slow reply" });
      expect(res.ms).toBeGreaterThanOrEqual(600); // it did wait for the run
      expect(res.ms).toBeLessThan(25_000); // and not for waitMs
    }
  });

  it("answers at once for a finished run", async () => {
    const { api } = await daemon();
    const { runId } = await api.start({ prompt: "quick" });
    await api.waitTerminal(runId);
    const res = await api.get(runId, 25_000);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("completed");
    expect(res.ms).toBeLessThan(25_000); // it did not wait for waitMs
  });

  it("ends at waitMs when the run does not finish, with the run still running", async () => {
    const { api } = await daemon();
    const { runId } = await api.start({ prompt: "[silent] forever" });
    await api.waitTurnStarted(runId);
    const res = await api.get(runId, 700);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("running");
    expect(res.ms).toBeGreaterThanOrEqual(690);
  });
});

describe("cancel", () => {
  it("queued -> cancelled and never started; running -> cancelled; terminal -> 200 changed:false", async () => {
    const { api, stateDir } = await daemon({ CODEXD_RUN_CONCURRENCY: "1" });
    const blocker = await api.start({ prompt: "[silent] blocker" });
    await api.waitTurnStarted(blocker.runId);
    const waiting = await api.start({ prompt: "never runs" });
    expect((await api.run(waiting.runId)).status).toBe("queued");
    const poll = api.get(waiting.runId, 25_000);

    const queued = await api.cancel(waiting.runId);
    expect(queued.status).toBe(200);
    expect(queued.body.changed).toBe(true);
    expect(queued.body.run).toMatchObject({ runId: waiting.runId, status: "cancelled", startedAt: null, turnId: null, sessionId: null, attempt: 0 });
    // A long-poll on the queued run wakes with the cancelled record.
    const polled = await poll;
    expect(polled.body).toEqual(queued.body.run);
    expect(polled.ms).toBeLessThan(25_000); // woken by the cancel, not by waitMs

    const running = await api.cancel(blocker.runId);
    expect(running.status).toBe(200);
    expect(running.body.changed).toBe(true);
    expect(running.body.run.status).toBe("cancelled");

    for (const run of [running.body.run, queued.body.run]) {
      const again = await api.cancel(run.runId);
      expect(again.status).toBe(200);
      expect(again.body.changed).toBe(false);
      expect(again.body.run).toEqual(run);
    }

    // The slot is free again: a new run starts and completes, the cancelled one stays put.
    const later = await api.waitTerminal((await api.start({ prompt: "afterwards" })).runId);
    expect(later.status).toBe("completed");
    expect(await api.run(waiting.runId)).toEqual(queued.body.run);
    const events = await expectRunEvents(api, queued.body.run, "run.cancelled", false);
    expect(events.map((e) => e.type)).toEqual(["run.queued", "run.cancelled"]);
    await expectRunEvents(api, running.body.run, "run.cancelled", false);
    expect(await countChildRequests(stderrLog(stateDir), "turn/start")).toBe(2);
  });

  it("a run cancelled while its turn/start is still in flight ends cancelled", async () => {
    // The fake rejects the first turn/start requests as overloaded: codexd retries with backoff,
    // so the run is `running` without a turnId for a while. Cancel lands in that window.
    const { api, stateDir } = await daemon({ FAKE_APP_SERVER_FAULTS: "overload", FAKE_OVERLOAD_COUNT: "4" });
    const sessionId = await createSession(api);
    const { runId } = await api.start({ prompt: "[silent] cancel me early", sessionId });
    await waitUntil(async () => (await countChildRequests(stderrLog(stateDir), "turn/start")) >= 1, { what: "the first turn/start" });
    expect(await api.run(runId)).toMatchObject({ status: "running", turnId: null });

    // Cancelling a running run is a quick interrupt: 5 s is generous.
    const res = await api.cancel(runId, 5_000).catch((error: Error) => error);
    if (res instanceof Error) throw new Error(`POST cancel did not answer within 5 s (${res.message}); run now: ${JSON.stringify(await api.run(runId))}`);
    expect(res.status).toBe(200);
    expect(res.body.changed).toBe(true);
    expect(res.body.run.status, `cancel answered after ${res.ms} ms with ${JSON.stringify(res.body.run)}`).toBe("cancelled");
    expect((await api.waitTerminal(runId, 20_000)).status).toBe("cancelled");
  });
});

describe("recovery after kill -9", () => {
  it("the running run ends interrupted (CODEXD_DAEMON_RESTARTED); queued runs start again in order; keys hold", async () => {
    const env = { CODEXD_RUN_CONCURRENCY: "1" };
    const first = await daemonProcess(env);
    const a = await first.api.start({ prompt: "[silent] in flight" }, "key-a");
    const runningA = await first.api.waitTurnStarted(a.runId);
    const b = await first.api.start({ prompt: "[delay:100] second" }, "key-b");
    const c = await first.api.start({ prompt: "[delay:100] third" }, "key-c");
    expect((await first.api.list({ status: "queued" })).map((r) => r.runId)).toEqual([c.runId, b.runId]);

    first.d.kill("SIGKILL");
    expect(await first.d.exited).toEqual({ code: null, signal: "SIGKILL" });

    const { api, stateDir } = await daemonProcess(env);
    const interrupted = await api.waitTerminal(a.runId, 5_000);
    expect(interrupted).toMatchObject({ status: "interrupted", error: { code: "CODEXD_DAEMON_RESTARTED" }, sessionId: runningA.sessionId, turnId: runningA.turnId, attempt: 1 });
    await expectRunEvents(api, interrupted, "run.interrupted", false);

    const [rb, rc] = await Promise.all([api.waitTerminal(b.runId), api.waitTerminal(c.runId)]);
    expect(rb).toMatchObject({ status: "completed", finalMessage: "echo: [delay:100] second", attempt: 1 });
    expect(rc).toMatchObject({ status: "completed", finalMessage: "echo: [delay:100] third", attempt: 1 });
    expect(ms(rb.startedAt)).toBeLessThanOrEqual(ms(rc.startedAt));
    expect(ms(rc.startedAt)).toBeGreaterThanOrEqual(ms(rb.finishedAt));
    expect(ms(rb.startedAt)).toBeGreaterThan(ms(interrupted.finishedAt) - 1);

    // Keys created before the crash still map to their runs.
    for (const [run, key, prompt] of [[a, "key-a", "[silent] in flight"], [b, "key-b", "[delay:100] second"]] as const) {
      const replay = await api.create({ prompt }, key);
      expect(replay.status).toBe(202);
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      expect(replay.body.runId).toBe(run.runId);
    }
    expect((await api.create({ prompt: "not the same" }, "key-c")).status).toBe(409);
    expect(await api.list()).toHaveLength(3);
    // Each prompt reached a child once: the interrupted one is not replayed.
    expect(await countChildRequests(stderrLog(stateDir), "turn/start")).toBe(3);
  });
});

describe("graceful stop", () => {
  it("SIGTERM with a running run and a pending long-poll: the poll is answered, exit 0; the run is not replayed", async () => {
    const env = { CODEXD_RUN_CONCURRENCY: "1" };
    const first = await daemonProcess(env);
    const a = await first.api.start({ prompt: "[silent] in flight at shutdown" });
    await first.api.waitTurnStarted(a.runId);
    const b = await first.api.start({ prompt: "queued at shutdown" });
    const poll = first.api.get(a.runId, 60_000).catch((error: Error) => error);
    // The daemon logs each request as it comes in: the long-poll has reached it. One more round
    // trip after that and its handler is waiting on the run.
    await waitUntil(() => first.d.output().includes(`"url":"/v1/runs/${a.runId}?waitMs=60000"`), { what: "the long-poll to reach the daemon" });
    expect((await first.api.call("GET", "/healthz")).status).toBe(200);

    first.d.kill("SIGTERM");
    // The pending long-poll (waitMs 60 s) must not hold the shutdown up: the exit comes well before it.
    const exit = await Promise.race([first.d.exited, new Promise<"still running">((r) => setTimeout(() => r("still running"), 45_000))]);
    const polled = await Promise.race([poll, new Promise<"no answer">((r) => setTimeout(() => r("no answer"), 10_000))]);
    expect(exit, "SIGTERM -> exit before the long-poll's waitMs").toEqual({ code: 0, signal: null });
    expect(polled instanceof Error ? polled.message : polled === "no answer" ? polled : polled.status, "the pending long-poll is answered").toBe(200);

    const { api, stateDir } = await daemonProcess(env);
    const ra = await api.waitTerminal(a.runId, 20_000);
    expect(["interrupted", "failed"]).toContain(ra.status);
    const rb = await api.waitTerminal(b.runId);
    expect(rb).toMatchObject({ status: "completed", attempt: 1 });
    expect(await countChildRequests(stderrLog(stateDir), "turn/start")).toBe(2);
  }, 120_000);
});

describe("retention", () => {
  it("CODEXD_RUN_RETENTION=2: the list holds the newest finished runs and the active ones; old ones are found by id", async () => {
    const { api, stateDir } = await daemon({ CODEXD_RUN_RETENTION: "2" });
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await api.start({ prompt: `job ${i}` }, `retained-${i}`)).runId);
    const runs = await Promise.all(ids.map((id) => api.waitTerminal(id)));
    expect(runs.every((r) => r.status === "completed")).toBe(true);
    const active = await api.start({ prompt: "[silent] still going" });
    await api.waitTurnStarted(active.runId);

    expect((await api.list()).map((r) => r.runId)).toEqual([active.runId, ids[4], ids[3]]);
    expect((await api.list({ status: "completed" })).map((r) => r.runId)).toEqual([ids[4], ids[3]]);

    for (const [i, id] of ids.entries()) {
      const res = await api.get(id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ runId: id, status: "completed", finalMessage: `echo: job ${i + 1}` });
      expect(res.body).toEqual(runs[i]);
    }
    // An archived run's key still replays.
    const replay = await api.create({ prompt: "job 1" }, "retained-1");
    expect(replay.status).toBe(202);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.runId).toBe(ids[0]);

    const registry = JSON.parse(await readFile(join(stateDir, "run-registry.json"), "utf8")) as { runs: RunRecord[] };
    expect(registry.runs.map((r) => r.runId).sort()).toEqual([ids[3], ids[4], active.runId].sort());
    const archived = (await readFile(join(stateDir, "run-archive.jsonl"), "utf8")).trim().split("\n").map((l) => (JSON.parse(l) as RunRecord).runId);
    expect(archived.sort()).toEqual(ids.slice(0, 3).sort());
  });
});

describe("validation", () => {
  it("bad requests are 400/404/409 problems and change nothing on disk", async () => {
    const { api, stateDir } = await daemon();
    const existing = await api.waitTerminal((await api.start({ prompt: "keep" }, "taken")).runId);
    const closedSession = await createSession(api);
    expect((await api.call("DELETE", `/v1/sessions/${closedSession}`)).status).toBe(200);
    // Let the state settle: the recent-events cache is rewritten at most once a second.
    const seq = await api.lastSeq();
    await waitUntil(
      async () => {
        const recent = JSON.parse(await readFile(join(stateDir, "recent-events.json"), "utf8")) as { events: CodexdEvent[] };
        return recent.events.at(-1)?.seq === seq;
      },
      { timeoutMs: 5_000, what: "recent-events.json to catch up" },
    );
    const before = await snapshotDir(stateDir);

    const invalid: Array<[string, unknown, Record<string, string>?]> = [
      ["empty prompt", { prompt: "" }],
      ["missing prompt", { cwd: "/tmp" }],
      ["unknown property", { prompt: "x", priority: "high" }],
      ["bad approvalPolicy", { prompt: "x", approvalPolicy: "sometimes" }],
      ["timeoutMs < 100", { prompt: "x", timeoutMs: 99 }],
      ["timeoutMs not an integer", { prompt: "x", timeoutMs: 150.5 }],
      ["metadata not an object", { prompt: "x", metadata: "nope" }],
      ["Idempotency-Key with spaces", { prompt: "x" }, { "idempotency-key": "has spaces" }],
      ["empty Idempotency-Key", { prompt: "x" }, { "idempotency-key": "" }],
    ];
    for (const [what, body, headers] of invalid) {
      const res = await api.call("POST", "/v1/runs", { body, ...(headers ? { headers } : {}) });
      expect(res.status, what).toBe(400);
      expect(res.body.code, what).toBe("CODEXD_VALIDATION_FAILED");
      expect(res.headers.get("content-type"), what).toMatch(/^application\/problem\+json/);
    }
    for (const path of ["/v1/runs/x?waitMs=-1", "/v1/runs/x?waitMs=soon", "/v1/runs/x?waitMs=120001", "/v1/runs?status=finished", "/v1/runs?limit=0"]) {
      const res = await api.call("GET", path);
      expect(res.status, path).toBe(400);
      expect(res.body.code, path).toBe("CODEXD_VALIDATION_FAILED");
    }

    const unknownRun = await api.get("no-such-run", 1_000);
    expect(unknownRun.status).toBe(404);
    expect(unknownRun.body.code).toBe("CODEXD_NOT_FOUND");
    const cancelUnknown = await api.cancel("no-such-run");
    expect(cancelUnknown.status).toBe(404);
    expect(cancelUnknown.body.code).toBe("CODEXD_NOT_FOUND");
    const unknownSession = await api.create({ prompt: "x", sessionId: "no-such-session" });
    expect(unknownSession.status).toBe(404);
    expect(unknownSession.body.code).toBe("CODEXD_NOT_FOUND");
    const onClosed = await api.create({ prompt: "x", sessionId: closedSession });
    expect(onClosed.status).toBe(409);
    expect(onClosed.body.code).toBe("CODEXD_SESSION_CLOSED");
    const reused = await api.create({ prompt: "different" }, "taken");
    expect(reused.status).toBe(409);
    expect(reused.body).toMatchObject({ code: "CODEXD_IDEMPOTENCY_KEY_REUSED", runId: existing.runId });

    expect(await api.lastSeq()).toBe(seq);
    expect((await api.list()).map((r) => r.runId)).toEqual([existing.runId]);
    const after = await snapshotDir(stateDir);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [file, content] of before) expect(after.get(file), `${file} unchanged`).toBe(content);
  });
});
