/**
 * The main flows of codexd, written against a client generated from openapi.yaml alone
 * (openapi-typescript types + openapi-fetch). test/contract/generated-client.test.ts copies this
 * file next to the generated `codexd-api.ts` in a temp dir, compiles both with `tsc --strict`,
 * then runs `runFlows` against a daemon. Not part of the repository's own type-check: the module
 * it imports exists only there.
 *
 * What must compile is part of the test: the response headers and problem fields are read
 * through types that accept only what the contract declares (no index-signature escape).
 */
import createClient from "openapi-fetch";
import type { components, operations, paths } from "./codexd-api.js";

type Problem = components["schemas"]["Problem"];

/** The declared keys of a type, without the `[name: string]: unknown` of an open object. */
type DeclaredKeys<T> = keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };
type ResponseHeaders<Op extends keyof operations, Status extends keyof operations[Op]["responses"]> = operations[Op]["responses"][Status] extends {
  headers: infer H;
}
  ? H
  : never;

/** A response header, by a name the contract declares for that operation and status. */
function header<Op extends keyof operations, Status extends keyof operations[Op]["responses"]>(
  response: Response,
  name: DeclaredKeys<ResponseHeaders<Op, Status>> & string,
): string | null {
  return response.headers.get(name);
}

export interface FlowsResult {
  sessionId: string;
  sessionLocation: string | null;
  turnStatus: string;
  turnFinalMessage: string | null;
  runStatus: string;
  runLocation: string | null;
  replayedHeader: string | null;
  replayedSameRun: boolean;
  reusedKeyCode: string;
  reusedKeyRunId: string | undefined;
  eventTypes: string[];
  streamAfter: string | null;
  pendingApprovals: number;
  notOfferedCode: string;
  availableDecisions: Array<string | Record<string, unknown>>;
  approvalStatus: string;
  notFound: { status: number; contentType: string | null; code: string; detail: string | undefined };
  unauthorizedScheme: string | null;
}

const TERMINAL_RUN = new Set(["completed", "failed", "cancelled", "timed_out", "interrupted"]);

function fail(what: string, problem: Problem | undefined, status: number): never {
  throw new Error(`${what}: HTTP ${status} ${problem ? `${problem.code}: ${problem.detail ?? problem.title}` : ""}`);
}

/** Poll until `probe` gives a value; a hang is the failure, so the deadline is generous. */
async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runFlows(baseUrl: string, token: string): Promise<FlowsResult> {
  const api = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${token}` } });

  // Without the token: 401 with the scheme to use.
  const anonymous = createClient<paths>({ baseUrl });
  const denied = await anonymous.GET("/v1/status");
  if (denied.response.status !== 401 || !denied.error) throw new Error(`expected 401 without a token, got ${denied.response.status}`);
  const unauthorizedScheme = header<"getStatus", 401>(denied.response, "www-authenticate");

  // A session, and a turn on it followed to its end.
  const created = await api.POST("/v1/sessions", { body: { metadata: { flow: "generated-client" } } });
  if (!created.data) fail("create session", created.error, created.response.status);
  const session = created.data;
  const sessionLocation = header<"createSession", 201>(created.response, "location");

  const started = await api.POST("/v1/sessions/{id}/turns", { params: { path: { id: session.sessionId } }, body: { input: "hello from a generated client" } });
  if (!started.data) fail("start turn", started.error, started.response.status);
  const turnId = started.data.turnId;
  const turn = await until("the turn to end", async () => {
    const got = await api.GET("/v1/sessions/{id}/turns/{turnId}", { params: { path: { id: session.sessionId, turnId } } });
    if (!got.data) fail("get turn", got.error, got.response.status);
    return got.data.status === "pending" || got.data.status === "inProgress" ? undefined : got.data;
  });

  // A run with an Idempotency-Key, long-polled to its end; the same key again replays it.
  const key = `generated-client-${Date.now()}`;
  const runBody = { prompt: "run from a generated client", sessionId: session.sessionId };
  const queued = await api.POST("/v1/runs", { params: { header: { "idempotency-key": key } }, body: runBody });
  if (!queued.data) fail("create run", queued.error, queued.response.status);
  const runId = queued.data.runId;
  const runLocation = header<"createRun", 202>(queued.response, "location");
  const replay = await api.POST("/v1/runs", { params: { header: { "idempotency-key": key } }, body: runBody });
  if (!replay.data) fail("replay run", replay.error, replay.response.status);
  const replayedHeader = header<"createRun", 202>(replay.response, "idempotent-replayed");
  const reused = await api.POST("/v1/runs", { params: { header: { "idempotency-key": key } }, body: { ...runBody, prompt: "another body" } });
  if (!reused.error) throw new Error(`a reused Idempotency-Key was accepted (${reused.response.status})`);
  // Declared on Problem: a string, not `unknown` from the open object.
  const reusedKeyRunId: string | undefined = reused.error.runId;

  const run = await until("the run to end", async () => {
    const got = await api.GET("/v1/runs/{id}", { params: { path: { id: runId }, query: { waitMs: 10_000 } } });
    if (!got.data) fail("get run", got.error, got.response.status);
    return TERMINAL_RUN.has(got.data.status) ? got.data : undefined;
  });

  // The event log, and the stream's cursor header.
  const events = await api.GET("/v1/events", { params: { query: { after: 0, limit: 1000, sessionId: session.sessionId } } });
  if (!events.data) fail("list events", events.error, events.response.status);
  const stream = await api.GET("/v1/events/stream", { params: { query: { runId } }, parseAs: "stream" });
  const streamAfter = header<"streamEvents", 200>(stream.response, "x-codexd-after");
  await stream.response.body?.cancel();

  // An approval: listed while pending; a decision not offered is a typed problem; then accepted.
  const asking = await api.POST("/v1/sessions/{id}/turns", { params: { path: { id: session.sessionId } }, body: { input: "[approval:command] please" } });
  if (!asking.data) fail("start approval turn", asking.error, asking.response.status);
  const pending = await until("a pending approval", async () => {
    const list = await api.GET("/v1/approvals", { params: { query: { status: "pending" } } });
    if (!list.data) fail("list approvals", list.error, list.response.status);
    return list.data.approvals.length > 0 ? list.data.approvals : undefined;
  });
  const approvalId = pending[0]!.approvalId;
  const refused = await api.POST("/v1/approvals/{id}/decision", { params: { path: { id: approvalId } }, body: { decision: "not-a-decision" } });
  if (!refused.error) throw new Error(`a decision not offered was accepted (${refused.response.status})`);
  const availableDecisions: Array<string | Record<string, unknown>> = refused.error.availableDecisions ?? [];
  const decided = await api.POST("/v1/approvals/{id}/decision", { params: { path: { id: approvalId } }, body: { decision: "accept" } });
  if (!decided.data) fail("decide approval", decided.error, decided.response.status);

  // A problem+json answer, typed.
  const missing = await api.GET("/v1/runs/{id}", { params: { path: { id: "no-such-run" } } });
  if (!missing.error) throw new Error(`an unknown run was found (${missing.response.status})`);
  const problem: Problem = missing.error;

  return {
    sessionId: session.sessionId,
    sessionLocation,
    turnStatus: turn.status,
    turnFinalMessage: turn.finalMessage ?? null,
    runStatus: run.status,
    runLocation,
    replayedHeader,
    replayedSameRun: replay.data.runId === runId,
    reusedKeyCode: reused.error.code,
    reusedKeyRunId,
    eventTypes: events.data.events.map((e) => e.type),
    streamAfter,
    pendingApprovals: pending.length,
    notOfferedCode: refused.error.code,
    availableDecisions,
    approvalStatus: decided.data.status,
    notFound: { status: missing.response.status, contentType: missing.response.headers.get("content-type"), code: problem.code, detail: problem.detail },
    unauthorizedScheme,
  };
}
