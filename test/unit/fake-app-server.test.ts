import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../fixtures/fake-app-server.mjs", import.meta.url));
const DEADLINE_MS = 5000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = Record<string, any>;

/** One spawned fake: raw stdout lines, parsed messages, stderr, and waits with a deadline. */
class Fake {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  readonly messages: Msg[] = [];
  stderr = "";
  stdoutEnded = false;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private nextId = 1;
  private partial: Buffer[] = [];
  private listeners = new Set<() => void>();

  constructor(env: Record<string, string> = {}, options: { detached?: boolean } = {}) {
    this.proc = spawn(process.execPath, [SCRIPT], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
      detached: options.detached ?? false,
    });
    this.proc.stdin!.on("error", () => {});
    this.proc.stdout!.on("data", (chunk: Buffer) => this.onData(chunk));
    this.proc.stdout!.on("end", () => { this.stdoutEnded = true; this.changed(); });
    this.proc.stderr!.on("data", (chunk: Buffer) => { this.stderr += chunk.toString("utf8"); this.changed(); });
    this.proc.on("exit", (code, signal) => { this.exit = { code, signal }; this.changed(); });
    live.push(this);
  }

  private onData(chunk: Buffer): void {
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      this.partial.push(chunk.subarray(start, i));
      const line = Buffer.concat(this.partial).toString("utf8");
      this.partial = [];
      this.lines.push(line);
      try {
        const parsed: unknown = JSON.parse(line);
        if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) this.messages.push(parsed as Msg);
      } catch { /* raw line only */ }
      start = i + 1;
    }
    if (start < chunk.length) this.partial.push(chunk.subarray(start));
    this.changed();
  }

  private changed(): void { for (const listener of [...this.listeners]) listener(); }

  /** Resolve once check() returns a value other than undefined; reject after the deadline. */
  until<T>(what: string, check: () => T | undefined, ms = DEADLINE_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        const value = check();
        if (value === undefined) return false;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(value);
        return true;
      };
      const listener = (): void => { attempt(); };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        const tail = this.messages.slice(-5).map((m) => JSON.stringify(m).slice(0, 300)).join("\n");
        reject(new Error(`timed out waiting for ${what}; last messages:\n${tail}\nstderr:\n${this.stderr.slice(-1000)}`));
      }, ms);
      if (!attempt()) this.listeners.add(listener);
    });
  }

  waitFor(what: string, pred: (m: Msg) => boolean, ms?: number): Promise<Msg> {
    return this.until(what, () => this.messages.find(pred), ms);
  }

  notification(method: string, pred: (p: Msg) => boolean = () => true): Promise<Msg> {
    return this.waitFor(method, (m) => m.method === method && m.id === undefined && pred(m.params));
  }

  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.until("process exit", () => this.exit ?? undefined);
  }

  send(msg: Msg): void { this.proc.stdin!.write(JSON.stringify(msg) + "\n"); }

  /** Send a request and wait for its response (result or error). */
  request(method: string, params: Msg = {}, ms?: number): Promise<Msg> {
    const id = this.nextId++;
    this.send({ id, method, params });
    return this.waitFor(`response to ${method}`, (m) => m.id === id && m.method === undefined, ms);
  }

  async call(method: string, params: Msg = {}): Promise<Msg> {
    const res = await this.request(method, params);
    if (res.error) throw new Error(`${method} failed: ${JSON.stringify(res.error)}`);
    return res.result as Msg;
  }

  async handshake(): Promise<Msg> {
    const result = await this.call("initialize", { clientInfo: { name: "test", version: "0" } });
    this.send({ method: "initialized" });
    return result;
  }

  async startThread(): Promise<string> {
    const result = await this.call("thread/start", { cwd: os.tmpdir(), approvalPolicy: "on-request", sandbox: "read-only" });
    return result.thread.id as string;
  }

  async startTurn(threadId: string, text: string): Promise<string> {
    const result = await this.call("turn/start", { threadId, input: [{ type: "text", text }] });
    return result.turn.id as string;
  }

  turnCompleted(turnId: string): Promise<Msg> {
    return this.notification("turn/completed", (p) => p.turn.id === turnId).then((m) => m.params.turn as Msg);
  }

  serverRequest(method: string): Promise<Msg> {
    return this.waitFor(`server request ${method}`, (m) => m.method === method && m.id !== undefined);
  }
}

const live: Fake[] = [];
const groupsToKill: number[] = [];
const tmpDirs: string[] = [];

afterEach(() => {
  for (const fake of live.splice(0)) if (fake.exit === null) fake.proc.kill("SIGKILL");
  for (const pgid of groupsToKill.splice(0)) {
    try { process.kill(-pgid, "SIGKILL"); } catch { /* already gone */ }
  }
  for (const dir of tmpDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-app-server-test-"));
  tmpDirs.push(dir);
  return dir;
}

function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function turnSetup(env: Record<string, string> = {}): Promise<{ fake: Fake; threadId: string }> {
  const fake = new Fake(env);
  await fake.handshake();
  return { fake, threadId: await fake.startThread() };
}

describe("fake-app-server protocol", () => {
  it("handshakes like the real server and rejects early and unknown requests", async () => {
    const fake = new Fake();
    const early = await fake.request("thread/loaded/list");
    expect(early.error).toEqual({ code: -32600, message: "Not initialized" });
    const init = await fake.handshake();
    expect(init).toMatchObject({ platformFamily: "unix", platformOs: "linux" });
    expect(init.userAgent).toMatch(/^fake-app-server\//);
    expect((await fake.request("initialize", { clientInfo: { name: "t", version: "0" } })).error.message).toBe("Already initialized");
    const unknown = await fake.request("bogus/method");
    expect(unknown.error.code).toBe(-32600);
    expect(unknown.error.message).toMatch(/^Invalid request: unknown variant `bogus\/method`/);
    expect(await fake.call("thread/loaded/list")).toEqual({ data: [], nextCursor: null });
    expect(fake.stderr).toMatch(/request 1 thread\/loaded\/list/);
    fake.proc.stdin!.end();
    expect(await fake.exited()).toEqual({ code: 0, signal: null });
  });

  it("streams a turn: deltas spell the reply and turn/completed ends it", async () => {
    const { fake, threadId } = await turnSetup();
    expect((await fake.notification("thread/started")).params.thread.id).toBe(threadId);
    const turnId = await fake.startTurn(threadId, "hello world");
    const turn = await fake.turnCompleted(turnId);
    expect(turn).toMatchObject({ status: "completed", items: [], error: null });
    const forTurn = fake.messages.filter((m) => m.params?.turnId === turnId || m.params?.turn?.id === turnId);
    const methods = forTurn.map((m) => m.method as string);
    expect(methods[0]).toBe("turn/started");
    expect(methods.at(-1)).toBe("turn/completed");
    expect(methods).toContain("thread/tokenUsage/updated");
    const deltas = forTurn.filter((m) => m.method === "item/agentMessage/delta");
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((m) => m.params.delta).join("")).toBe("echo: hello world");
    const completedItems = forTurn.filter((m) => m.method === "item/completed").map((m) => m.params.item);
    expect(completedItems.map((i) => i.type)).toEqual(["userMessage", "agentMessage"]);
    expect(completedItems[1].text).toBe("echo: hello world");
    expect(deltas.every((m) => m.params.itemId === completedItems[1].id && m.params.threadId === threadId)).toBe(true);
    const read = await fake.call("thread/read", { threadId, includeTurns: true });
    expect(read.thread.turns).toHaveLength(1);
    expect(read.thread.turns[0]).toMatchObject({ id: turnId, status: "completed" });
    expect((await fake.call("thread/loaded/list")).data).toEqual([threadId]);
  });

  it("reads a message holding U+2028 and U+2029 as one line: lines end at \\n only", async () => {
    // JSON strings may hold both characters raw (JSON.stringify leaves them so); node:readline
    // ends a line at them from Node 24 on, which would cut such a message in two.
    const { fake, threadId } = await turnSetup();
    const text = "one\u2028two\u2029three";
    const turnId = await fake.startTurn(threadId, text);
    const turn = await fake.turnCompleted(turnId);
    expect(turn.status).toBe("completed");
    const completed = fake.messages.filter((m) => m.method === "item/completed" && m.params.turnId === turnId).map((m) => m.params.item);
    expect(completed.find((i) => i.type === "agentMessage")?.text).toBe(`echo: ${text}`);
    expect(fake.stderr).not.toMatch(/ignoring non-JSON input line/);
  });

  it("interrupts a [silent] turn and checks expectedTurnId on steer", async () => {
    const { fake, threadId } = await turnSetup();
    const turnId = await fake.startTurn(threadId, "[silent] [reply:never]");
    await fake.notification("turn/started", (p) => p.turn.id === turnId);
    const wrongSteer = await fake.request("turn/steer", { threadId, expectedTurnId: "nope", input: [{ type: "text", text: "x" }] });
    expect(wrongSteer.error.message).toMatch(/expected active turn id `nope`/);
    expect(await fake.call("turn/steer", { threadId, expectedTurnId: turnId, input: [{ type: "text", text: "x" }] })).toEqual({ turnId });
    expect(await fake.call("turn/interrupt", { threadId, turnId })).toEqual({});
    expect((await fake.turnCompleted(turnId)).status).toBe("interrupted");
    expect(fake.messages.some((m) => m.method === "item/agentMessage/delta")).toBe(false);
    const late = await fake.request("turn/steer", { threadId, expectedTurnId: turnId, input: [{ type: "text", text: "x" }] });
    expect(late.error.message).toBe("no active turn to steer");
  });

  it("[reply], [delay], [retry-error] and [fail] directives", async () => {
    const { fake, threadId } = await turnSetup();
    const started = Date.now();
    const t1 = await fake.startTurn(threadId, "[reply:custom text here] [delay:200] [retry-error]");
    expect((await fake.turnCompleted(t1)).status).toBe("completed");
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    const retry = await fake.notification("error", (p) => p.turnId === t1);
    expect(retry.params).toMatchObject({ threadId, willRetry: true });
    const deltas = fake.messages.filter((m) => m.method === "item/agentMessage/delta" && m.params.turnId === t1);
    expect(deltas.map((m) => m.params.delta).join("")).toBe("custom text here");
    const t2 = await fake.startTurn(threadId, "[fail]");
    const failed = await fake.turnCompleted(t2);
    expect(failed.status).toBe("failed");
    expect(failed.error.message).toBe("fake failure");
  });

  it("[crash] exits with code 3 after one delta", async () => {
    const { fake, threadId } = await turnSetup();
    const turnId = await fake.startTurn(threadId, "[crash] one two three");
    expect(await fake.exited()).toEqual({ code: 3, signal: null });
    expect(fake.messages.filter((m) => m.method === "item/agentMessage/delta" && m.params.turnId === turnId)).toHaveLength(1);
  });
});

describe("fake-app-server approvals", () => {
  const cases = [
    { decision: "accept", itemStatus: "completed", turnStatus: "completed" },
    { decision: "decline", itemStatus: "declined", turnStatus: "completed" },
    { decision: "cancel", itemStatus: "declined", turnStatus: "interrupted" },
  ];
  it.each(cases)("[approval:command] answered $decision", async ({ decision, itemStatus, turnStatus }) => {
    const { fake, threadId } = await turnSetup();
    const turnId = await fake.startTurn(threadId, "[approval:command]");
    const req = await fake.serverRequest("item/commandExecution/requestApproval");
    expect(req.params).toMatchObject({ kind: "command", threadId, turnId, command: "echo fake" });
    expect(req.params.availableDecisions).toEqual(["accept", "acceptForSession", "decline", "cancel"]);
    fake.send({ id: req.id, result: { decision } });
    expect((await fake.turnCompleted(turnId)).status).toBe(turnStatus);
    expect((await fake.notification("serverRequest/resolved")).params).toEqual({ threadId, requestId: req.id });
    const item = (await fake.notification("item/completed", (p) => p.item.id === req.params.itemId)).params.item;
    expect(item).toMatchObject({ type: "commandExecution", status: itemStatus });
    if (decision === "accept") expect(item.aggregatedOutput).toBe("fake\n");
  });

  it("[approval:command-escalated] offers an execpolicy amendment and no decline", async () => {
    const { fake, threadId } = await turnSetup();
    const turnId = await fake.startTurn(threadId, "[approval:command-escalated]");
    const req = await fake.serverRequest("item/commandExecution/requestApproval");
    expect(req.params.availableDecisions).toEqual(["accept", { acceptWithExecpolicyAmendment: { execpolicy_amendment: ["echo"] } }, "cancel"]);
    fake.send({ id: req.id, result: { decision: req.params.availableDecisions[1] } });
    expect((await fake.turnCompleted(turnId)).status).toBe("completed");
  });

  it("[approval:file] asks with item/fileChange/requestApproval", async () => {
    const { fake, threadId } = await turnSetup();
    const turnId = await fake.startTurn(threadId, "[approval:file]");
    const req = await fake.serverRequest("item/fileChange/requestApproval");
    expect(req.params).toMatchObject({ threadId, turnId, grantRoot: null });
    fake.send({ id: req.id, result: { decision: "decline" } });
    expect((await fake.turnCompleted(turnId)).status).toBe("completed");
    const item = (await fake.notification("item/completed", (p) => p.item.id === req.params.itemId)).params.item;
    expect(item).toMatchObject({ type: "fileChange", status: "declined" });
  });

  it("[approval:resolved] resolves its own request and completes without an answer", async () => {
    const { fake, threadId } = await turnSetup();
    const turnId = await fake.startTurn(threadId, "[approval:resolved]");
    const req = await fake.serverRequest("item/commandExecution/requestApproval");
    const resolved = await fake.notification("serverRequest/resolved");
    expect(resolved.params).toEqual({ threadId, requestId: req.id });
    expect((await fake.turnCompleted(turnId)).status).toBe("completed");
  });

  it("[unknown-request] waits for the client's error reply", async () => {
    const { fake, threadId } = await turnSetup();
    const turnId = await fake.startTurn(threadId, "[unknown-request]");
    const req = await fake.serverRequest("item/tool/call");
    expect(req.params).toMatchObject({ threadId, turnId });
    expect(fake.messages.some((m) => m.method === "turn/completed")).toBe(false);
    fake.send({ id: req.id, error: { code: -32601, message: "unknown method" } });
    expect((await fake.turnCompleted(turnId)).status).toBe("completed");
  });

  it("interrupting a turn that waits on approval resolves the request", async () => {
    const { fake, threadId } = await turnSetup();
    const turnId = await fake.startTurn(threadId, "[approval:command]");
    const req = await fake.serverRequest("item/commandExecution/requestApproval");
    await fake.call("turn/interrupt", { threadId, turnId });
    expect((await fake.notification("serverRequest/resolved")).params.requestId).toBe(req.id);
    expect((await fake.turnCompleted(turnId)).status).toBe("interrupted");
  });
});

describe("fake-app-server fault modes", () => {
  it("exit-at-start exits with FAKE_EXIT_CODE and writes FAKE_PIDFILE", async () => {
    const pidfile = path.join(tmpDir(), "pid");
    const fake = new Fake({ FAKE_APP_SERVER_FAULTS: "exit-at-start", FAKE_EXIT_CODE: "7", FAKE_PIDFILE: pidfile });
    expect(await fake.exited()).toEqual({ code: 7, signal: null });
    expect(Number(fs.readFileSync(pidfile, "utf8"))).toBe(fake.proc.pid);
  });

  it("hang never answers initialize", async () => {
    const fake = new Fake({ FAKE_APP_SERVER_FAULTS: "hang" });
    const outcome = fake.request("initialize", { clientInfo: { name: "t", version: "0" } }, 120_000).then(
      () => "answered",
      (error: Error) => error.message,
    );
    // Once the fake has logged the request it has decided; a load that slows it cannot make it answer.
    await fake.until("the request logged", () => (/request 1 initialize/.test(fake.stderr) ? true : undefined));
    const settled = await Promise.race([outcome, new Promise<string>((resolve) => setTimeout(() => resolve("no answer"), 500))]);
    expect(settled).toBe("no answer");
  });

  it("hang-after-init answers initialize and then nothing", async () => {
    const fake = new Fake({ FAKE_APP_SERVER_FAULTS: "hang-after-init" });
    await fake.handshake();
    await expect(fake.request("thread/loaded/list", {}, 300)).rejects.toThrow(/timed out/);
    expect(fake.exit).toBeNull();
  });

  it("slow-init delays the initialize answer", async () => {
    const fake = new Fake({ FAKE_APP_SERVER_FAULTS: "slow-init", FAKE_INIT_DELAY_MS: "300" });
    const started = Date.now();
    await fake.handshake();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("close-stdout ends stdout after initialize but the process stays alive", async () => {
    const fake = new Fake({ FAKE_APP_SERVER_FAULTS: "close-stdout" });
    await fake.handshake();
    await fake.until("stdout end", () => (fake.stdoutEnded ? true : undefined));
    await fake.until("stderr note", () => (/stdout closed/.test(fake.stderr) ? true : undefined));
    expect(fake.exit).toBeNull();
    expect(isAlive(fake.proc.pid!)).toBe(true);
  });

  it("garbage prints junk lines first, then works normally", async () => {
    const fake = new Fake({ FAKE_APP_SERVER_FAULTS: "garbage", FAKE_LONG_LINE_BYTES: String(2 * 1024 * 1024) });
    await fake.handshake();
    const [notJson, truncated, array, number, badUtf8, long] = fake.lines;
    expect(notJson).toBe("this is not json");
    expect(() => JSON.parse(truncated!)).toThrow();
    expect(JSON.parse(array!)).toEqual([1, 2, 3]);
    expect(JSON.parse(number!)).toBe(42);
    expect(badUtf8).toContain("\uFFFD");
    expect(long).toHaveLength(2 * 1024 * 1024);
    expect(fake.lines[6]).toMatch(/^\{"id":1,"result":\{"userAgent":"fake-app-server/);
  });

  it("grandchild lives in the fake's process group", async () => {
    const pidfile = path.join(tmpDir(), "grandchild.pid");
    const fake = new Fake({ FAKE_APP_SERVER_FAULTS: "grandchild", FAKE_GRANDCHILD_PIDFILE: pidfile }, { detached: true });
    groupsToKill.push(fake.proc.pid!);
    await fake.handshake(); // the pidfile is written before stdin is read
    const grandchild = Number(fs.readFileSync(pidfile, "utf8"));
    expect(isAlive(grandchild)).toBe(true);
    const pgid = Number(execFileSync("ps", ["-o", "pgid=", "-p", String(grandchild)], { encoding: "utf8" }).trim());
    expect(pgid).toBe(fake.proc.pid);
  });

  it("ignore-sigterm survives SIGTERM and stdin EOF", async () => {
    const fake = new Fake({ FAKE_APP_SERVER_FAULTS: "ignore-sigterm" });
    await fake.handshake();
    fake.proc.kill("SIGTERM");
    await fake.until("SIGTERM note", () => (/ignoring SIGTERM/.test(fake.stderr) ? true : undefined));
    expect((await fake.call("thread/loaded/list")).data).toEqual([]);
    fake.proc.stdin!.end();
    await fake.until("EOF note", () => (/stdin closed; staying alive/.test(fake.stderr) ? true : undefined));
    expect(fake.exit).toBeNull();
    fake.proc.kill("SIGKILL");
    expect(await fake.exited()).toEqual({ code: null, signal: "SIGKILL" });
  });

  it("ignore-eof stays alive on EOF but dies on SIGTERM", async () => {
    const fake = new Fake({ FAKE_APP_SERVER_FAULTS: "ignore-eof" });
    await fake.handshake();
    fake.proc.stdin!.end();
    await fake.until("EOF note", () => (/stdin closed; staying alive/.test(fake.stderr) ? true : undefined));
    expect(fake.exit).toBeNull();
    fake.proc.kill("SIGTERM");
    expect(await fake.exited()).toEqual({ code: null, signal: "SIGTERM" });
  });

  it("fake/flood request delivers count notifications before its answer", async () => {
    const fake = new Fake();
    await fake.handshake();
    const res = await fake.call("fake/flood", { count: 20000, bytes: 100 });
    expect(res).toEqual({ sent: 20000 });
    const flood = fake.messages.filter((m) => m.method === "fake/flood");
    expect(flood).toHaveLength(20000);
    expect(flood.every((m, n) => m.params.n === n && m.params.pad.length === 100)).toBe(true);
  });

  it("flood fault floods after initialized", async () => {
    const fake = new Fake({ FAKE_APP_SERVER_FAULTS: "flood", FAKE_FLOOD_COUNT: "3000" });
    await fake.handshake();
    const last = await fake.notification("fake/flood", (p) => p.n === 2999);
    expect(last.params).toEqual({ n: 2999 });
    expect(fake.messages.filter((m) => m.method === "fake/flood")).toHaveLength(3000);
  });

  it("overload rejects the first turn/start requests with -32001", async () => {
    const { fake, threadId } = await turnSetup({ FAKE_APP_SERVER_FAULTS: "overload" });
    const params = { threadId, input: [{ type: "text", text: "hi" }] };
    for (let i = 0; i < 2; i++) {
      expect((await fake.request("turn/start", params)).error).toEqual({ code: -32001, message: "Server overloaded; retry later." });
    }
    const turnId = (await fake.call("turn/start", params)).turn.id as string;
    expect((await fake.turnCompleted(turnId)).status).toBe("completed");
  });

  it("resumes a thread with a turn after a restart; a thread without a turn has no rollout", async () => {
    const stateDir = tmpDir();
    const first = await turnSetup({ FAKE_STATE_DIR: stateDir });
    const withTurn = first.threadId;
    const turnId = await first.fake.startTurn(withTurn, "persist me");
    await first.fake.turnCompleted(turnId);
    const withoutTurn = await first.fake.startThread();
    first.fake.proc.stdin!.end();
    expect((await first.fake.exited()).code).toBe(0);

    const second = new Fake({ FAKE_STATE_DIR: stateDir });
    await second.handshake();
    expect((await second.call("thread/loaded/list")).data).toEqual([]);
    const resumed = await second.call("thread/resume", { threadId: withTurn });
    expect(resumed.thread.id).toBe(withTurn);
    expect(resumed.thread.turns).toEqual([expect.objectContaining({ id: turnId, status: "completed" })]);
    const noRollout = await second.request("thread/resume", { threadId: withoutTurn });
    expect(noRollout.error).toEqual({ code: -32600, message: `no rollout found for thread id ${withoutTurn}` });
    const unknownId = "00000000-0000-0000-0000-000000000000";
    expect((await second.request("thread/resume", { threadId: unknownId })).error.message).toBe(`no rollout found for thread id ${unknownId}`);
    const next = await second.startTurn(withTurn, "again");
    expect((await second.turnCompleted(next)).status).toBe("completed");
  });
});
