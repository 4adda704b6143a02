/**
 * One run end to end through the REAL pinned Codex CLI (@openai/codex, the default child
 * command), fully offline: the CLI talks to test/fixtures/fake-model-server.ts through a
 * throw-away CODEX_HOME (test/fixtures/codex-home.ts). The daemon runs in this process and
 * listens on 127.0.0.1; the test speaks real HTTP to it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { replyWith } from "../fixtures/fake-model-server.js";
import { startRealCodexDaemon, type RealCodexDaemon } from "../helpers/real-codex.js";
import { RunsApi } from "../helpers/runs-api.js";

const REPLY = "Run done: the real Codex CLI answered through codexd.";

let real: RealCodexDaemon | undefined;

afterEach(async () => {
  await real?.close();
  real = undefined;
});

describe("a run through the real Codex CLI", () => {
  it("POST /v1/runs, long-poll to completed: finalMessage is the model's reply", async () => {
    real = await startRealCodexDaemon(replyWith(REPLY));
    // The default child command: the pinned CLI, `app-server`.
    expect(real.temp.config.server.childCommand).toMatch(/@openai\/codex\/bin\/codex\.js$/);
    expect(real.temp.config.server.childArgs).toEqual(["app-server"]);
    const { model } = real;
    const api = new RunsApi(real.baseUrl);

    const created = await api.create({ prompt: "Say something about runs.", metadata: { suite: "real-codex" } }, "real-codex-1");
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    expect(created.body.status).toBe("queued");

    const run = await api.waitTerminal(created.body.runId, 30_000);
    expect(run.status, JSON.stringify(run.error)).toBe("completed");
    expect(run.finalMessage).toBe(REPLY);
    expect(run.error).toBeNull();
    expect(run.attempt).toBe(1);
    expect(run.sessionId).toEqual(expect.any(String));
    expect(run.threadId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/); // UUIDv7 from the CLI
    expect(run.turnId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    // The fake model's usage (input 120, cached 20, output 7) as the CLI reports it.
    expect(run.usage).toMatchObject({ last: { inputTokens: 120, cachedInputTokens: 20, outputTokens: 7 } });
    expect(run.durationMs).toBeGreaterThan(0);

    // Exactly one model call, for this thread, carrying the prompt.
    const calls = model.responsesRequests();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.headers["thread-id"] ?? calls[0]!.headers["session-id"]).toBe(run.threadId);
    expect(calls[0]!.rawBody).toContain("Say something about runs.");

    // The session's turn holds the same answer; the run's events tell the story.
    const turn = await api.call("GET", `/v1/sessions/${run.sessionId}/turns/${run.turnId}`);
    expect(turn.body).toMatchObject({ status: "completed", finalMessage: REPLY });
    expect((await api.runEvents(run.runId)).map((e) => e.type)).toEqual(["run.queued", "run.started", "run.completed"]);

    // A retry with the same key is the same run, and no second model call.
    const replay = await api.create({ prompt: "Say something about runs.", metadata: { suite: "real-codex" } }, "real-codex-1");
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.runId).toBe(run.runId);
    expect(model.responsesRequests()).toHaveLength(1);
  });
});
