/**
 * Fuzzing what the child prints: codexd supervises test/fixtures/random-child.mjs, which
 * answers `initialize` and `thread/start` like the app-server and then prints, from a seed,
 * random bytes (NUL, invalid UTF-8, CR), JSON that is not a message, responses to ids codexd
 * never used, notifications with random methods and params (some deeply nested, some naming the
 * session's real thread), server requests with random methods and ids, approval requests with
 * random and with well-formed params, and (every fourth seed) a line over the 16 MiB cap, all in
 * chunks that split lines anywhere. The child checks the answers it gets and writes a report.
 *
 * Properties, per seed:
 * - codexd does not crash: /healthz is 200; the child is still `running`, the same process, not
 *   restarted; the session is still there; /v1/status and every event page conform to the contract;
 * - every server request with a valid id was answered exactly once with its id: an unknown
 *   method with JSON-RPC error -32601, an approval request with bad params with -32602, a
 *   well-formed one with a decision; codexd answered nothing it was not asked;
 * - what was printed is recorded: one `codex.notification` per notification, one
 *   `codex.server_request_rejected` per rejected request, one `approval.requested` per approval
 *   request, `child.protocol_error` for the garbage (the first 20 a second at least, never more
 *   than there was; kinds from the known set, never a listener error);
 * - the event log has no holes: seqs 1..lastSeq, each once.
 *
 * Deadlines only catch hangs (a seed takes seconds; on a loaded machine many more).
 *
 * Fixed seeds 424242, 424243, ... (FUZZ_RUNS / 6 of them, at least 5; `npm run fuzz`: 333). Every
 * seed runs on a fresh daemon and the failures of all seeds are reported together; replay one with
 * `FUZZ_SEED=N npx vitest run test/fuzz/child-output.fuzz.test.ts`, or look at what it prints with
 * `node test/fixtures/random-child.mjs N REPORT_FILE 60` (it waits for `initialize` and `thread/start` on stdin).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CodexdEvent } from "../../schemas/events.js";
import { waitUntil } from "../helpers/deadline.js";
import { repoRoot, startInProcessDaemon, type InProcessDaemon } from "../helpers/in-process-daemon.js";
import { OpenApiContract, type AuditRecord } from "../contract/openapi-contract.js";

const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 20));
/** FUZZ_SEED=N replays that one seed. */
const ONLY = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : null;
const SEEDS = ONLY !== null ? 1 : Math.max(5, Math.round(RUNS / 6));
const FIRST_SEED = ONLY ?? 424242;
const ITEMS = 60;
const randomChild = join(repoRoot, "test", "fixtures", "random-child.mjs");
const contract = OpenApiContract.load();
const PROTOCOL_ERROR_KINDS = new Set(["invalid_json", "not_an_object", "invalid_message", "unknown_response", "line_too_long"]);

interface ChildReport {
  seed: number;
  threadId: string | null;
  counts: {
    garbage: number;
    notifications: number;
    requests: { unknown: number; invalidParams: number; approval: number };
    badIdRequests: number;
    blank: number;
    overlong: number;
    deep: number;
  };
  requests: number;
  missing: unknown[];
  wrong: unknown[];
  unexpected: unknown[];
  daemonRequests: string[];
  notificationsSent: { method: string; bytes: number; depth: number }[];
}

let current: InProcessDaemon | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function get(d: InProcessDaemon, url: string, operationPath: string) {
  const res = await d.app.inject({ method: "GET", url });
  const record: AuditRecord = { method: "GET", route: operationPath, url, status: res.statusCode, contentType: (res.headers["content-type"] as string) ?? null, body: res.body, bodyKind: "text" };
  expect(contract.check(record), `${url} conforms to openapi.yaml`).toEqual([]);
  return res;
}

async function allEvents(d: InProcessDaemon): Promise<CodexdEvent[]> {
  const events: CodexdEvent[] = [];
  let after = 0;
  for (;;) {
    const res = await get(d, `/v1/events?after=${after}&limit=1000`, "/v1/events");
    expect(res.statusCode, `GET /v1/events?after=${after} (the event log must stay readable): ${res.body.slice(0, 300)}`).toBe(200);
    const page = res.json() as { events: CodexdEvent[]; nextAfter: number | null };
    events.push(...page.events);
    if (page.nextAfter === null) return events;
    after = page.nextAfter;
  }
}

async function runSeed(seed: number, reportFile: string): Promise<void> {
  const d = await startInProcessDaemon({
    CODEXD_RESPONSE_AUDIT_FILE: "",
    CODEXD_CHILD_COMMAND: process.execPath,
    CODEXD_CHILD_ARGS: JSON.stringify([randomChild, String(seed), reportFile, String(ITEMS)]),
    CODEXD_CHILD_LIVENESS_INTERVAL_MS: "0",
    CODEXD_APPROVAL_POLICY: "decline",
    CODEXD_RESTART_POLICY: "no",
    // Only a hang: on a loaded machine the handshake of a fresh child can take over the default 20 s.
    CODEXD_CHILD_READY_TIMEOUT_MS: "120000",
  });
  current = d;
  // (matched is also true when the child ended up fatal or exited: the status says which.)
  const ready = await d.daemon.child.waitFor("ready", 150_000, ["fatal", "exited"]);
  expect(ready.state.status, `the random child starts: ${JSON.stringify(ready.state)}`).toBe("running");
  const pid = d.daemon.child.state.pid;
  const created = await d.app.inject({ method: "POST", url: "/v1/sessions", payload: {} });
  expect(created.statusCode, created.body).toBe(201);
  const session = created.json() as { sessionId: string; threadId: string };

  const text = await waitUntil(() => readFile(reportFile, "utf8").catch(() => undefined), { timeoutMs: 60_000, what: `the random child's report (seed ${seed})` });
  const report = JSON.parse(text) as ChildReport;
  const where = `seed ${seed}: ${JSON.stringify(report.counts)}`;
  expect(report.threadId, where).toBe(session.threadId);

  // Answers.
  expect.soft(report.missing, `server requests never answered (${where})`).toEqual([]);
  expect.soft(report.wrong, `server requests answered wrongly (${where})`).toEqual([]);
  expect.soft(report.unexpected, `answers nobody asked for (${where})`).toEqual([]);
  expect.soft(report.daemonRequests, `requests codexd sent the child (${where})`).toEqual([]);

  // The child's stderr (where it printed the report too) is captured and served.
  const logged = await waitUntil(
    async () => {
      const res = await get(d, "/v1/child/logs?stream=stderr&tail=20", "/v1/child/logs");
      return (res.json() as { lines: string[] }).lines.some((l) => l.startsWith("RANDOM_CHILD_REPORT ")) || undefined;
    },
    { timeoutMs: 30_000, what: "the report line in the child's stderr log" },
  ).catch(() => false);
  expect.soft(logged, `the child's stderr report line is in GET /v1/child/logs (${where})`).toBe(true);

  // Not crashed, state consistent.
  expect((await get(d, "/healthz", "/healthz")).statusCode, "GET /healthz").toBe(200);
  const child = (await get(d, "/v1/child", "/v1/child")).json() as { status: string; pid: number; restartCount?: number };
  expect.soft({ status: child.status, pid: child.pid, restarts: child.restartCount ?? 0 }, where).toEqual({ status: "running", pid, restarts: 0 });
  expect((await get(d, "/v1/status", "/v1/status")).statusCode, "GET /v1/status").toBe(200);
  expect((await get(d, `/v1/sessions/${session.sessionId}`, "/v1/sessions/:id")).statusCode, "GET /v1/sessions/{id}").toBe(200);
  // Still able to change things: a durable mutation goes through (a second session).
  const second = await d.app.inject({ method: "POST", url: "/v1/sessions", payload: {} });
  expect.soft(second.statusCode, `POST /v1/sessions after the stream (the store must not be wedged): ${second.body.slice(0, 300)}`).toBe(201);

  // Recorded. Events are recorded after the answers, so wait for the last kinds to arrive.
  const expectedRejected = report.counts.requests.unknown + report.counts.requests.invalidParams;
  const events = await waitUntil(
    async () => {
      const all = await allEvents(d);
      const n = (type: string) => all.filter((e) => e.type === type).length;
      return n("codex.notification") >= report.counts.notifications && n("codex.server_request_rejected") >= expectedRejected && n("approval.requested") >= report.counts.requests.approval && all;
    },
    { timeoutMs: 30_000, what: `the events of seed ${seed}` },
  ).catch(async () => allEvents(d));
  const of = (type: string) => events.filter((e) => e.type === type);
  const recorded = of("codex.notification").map((e) => String(e.detail?.method ?? "").slice(0, 60));
  // Matched by method, the plain ones first: a lost deep one must not take a plain one's event.
  const sent = [...report.notificationsSent].sort((a, b) => Number(a.depth > 0) - Number(b.depth > 0));
  const notRecorded = sent.filter((n) => {
    const i = recorded.indexOf(n.method);
    if (i === -1) return true;
    recorded.splice(i, 1);
    return false;
  });
  expect.soft(notRecorded.filter((n) => n.depth === 0), `notifications without a codex.notification event (${where})`).toEqual([]);
  expect.soft(notRecorded.filter((n) => n.depth > 0), `deeply nested notifications without a codex.notification event (${where})`).toEqual([]);
  expect.soft(of("codex.server_request_rejected").length, `codex.server_request_rejected events (${where})`).toBe(expectedRejected);
  expect.soft(of("approval.requested").length, `approval.requested events (${where})`).toBe(report.counts.requests.approval);
  const protocolErrors = of("child.protocol_error");
  const kinds = protocolErrors.map((e) => String(e.detail?.kind));
  const suppressed = protocolErrors.reduce((sum, e) => sum + Number(e.detail?.suppressedBefore ?? 0), 0);
  expect.soft(kinds.filter((k) => !PROTOCOL_ERROR_KINDS.has(k)), `unexpected protocol error kinds (${where})`).toEqual([]);
  expect.soft(protocolErrors.length, `child.protocol_error recorded (${where})`).toBeGreaterThanOrEqual(Math.min(report.counts.garbage, 20));
  expect.soft(protocolErrors.length + suppressed, `child.protocol_error recorded + suppressed (${where})`).toBeLessThanOrEqual(report.counts.garbage);
  // (Past 20 a second the throttle may drop it, as any other.)
  if (report.counts.overlong > 0 && report.counts.garbage <= 20) expect.soft(kinds, where).toContain("line_too_long");

  // No holes in the log.
  const seqs = new Set(events.map((e) => e.seq));
  const last = Math.max(0, ...seqs);
  const holes = Array.from({ length: last }, (_, i) => i + 1).filter((n) => !seqs.has(n));
  expect.soft(events.length, `each seq once (${where})`).toBe(seqs.size);
  expect.soft(holes, `seqs missing from 1..${last} (${where})`).toEqual([]);

  await d.close();
  current = undefined;
  // The child got stdin EOF and exited 0; its report is on its stderr too.
}

describe("child output fuzz: random bytes and JSON shapes from the app-server child", () => {
  it(`survives and records ${SEEDS} seeded streams (${ITEMS} items each)`, async () => {
    // Every seed runs (a fresh daemon each), so one report lists every seed that failed.
    const failures: string[] = [];
    for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
      const dir = await mkdtemp(join(tmpdir(), `codexd-random-child-${seed}-`));
      try {
        await runSeed(seed, join(dir, "report.json"));
      } catch (error) {
        const e = error as Error;
        // Not an assertion (the harness itself failed): say where.
        const where = e.name === "AssertionError" ? "" : `\n${(e.stack ?? "").split("\n").slice(1, 6).join("\n")}`;
        failures.push(`seed ${seed} (node test/fixtures/random-child.mjs ${seed} REPORT ${ITEMS}): ${e.message.slice(0, 2_000)}${where}`);
      } finally {
        await current?.close().catch(() => {});
        current = undefined;
        await rm(dir, { recursive: true, force: true });
      }
    }
    expect(failures, failures.join("\n\n")).toEqual([]);
  }, SEEDS * 180_000);
});
