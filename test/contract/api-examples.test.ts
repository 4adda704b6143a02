/**
 * The examples openapi.yaml shows (schemas/examples.ts) are bodies of a real daemon: this suite
 * drives one (fake app-server child) through every operation that has an example and captures
 * each request body it sent and each answer it got.
 *
 * CODEXD_WRITE_EXAMPLES=1 writes the captured bodies to schemas/examples.ts (then
 * `npm run openapi`). Without it, every committed example must have the shape of what the daemon
 * answers today (the same keys at every depth, the same JSON types), so an example cannot drift
 * from the API it documents. That each example conforms to its schema is checked in
 * schema-docs.test.ts.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { examples as committed } from "../../schemas/examples.js";
import { waitUntil } from "../helpers/deadline.js";
import { createRepo, type TestRepo } from "../helpers/git-repo.js";
import { expectStatus, startSessionsDaemon, type SessionsDaemon } from "../helpers/sessions-daemon.js";
import { repoRoot } from "./openapi-contract.js";

type Captured = Record<string, { request?: unknown; response?: unknown }>;

/** Every key path with the JSON type of its value ("/runs/[]/status string"); array items merged. */
export function shapeOf(value: unknown, path = "", out = new Set<string>()): Set<string> {
  const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  out.add(`${path || "/"} ${type}`);
  if (Array.isArray(value)) for (const item of value) shapeOf(item, `${path}/[]`, out);
  else if (type === "object") for (const [key, v] of Object.entries(value as object)) shapeOf(v, `${path}/${key}`, out);
  return out;
}

let d: SessionsDaemon;
let repo: TestRepo | undefined;
const captured: Captured = {};
const keep = (operationId: string, part: "request" | "response", body: unknown) => {
  captured[operationId] = { ...captured[operationId], [part]: body };
};

/** Drives the daemon through the API as a client would, keeping the bodies. */
async function capture(): Promise<void> {
  const { api } = d;
  const ok = async (operationId: string, method: string, path: string, status: number, body?: unknown, headers?: Record<string, string>) => {
    if (body !== undefined) keep(operationId, "request", body);
    const reply = await api.request(method, path, body, headers ? { headers } : {});
    const answer = expectStatus(reply, status, `${method} ${path}`);
    keep(operationId, "response", answer);
    return answer as any;
  };

  await ok("getLiveness", "GET", "/healthz", 200);
  await ok("getReadiness", "GET", "/readyz", 200);

  // The child: its state, stop, start and wait for it, restart, its log.
  await ok("getChild", "GET", "/v1/child", 200);
  await ok("stopChild", "POST", "/v1/child/stop", 200);
  await ok("startChild", "POST", "/v1/child/start?wait=true&timeoutMs=30000", 200);
  await ok("restartChild", "POST", "/v1/child/restart", 200);
  await ok("waitForChild", "POST", "/v1/child/wait?condition=ready&timeoutMs=30000", 200);
  await ok("getChildLogs", "GET", "/v1/child/logs?stream=stderr&tail=4", 200);

  // A session and a turn on it.
  const project = join(d.temp.dir, "project");
  await mkdir(project, { recursive: true });
  const session = await ok("createSession", "POST", "/v1/sessions", 201, {
    cwd: project,
    sandbox: "workspace-write",
    approvalPolicy: "on-request",
    approvals: "manual",
    metadata: { ticket: "ENG-1432" },
  });
  const sid = session.sessionId as string;
  const turn = await ok("startTurn", "POST", `/v1/sessions/${sid}/turns`, 202, { input: "Which file is the entry point of this project?", effort: "low" });
  await d.api.waitTurn(sid, turn.turnId);
  await ok("getTurn", "GET", `/v1/sessions/${sid}/turns/${turn.turnId}`, 200);

  // An approval: the fake asks to run a command; an operator accepts.
  const asking = await d.api.startTurn(sid, "[approval:command] Run the test suite.");
  const pending = await d.api.waitPendingApproval(sid);
  await ok("listApprovals", "GET", `/v1/approvals?status=pending&sessionId=${sid}`, 200);
  await ok("getApproval", "GET", `/v1/approvals/${pending.approvalId}`, 200);
  await ok("decideApproval", "POST", `/v1/approvals/${pending.approvalId}/decision`, 200, { decision: "accept" });
  await d.api.waitTurn(sid, asking.turnId);

  // An interrupt of a turn under way.
  const long = await d.api.startTurn(sid, "[delay:60000] Refactor the parser.");
  await d.api.waitTurn(sid, long.turnId, (t) => t.status === "inProgress");
  await ok("interruptTurn", "POST", `/v1/sessions/${sid}/interrupt`, 202);
  await d.api.waitTurn(sid, long.turnId);
  await ok("listTurns", "GET", `/v1/sessions/${sid}/turns?limit=2`, 200);
  await ok("getSession", "GET", `/v1/sessions/${sid}`, 200);

  // A run on a new session, awaited with a long-poll.
  const run = await ok("createRun", "POST", "/v1/runs", 202, { prompt: "Summarize the open TODO comments in src/.", cwd: project, timeoutMs: 600000, metadata: { ticket: "ENG-1433" } }, { "idempotency-key": "eng-1433-todo-summary" });
  await waitUntil(async () => {
    const reply = await api.get(`/v1/runs/${run.runId}`, { waitMs: 10_000 });
    return reply.status === 200 && ["completed", "failed", "cancelled", "timed_out", "interrupted"].includes(reply.body.status) ? reply : undefined;
  }, { timeoutMs: 60_000, what: "the run to end" });
  await ok("getRun", "GET", `/v1/runs/${run.runId}?waitMs=10000`, 200);
  await ok("listEvents", "GET", `/v1/events?runId=${run.runId}&limit=3`, 200);

  // A run waiting behind another on the same session, cancelled before it starts.
  const busy = await d.api.post("/v1/runs", { prompt: "[delay:60000] Upgrade the dependencies.", sessionId: sid });
  expect(busy.status).toBe(202);
  const waiting = await d.api.post("/v1/runs", { prompt: "Write release notes for the last ten commits.", sessionId: sid });
  expect(waiting.status).toBe(202);
  await ok("cancelRun", "POST", `/v1/runs/${waiting.body.runId}/cancel`, 200);
  expect((await d.api.post(`/v1/runs/${busy.body.runId}/cancel`)).status).toBe(200);
  await waitUntil(async () => (await d.api.get(`/v1/runs/${busy.body.runId}`)).body.status === "cancelled", { timeoutMs: 60_000, what: "the run to be cancelled" });
  await ok("listRuns", "GET", "/v1/runs?limit=2", 200);
  await waitUntil(async () => (await d.api.getSession(sid)).status === "idle", { timeoutMs: 60_000, what: "the session to be idle" });

  // A run in a worktree of a git repository: its diff, then its kept worktree removed.
  repo = await createRepo({ "README.md": "# project\n", "src/index.ts": "export {};\n" });
  const inWorktree = await d.api.post("/v1/runs", { prompt: "[write:src/greeting.ts=export const greeting = \"hello\";\\n] Add a greeting constant.", approvalPolicy: "accept", workspace: { repo: repo.dir, commit: true } });
  expect(inWorktree.status).toBe(202);
  await waitUntil(async () => {
    const reply = await api.get(`/v1/runs/${inWorktree.body.runId}`, { waitMs: 10_000 });
    return reply.status === 200 && reply.body.status === "completed" ? reply : undefined;
  }, { timeoutMs: 60_000, what: "the worktree run to complete" });
  await ok("getRunDiff", "GET", `/v1/runs/${inWorktree.body.runId}/diff?format=json`, 200);
  await ok("removeRunWorkspace", "DELETE", `/v1/runs/${inWorktree.body.runId}/workspace`, 200);

  await ok("listSessions", "GET", "/v1/sessions?limit=2", 200);
  await ok("getStatus", "GET", "/v1/status", 200);
  await ok("closeSession", "DELETE", `/v1/sessions/${sid}`, 200);
  await ok("signalChild", "POST", "/v1/child/signal", 200, { signal: "SIGTERM" });
}

/** Where the examples say codexd is installed, instead of the checkout they were captured in. */
const NEUTRAL_ROOT = "/srv/codexd";

function render(examples: Captured): string {
  return `/**
 * Request and response bodies captured from a run of the daemon with the fake app-server child,
 * shown as examples in openapi.yaml. Written by test/contract/api-examples.test.ts
 * (CODEXD_WRITE_EXAMPLES=1 npx vitest run test/contract/api-examples.test.ts), which also keeps
 * them the shape of what the daemon answers; do not edit by hand.
 */
export const examples = ${JSON.stringify(examples, null, 2).replaceAll(JSON.stringify(repoRoot).slice(1, -1), NEUTRAL_ROOT)};
`;
}

describe("the examples in openapi.yaml", () => {
  beforeAll(async () => {
    d = await startSessionsDaemon({ settings: { CODEXD_RUN_CONCURRENCY: "2", CODEXD_CHILD_LIVENESS_INTERVAL_MS: "0" }, childExtra: { FAKE_ACCOUNT: "apikey" } });
    await capture();
    if (process.env.CODEXD_WRITE_EXAMPLES === "1") await writeFile(join(repoRoot, "schemas", "examples.ts"), render(captured));
  });
  afterAll(async () => {
    await d?.close();
    await repo?.cleanup();
  });

  it("cover the operations driven here, request and answer", () => {
    const summary = (c: Record<string, object>) => Object.fromEntries(Object.entries(c).map(([op, parts]) => [op, Object.keys(parts).sort()]));
    expect(summary(committed)).toEqual(summary(captured));
  });

  it("have the shape of what the daemon sends and answers today", () => {
    const drift = Object.entries(captured).flatMap(([op, parts]) =>
      Object.entries(parts).flatMap(([part, live]) => {
        const example = (committed as Captured)[op]?.[part as "request" | "response"];
        const want = shapeOf(live);
        const have = shapeOf(example);
        const missing = [...want].filter((p) => !have.has(p));
        const extra = [...have].filter((p) => !want.has(p));
        return missing.length + extra.length === 0 ? [] : [{ op, part, missing, extra }];
      }),
    );
    expect(drift, "re-capture with CODEXD_WRITE_EXAMPLES=1").toEqual([]);
  });
});
