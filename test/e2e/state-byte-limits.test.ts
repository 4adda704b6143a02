/**
 * Stored state is bounded in bytes, not only in counts: a prompt or metadata over its limit is
 * 413 CODEXD_PAYLOAD_TOO_LARGE naming the field and the limit, with nothing changed; a big child
 * payload is served, streamed and cached cut (truncated: true, originalBytes) and kept whole only
 * in events.jsonl; texts kept in turn-registry.json and run-registry.json are cut and marked.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitUntil } from "../helpers/deadline.js";
import { startRunsDaemon, type RunsDaemon } from "../helpers/runs-daemon.js";

let d: RunsDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

async function eventTypes(d: RunsDaemon): Promise<string[]> {
  const page = await d.api.call("GET", "/v1/events?limit=500");
  return page.body.events.map((e: { type: string }) => e.type);
}

describe("byte limits of requests", () => {
  it("answers 413 naming the field and the limit for a 1 MB prompt, big metadata or a big turn input, and changes nothing", { timeout: 120_000 }, async () => {
    d = await startRunsDaemon();
    const { api } = d;
    const before = await api.call("GET", "/v1/runs");
    const typesBefore = await eventTypes(d);

    const huge = await api.create({ prompt: "p".repeat(1_000_000) });
    expect(huge.status).toBe(413);
    expect(huge.headers.get("content-type")).toContain("application/problem+json");
    expect(huge.body).toMatchObject({ code: "CODEXD_PAYLOAD_TOO_LARGE", field: "prompt", sizeBytes: 1_000_000, limitBytes: 256 * 1024 });
    expect(huge.body.detail).toContain("CODEXD_PROMPT_LIMIT_BYTES");

    const metadata = await api.create({ prompt: "small", metadata: { blob: "m".repeat(20_000) } });
    expect(metadata.status).toBe(413);
    expect(metadata.body).toMatchObject({ code: "CODEXD_PAYLOAD_TOO_LARGE", field: "metadata", limitBytes: 16 * 1024 });

    const session = await api.call("POST", "/v1/sessions", { body: { metadata: { blob: "m".repeat(20_000) } } });
    expect(session.status).toBe(413);
    expect(session.body).toMatchObject({ code: "CODEXD_PAYLOAD_TOO_LARGE", field: "metadata" });

    const created = await api.call("POST", "/v1/sessions", { body: {} });
    expect(created.status).toBe(201);
    const sessionId = created.body.sessionId as string;
    // Parts of an input count together.
    const parts = [{ type: "text", text: "a".repeat(150_000) }, { type: "text", text: "b".repeat(150_000) }];
    const turn = await api.call("POST", `/v1/sessions/${sessionId}/turns`, { body: { input: parts } });
    expect(turn.status).toBe(413);
    expect(turn.body).toMatchObject({ code: "CODEXD_PAYLOAD_TOO_LARGE", field: "input", sizeBytes: 300_000 });
    const turns = await api.call("GET", `/v1/sessions/${sessionId}/turns`);
    expect(turns.body.turns).toEqual([]);

    const after = await api.call("GET", "/v1/runs");
    expect(after.body.runs).toEqual(before.body.runs);
    const typesAfter = await eventTypes(d);
    // Only the session that was created: no run and no turn was recorded.
    expect(typesAfter.slice(typesBefore.length).filter((t) => t.startsWith("run.") || t.startsWith("turn."))).toEqual([]);
  });

  it("counts bytes, not characters", { timeout: 120_000 }, async () => {
    d = await startRunsDaemon({ CODEXD_PROMPT_LIMIT_BYTES: "150000" });
    const refused = await d.api.create({ prompt: "é".repeat(100_000) });
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ field: "prompt", sizeBytes: 200_000, limitBytes: 150_000 });
    expect((await d.api.create({ prompt: "e".repeat(100_000) })).status).toBe(202);
  });
});

describe("byte limits of stored state", () => {
  it("serves, streams and caches a big child payload cut with a marker, and keeps it whole only in events.jsonl", { timeout: 180_000 }, async () => {
    const count = 6;
    const pad = 1024 * 1024;
    d = await startRunsDaemon({ FAKE_APP_SERVER_FAULTS: "flood", FAKE_FLOOD_COUNT: String(count), FAKE_FLOOD_BYTES: String(pad) });
    const { api, stateDir } = d;
    const floods = await waitUntil(
      async () => {
        const page = await api.call("GET", "/v1/events?type=codex.notification&limit=500");
        const found = page.body.events.filter((e: { message: string }) => e.message === "fake/flood");
        return found.length === count ? found : false;
      },
      { what: `${count} fake/flood events`, timeoutMs: 120_000 },
    );
    for (const event of floods) {
      expect(event.detail).toMatchObject({ truncated: true, method: "fake/flood" });
      expect(event.detail.originalBytes).toBeGreaterThan(pad);
      expect(bytes(JSON.stringify(event.detail))).toBeLessThanOrEqual(64 * 1024);
    }
    const stopped = d;
    await stopped.close({ keepState: true });
    d = undefined;
    try {
      // recent-events.json (rewritten) is bounded; events.jsonl (appended, rotated by size) has every payload whole.
      expect((await stat(join(stateDir, "recent-events.json"))).size).toBeLessThan(count * 80 * 1024);
      const log = await readFile(join(stateDir, "events.jsonl"), "utf8");
      const whole = log
        .split("\n")
        .filter((line) => line.includes('"fake/flood"'))
        .map((line) => JSON.parse(line));
      expect(whole).toHaveLength(count);
      for (const event of whole) expect(event.detail.params.pad).toHaveLength(pad);
    } finally {
      await stopped.close();
    }
  });

  it("keeps the texts of turn-registry.json and run-registry.json within limits.registryTextBytes, marked", { timeout: 120_000 }, async () => {
    const limit = 4096;
    d = await startRunsDaemon({ CODEXD_REGISTRY_TEXT_LIMIT_BYTES: String(limit) });
    const { api, stateDir } = d;
    const prompt = "x".repeat(50_000);
    const queued = await api.start({ prompt });
    const run = await api.waitTerminal(queued.runId);
    expect(run.status).toBe("completed");
    // The fake echoes the input: a 50 KB final message.
    expect(run.finalMessage!.endsWith("…[truncated]")).toBe(true);
    expect(bytes(run.finalMessage!)).toBeLessThanOrEqual(limit);
    expect(run).toMatchObject({ finalMessageTruncated: true, finalMessageBytes: bytes(`echo: ${prompt}`) });

    const turn = (await api.call("GET", `/v1/sessions/${run.sessionId}/turns/${run.turnId}`)).body;
    expect(turn).toMatchObject({ inputTruncated: true, inputBytes: 50_000, finalMessageTruncated: true });
    for (const item of turn.items) expect(bytes(JSON.stringify(item))).toBeLessThanOrEqual(limit);
    const agent = turn.items.find((i: { type: string }) => i.type === "agentMessage");
    expect(agent).toMatchObject({ truncated: true });
    expect(agent.originalBytes).toBeGreaterThan(50_000);

    await waitUntil(async () => (await stat(join(stateDir, "turn-registry.json"))).size < 8 * limit || false, { what: "turn-registry.json within its bound" });
    const registry = JSON.parse(await readFile(join(stateDir, "run-registry.json"), "utf8"));
    const stored = registry.runs.find((r: { runId: string }) => r.runId === run.runId);
    expect(bytes(stored.finalMessage)).toBeLessThanOrEqual(limit);
    // The prompt is kept whole: a queued run needs it to start (the prompt limit bounds it).
    expect(stored.prompt).toBe(prompt);
  });
});
