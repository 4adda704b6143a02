/**
 * Pins down what the real app-server of @openai/codex 0.169.0 does on the wire,
 * run fully offline against test/fixtures/fake-model-server.ts.
 *
 * Speaks raw newline-delimited JSON-RPC (no "jsonrpc" field) with a tiny client
 * defined here, on purpose independent of src/.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCodexHome, type CodexHome } from "../fixtures/codex-home.js";
import {
  replyWith,
  shellThenReply,
  startFakeModelServer,
  type FakeModelServer,
  type ResponsesRequestBody,
} from "../fixtures/fake-model-server.js";

const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const codexBin = join(repoRoot, "node_modules", ".bin", "codex");
const STEP_MS = 10_000;

// ---------------------------------------------------------------------------
// Minimal line-delimited JSON-RPC client for one app-server child
// ---------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface RpcMessage {
  id?: number | string;
  method?: string;
  params?: JsonObject;
  result?: JsonObject;
  error?: { code: number; message: string; data?: Json };
}

type ServerRequestAnswer = { result: Json } | { error: { code: number; message: string } };

interface RpcError extends Error {
  code: number;
  rpcMessage: string;
}

class AppServer {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every message received, in order. */
  readonly messages: RpcMessage[] = [];
  readonly stderr: string[] = [];
  private nextId = 1;
  private readonly listeners = new Set<(m: RpcMessage) => void>();
  private exited = false;
  private readonly exitPromise: Promise<void>;
  /**
   * Answers server-to-client requests; by default a JSON-RPC error so no turn stalls on us.
   * Returning undefined leaves the request for the test to answer with send().
   */
  onServerRequest: (m: RpcMessage) => ServerRequestAnswer | undefined = (m) => ({
    error: { code: -32601, message: `test client does not handle ${m.method}` },
  });

  constructor(env: NodeJS.ProcessEnv) {
    // detached: own process group, so teardown can signal the node wrapper and the native binary together.
    this.child = spawn(codexBin, ["app-server"], { env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    this.exitPromise = new Promise((res) => this.child.once("exit", () => res()));
    void this.exitPromise.then(() => {
      this.exited = true;
    });
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (d: string) => this.stderr.push(d));
    this.child.stdin.on("error", () => {
      /* EPIPE after the child died: the exit is reported elsewhere */
    });
    const lines = createInterface({ input: this.child.stdout, crlfDelay: Infinity });
    lines.on("line", (line) => {
      if (line.trim() === "") return;
      let msg: RpcMessage;
      try {
        msg = JSON.parse(line) as RpcMessage;
      } catch {
        this.stderr.push(`[unparsable stdout line] ${line}\n`);
        return;
      }
      this.messages.push(msg);
      if (msg.id !== undefined && msg.method !== undefined) {
        // Server-to-client request: answered by the handler unless a test answers by itself (handler returns undefined).
        const answer = this.onServerRequest(msg);
        if (answer) this.send({ id: msg.id, ...answer });
      }
      for (const l of [...this.listeners]) l(msg);
    });
  }

  send(message: Record<string, unknown>): void {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  notify(method: string, params?: JsonObject): void {
    this.send(params === undefined ? { method } : { method, params });
  }

  /** Sends a request; resolves with the whole response message (result or error). */
  async requestRaw(method: string, params: JsonObject, timeoutMs = STEP_MS): Promise<RpcMessage> {
    const id = this.nextId++;
    const response = this.waitFor((m) => m.id === id && m.method === undefined, `response to ${method}`, timeoutMs, false);
    this.send({ id, method, params });
    return response;
  }

  async request(method: string, params: JsonObject, timeoutMs = STEP_MS): Promise<JsonObject> {
    const response = await this.requestRaw(method, params, timeoutMs);
    if (response.error) {
      const err = new Error(`${method} failed: ${response.error.code} ${response.error.message}`) as RpcError;
      err.code = response.error.code;
      err.rpcMessage = response.error.message;
      throw err;
    }
    return response.result ?? {};
  }

  /** First message (already received or future) matching `pred`; rejects after `timeoutMs` or when the child exits. */
  waitFor(pred: (m: RpcMessage) => boolean, label: string, timeoutMs = STEP_MS, includePast = true): Promise<RpcMessage> {
    if (includePast) {
      const found = this.messages.find(pred);
      if (found) return Promise.resolve(found);
    }
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label}\n${this.describe()}`));
      }, timeoutMs);
      const listener = (m: RpcMessage): void => {
        if (pred(m)) {
          done();
          resolvePromise(m);
        }
      };
      const onExit = (): void => {
        done();
        reject(new Error(`app-server exited while waiting for ${label}\n${this.describe()}`));
      };
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        this.child.off("exit", onExit);
      };
      this.listeners.add(listener);
      this.child.once("exit", onExit);
    });
  }

  waitForNotification(method: string, pred: (p: JsonObject) => boolean = () => true, timeoutMs = STEP_MS): Promise<RpcMessage> {
    return this.waitFor(
      (m) => m.method === method && m.id === undefined && pred(m.params ?? {}),
      `notification ${method}`,
      timeoutMs,
    );
  }

  notifications(method: string): JsonObject[] {
    return this.messages.filter((m) => m.method === method && m.id === undefined).map((m) => m.params ?? {});
  }

  async initialize(): Promise<JsonObject> {
    const result = await this.request("initialize", { clientInfo: { name: "codexd-e2e", title: "codexd e2e", version: "0.0.0" } });
    this.notify("initialized");
    return result;
  }

  /** Closes stdin, SIGTERMs the process group, SIGKILLs it if still alive after a deadline. */
  async stop(deadlineMs = 3_000): Promise<void> {
    if (this.exited) return;
    const pid = this.child.pid;
    this.child.stdin.end();
    const signalGroup = (signal: NodeJS.Signals): void => {
      if (pid === undefined) return;
      try {
        process.kill(-pid, signal);
      } catch {
        /* already gone */
      }
    };
    signalGroup("SIGTERM");
    const timedOut = await Promise.race([
      this.exitPromise.then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), deadlineMs).unref()),
    ]);
    // Also reap anything left in the group (the native binary or a command it ran).
    signalGroup("SIGKILL");
    if (timedOut) await this.exitPromise;
  }

  describe(): string {
    const tail = this.messages.slice(-15).map((m) => JSON.stringify(m).slice(0, 400));
    return `last messages:\n${tail.join("\n")}\nstderr:\n${this.stderr.join("").slice(-2_000)}`;
  }
}

// ---------------------------------------------------------------------------
// Per-test resources
// ---------------------------------------------------------------------------

let model: FakeModelServer;
let home: CodexHome;
let workDir: string;
const servers: AppServer[] = [];

function startAppServer(): AppServer {
  const server = new AppServer(home.env);
  servers.push(server);
  return server;
}

beforeEach(async () => {
  model = await startFakeModelServer();
  home = await createCodexHome({ modelServerUrl: model.url });
  workDir = await mkdtemp(join(tmpdir(), "codexd-real-codex-cwd-"));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  await model.close();
  await home.cleanup();
  await rm(workDir, { recursive: true, force: true });
});

async function startThread(server: AppServer, extra: JsonObject = {}): Promise<string> {
  const result = await server.request("thread/start", {
    cwd: workDir,
    approvalPolicy: "on-request",
    sandbox: "workspace-write",
    ...extra,
  });
  const thread = result.thread as JsonObject;
  expect(typeof thread.id).toBe("string");
  return thread.id as string;
}

async function startTurn(server: AppServer, threadId: string, text: string): Promise<string> {
  const result = await server.request("turn/start", { threadId, input: [{ type: "text", text }] });
  const turn = result.turn as JsonObject;
  // The response is not "started": it carries status inProgress before turn/started arrives.
  expect(turn.status).toBe("inProgress");
  return turn.id as string;
}

function completedTurn(server: AppServer, turnId: string, timeoutMs = 20_000): Promise<RpcMessage> {
  return server.waitForNotification("turn/completed", (p) => (p.turn as JsonObject | undefined)?.id === turnId, timeoutMs);
}

function lastInputOf(body: unknown): JsonObject | undefined {
  const input = (body as ResponsesRequestBody).input as unknown as JsonObject[];
  return input[input.length - 1];
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

describe("real codex app-server against the fake model server", () => {
  it("a. plain turn: agent message from deltas, turn/completed completed, token usage", async () => {
    const reply = "Hello from the fake model, offline.";
    model.setScript(replyWith(reply));
    const server = startAppServer();
    const t0 = Date.now();
    const init = await server.initialize();
    expect(init).toMatchObject({ codexHome: home.dir, platformFamily: "unix" });

    const threadId = await startThread(server);
    const turnId = await startTurn(server, threadId, "hi");
    const completed = await completedTurn(server, turnId);
    const elapsed = Date.now() - t0;

    const turn = completed.params?.turn as JsonObject;
    expect(completed.params?.threadId).toBe(threadId);
    expect(turn.status).toBe("completed");
    expect(turn.error).toBeNull();

    await server.waitForNotification("turn/started", (p) => (p.turn as JsonObject).id === turnId, 0);

    const deltas = server
      .notifications("item/agentMessage/delta")
      .filter((p) => p.turnId === turnId)
      .map((p) => p.delta as string);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe(reply);

    const agentItems = server
      .notifications("item/completed")
      .map((p) => p.item as JsonObject)
      .filter((item) => item.type === "agentMessage");
    expect(agentItems.map((i) => i.text)).toEqual([reply]);
    // turn/completed carries a summary view with the agent message (not the user message).
    expect(turn.itemsView).toBe("summary");
    expect((turn.items as JsonObject[]).map((i) => i.type)).toEqual(["agentMessage"]);

    const usage = server.notifications("thread/tokenUsage/updated");
    expect(usage.length).toBe(1);
    expect(usage[0]).toMatchObject({
      threadId,
      turnId,
      tokenUsage: {
        total: { totalTokens: 127, inputTokens: 120, cachedInputTokens: 20, outputTokens: 7, reasoningOutputTokens: 0 },
        last: { totalTokens: 127, inputTokens: 120, cachedInputTokens: 20, outputTokens: 7, reasoningOutputTokens: 0 },
      },
    });
    expect(typeof (usage[0]?.tokenUsage as JsonObject).modelContextWindow).toBe("number");

    // Exactly one model call, carrying our text as the last input item.
    const calls = model.responsesRequests();
    expect(calls).toHaveLength(1);
    expect(lastInputOf(calls[0]?.body)).toMatchObject({ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] });
    // Nothing else was asked of the fake (no /models, no auth).
    expect(model.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /v1/responses"]);

    console.log(
      `[facts a] turn took ${elapsed} ms from spawn; notifications: ${[...new Set(server.messages.map((m) => m.method ?? "<response>"))].join(", ")}\n` +
        `[facts a] token usage: ${JSON.stringify(usage[0])}`,
    );
  });

  describe("b. escalated shell command needs approval", () => {
    const justification = "Create approved.txt in the workspace";

    async function runUntilApproval(server: AppServer): Promise<{ threadId: string; turnId: string; approval: RpcMessage }> {
      model.setScript(shellThenReply(["touch", "approved.txt"], { escalated: true, justification }, "Done with the command."));
      // Leave the approval request unanswered so each test decides.
      server.onServerRequest = (m) =>
        m.method === "item/commandExecution/requestApproval"
          ? undefined
          : { error: { code: -32601, message: `unhandled ${m.method}` } };
      await server.initialize();
      const threadId = await startThread(server);
      const turnId = await startTurn(server, threadId, "please create approved.txt");
      const approval = await server.waitFor(
        (m) => m.method === "item/commandExecution/requestApproval" && m.id !== undefined,
        "item/commandExecution/requestApproval",
      );
      const params = approval.params as JsonObject;
      expect(params).toMatchObject({
        kind: "command",
        threadId,
        turnId,
        environmentId: "local",
        reason: justification,
        // "/bin/bash -lc 'touch approved.txt'" here: the user's shell wraps the command.
        command: expect.stringContaining("touch approved.txt"),
        cwd: workDir,
        commandActions: [{ type: "unknown", command: "touch approved.txt" }],
        proposedExecpolicyAmendment: ["touch", "approved.txt"],
        availableDecisions: [
          "accept",
          { acceptWithExecpolicyAmendment: { execpolicy_amendment: ["touch", "approved.txt"] } },
          "cancel",
        ],
      });
      expect(typeof params.itemId).toBe("string");
      expect(typeof params.startedAtMs).toBe("number");
      // The command item is announced before the request, with the same id as the approval's itemId.
      const started = server
        .notifications("item/started")
        .map((p) => p.item as JsonObject)
        .find((i) => i.type === "commandExecution");
      expect(started).toMatchObject({ id: params.itemId, status: "inProgress", source: "agent" });
      // While waiting, the thread says so.
      await server.waitForNotification("thread/status/changed", (p) =>
        JSON.stringify(p.status) === JSON.stringify({ type: "active", activeFlags: ["waitingOnApproval"] }),
      );
      expect(existsSync(join(workDir, "approved.txt"))).toBe(false);
      return { threadId, turnId, approval };
    }

    it("accept: the command runs, the tool output goes back to the model, turn completes", async () => {
      const server = startAppServer();
      const { threadId, turnId, approval } = await runUntilApproval(server);
      console.log(`[facts b] approval request: ${JSON.stringify(approval)}`);

      server.send({ id: approval.id as number, result: { decision: "accept" } });
      const completed = await completedTurn(server, turnId);
      const turn = completed.params?.turn as JsonObject;
      expect(turn.status).toBe("completed");
      expect(existsSync(join(workDir, "approved.txt"))).toBe(true);

      await server.waitForNotification("serverRequest/resolved", (p) => p.requestId === approval.id && p.threadId === threadId, 0);
      const cmd = server
        .notifications("item/completed")
        .map((p) => p.item as JsonObject)
        .find((i) => i.type === "commandExecution");
      expect(cmd).toMatchObject({ status: "completed", exitCode: 0, id: (approval.params as JsonObject).itemId });

      const calls = model.responsesRequests();
      expect(calls).toHaveLength(2);
      const output = lastInputOf(calls[1]?.body);
      expect(output?.type).toBe("function_call_output");
      expect(String(output?.output)).toContain("Process exited with code 0");
      expect((turn.items as JsonObject[]).map((i) => i.text)).toEqual(["Done with the command."]);
      console.log(`[facts b] accept -> turn ${turn.status}; command item ${JSON.stringify(cmd)}`);
    });

    it("deny with the offered decision (decline if offered, else cancel): no file, turn ends", async () => {
      const server = startAppServer();
      const { turnId, approval } = await runUntilApproval(server);
      const offered = (approval.params as JsonObject).availableDecisions as Json[];
      const decision = offered.includes("decline") ? "decline" : "cancel";
      expect(decision).toBe("cancel"); // 0.169.0 offers no "decline" for an escalated command

      server.send({ id: approval.id as number, result: { decision } });
      const completed = await completedTurn(server, turnId);
      const turn = completed.params?.turn as JsonObject;
      expect(existsSync(join(workDir, "approved.txt"))).toBe(false);

      const cmd = server
        .notifications("item/completed")
        .map((p) => p.item as JsonObject)
        .find((i) => i.type === "commandExecution");
      expect(cmd).toMatchObject({ status: "declined", exitCode: null });
      // cancel interrupts the turn: the model is not called again and turn/completed has no items.
      expect(turn.status).toBe("interrupted");
      expect(turn.error).toBeNull();
      expect(turn.items).toEqual([]);
      expect(model.responsesRequests()).toHaveLength(1);
      console.log(`[facts b] ${decision} -> turn ${turn.status}; completed params ${JSON.stringify(completed.params)}`);
    });

    it("decline although not offered: still honoured, the model is told and the turn completes", async () => {
      const server = startAppServer();
      const { turnId, approval } = await runUntilApproval(server);
      expect((approval.params as JsonObject).availableDecisions).not.toContain("decline");

      server.send({ id: approval.id as number, result: { decision: "decline" } });
      const completed = await completedTurn(server, turnId);
      const turn = completed.params?.turn as JsonObject;
      expect(existsSync(join(workDir, "approved.txt"))).toBe(false);
      expect(turn.status).toBe("completed");

      const calls = model.responsesRequests();
      expect(calls).toHaveLength(2);
      const output = lastInputOf(calls[1]?.body);
      expect(output?.type).toBe("function_call_output");
      expect(String(output?.output)).toContain("rejected by user");
      console.log(`[facts b] decline (not offered) -> turn ${turn.status}; tool output to model: ${JSON.stringify(output?.output)}`);
    });
  });

  describe("d. model failures", () => {
    it("a dropped stream with stream_max_retries = 1: error willRetry true, then the turn completes", async () => {
      await home.cleanup();
      home = await createCodexHome({ modelServerUrl: model.url, streamMaxRetries: 1 });
      model.setScript((ctx) =>
        ctx.callIndex === 0
          ? { kind: "events", events: [{ type: "response.created", response: { id: "resp_drop", object: "response", status: "in_progress", output: [] } }] }
          : { kind: "text", text: "ok after reconnect" },
      );
      const server = startAppServer();
      await server.initialize();
      const threadId = await startThread(server);
      const turnId = await startTurn(server, threadId, "hi");
      const completed = await completedTurn(server, turnId);
      expect((completed.params?.turn as JsonObject).status).toBe("completed");
      const errors = server.notifications("error");
      expect(errors).toEqual([
        {
          error: {
            message: "Reconnecting... 1/1",
            codexErrorInfo: { responseStreamDisconnected: { httpStatusCode: null } },
            additionalDetails: "stream disconnected before completion: stream closed before response.completed",
            misalignment: null,
          },
          willRetry: true,
          threadId,
          turnId,
        },
      ]);
      expect(model.responsesRequests()).toHaveLength(2);
    });

    it("HTTP 500 without retries: error willRetry false, thread systemError, turn failed with the error", async () => {
      model.setScript(() => ({ kind: "http_error", status: 500 }));
      const server = startAppServer();
      await server.initialize();
      const threadId = await startThread(server);
      const turnId = await startTurn(server, threadId, "hi");
      const completed = await completedTurn(server, turnId);
      const turn = completed.params?.turn as JsonObject;
      const expectedError = {
        message: "We’re currently experiencing high demand, which may cause temporary errors.",
        codexErrorInfo: "internalServerError",
        additionalDetails: null,
        misalignment: null,
      };
      expect(turn.status).toBe("failed");
      expect(turn.error).toEqual(expectedError);
      expect(server.notifications("error")).toEqual([{ error: expectedError, willRetry: false, threadId, turnId }]);
      // The thread does not go back to idle: its last status is systemError.
      const statuses = server.notifications("thread/status/changed").filter((p) => p.threadId === threadId);
      expect(statuses[statuses.length - 1]?.status).toEqual({ type: "systemError" });
    });
  });

  it("e. turn/interrupt while an approval is pending: {} reply, turn interrupted, request resolved", async () => {
    model.setScript(shellThenReply(["touch", "approved.txt"], { escalated: true, justification: "j" }, "never sent"));
    const server = startAppServer();
    server.onServerRequest = (m) => (m.method === "item/commandExecution/requestApproval" ? undefined : { error: { code: -32601, message: "unhandled" } });
    await server.initialize();
    const threadId = await startThread(server);
    const turnId = await startTurn(server, threadId, "please create approved.txt");
    const approval = await server.waitFor((m) => m.method === "item/commandExecution/requestApproval", "approval request");

    const interrupt = await server.request("turn/interrupt", { threadId, turnId });
    expect(interrupt).toEqual({});
    const completed = await completedTurn(server, turnId);
    expect((completed.params?.turn as JsonObject).status).toBe("interrupted");
    await server.waitForNotification("serverRequest/resolved", (p) => p.requestId === approval.id);
    // Seen: turn/completed first, serverRequest/resolved right after (same millisecond); not asserted, it may race.
    const order = server.messages
      .map((m) => m.method)
      .filter((m) => m === "turn/completed" || m === "serverRequest/resolved");
    console.log(`[facts e] order after turn/interrupt: ${order.join(" -> ")}`);
    // The command item was started but never completed.
    const cmdCompleted = server
      .notifications("item/completed")
      .map((p) => p.item as JsonObject)
      .filter((i) => i.type === "commandExecution");
    expect(cmdCompleted).toEqual([]);
    expect(existsSync(join(workDir, "approved.txt"))).toBe(false);
  });

  describe("c. thread/resume in a new app-server process", () => {
    it("a thread that had no turn has no rollout: resume fails with -32600", async () => {
      const first = startAppServer();
      await first.initialize();
      const started = await first.request("thread/start", { cwd: workDir, approvalPolicy: "on-request", sandbox: "workspace-write" });
      const loaded = started.thread as JsonObject;
      const threadId = loaded.id as string;
      // thread.path names a rollout file, but it is written only with the first turn.
      expect(typeof loaded.path).toBe("string");
      expect(existsSync(loaded.path as string)).toBe(false);
      // Even the process that created the thread refuses to resume it.
      const same = await first.requestRaw("thread/resume", { threadId });
      expect(same.error).toEqual({ code: -32600, message: `no rollout found for thread id ${threadId}` });
      await first.stop();

      const second = startAppServer();
      await second.initialize();
      const response = await second.requestRaw("thread/resume", { threadId });
      expect(response.result).toBeUndefined();
      expect(response.error).toEqual({ code: -32600, message: `no rollout found for thread id ${threadId}` });
      // thread/read does not help either: the thread is not loaded in this process.
      const read = await second.requestRaw("thread/read", { threadId });
      expect(read.error).toEqual({ code: -32600, message: `thread not loaded: ${threadId}` });
      console.log(`[facts c] resume without rollout: ${JSON.stringify(response.error)}; thread/read: ${JSON.stringify(read.error)}`);
    });

    it("a thread that had a turn resumes, with its history", async () => {
      model.setScript(replyWith("first answer"));
      const first = startAppServer();
      await first.initialize();
      const threadId = await startThread(first);
      const turnId = await startTurn(first, threadId, "hi");
      await completedTurn(first, turnId);
      await first.stop();

      const second = startAppServer();
      await second.initialize();
      const result = await second.request("thread/resume", { threadId });
      const thread = result.thread as JsonObject;
      expect(thread.id).toBe(threadId);
      const turns = thread.turns as JsonObject[];
      expect(turns.map((t) => t.id)).toEqual([turnId]);
      expect(turns[0]?.status).toBe("completed");

      // And the resumed thread takes a new turn.
      model.setScript(replyWith("second answer"));
      const turn2 = await startTurn(second, threadId, "again");
      const completed = await completedTurn(second, turn2);
      expect((completed.params?.turn as JsonObject).status).toBe("completed");
      // The model sees the earlier exchange again (history comes from the rollout).
      const body = model.responsesRequests()[1]?.body as ResponsesRequestBody;
      expect(JSON.stringify(body.input)).toContain("first answer");
      console.log(
        `[facts c] resume with rollout: keys ${Object.keys(result).join(",")}; turns[0] ${JSON.stringify(turns[0]).slice(0, 600)}`,
      );
    });
  });
});
