import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable, type Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  JsonRpcConnection,
  type IncomingNotification,
  type IncomingServerRequest,
  type JsonRpcConnectionOptions,
  type ProtocolErrorInfo,
} from "../../src/codex/jsonrpc-connection.js";
import { JsonRpcClosedError, JsonRpcRemoteError, JsonRpcTimeoutError } from "../../src/codex/jsonrpc-errors.js";
import { LineSplitter } from "../../src/codex/line-splitter.js";
import { withOverloadRetry } from "../../src/codex/overload-retry.js";

type Msg = Record<string, unknown>;

/** Polls (without fixed sleeps) until `cond` holds or the deadline passes. */
async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** The far end of a connection: reads what the connection writes, sends raw lines back. */
class Peer {
  readonly received: Msg[] = [];
  private taken = 0;
  private rest = "";

  constructor(
    from: Readable,
    private readonly to: PassThrough,
  ) {
    from.setEncoding("utf8");
    from.on("data", (chunk: string) => {
      const lines = (this.rest + chunk).split("\n");
      this.rest = lines.pop() ?? "";
      for (const line of lines) this.received.push(JSON.parse(line) as Msg);
    });
  }

  async next(): Promise<Msg> {
    await until(() => this.received.length > this.taken, "a message from the connection");
    const msg = this.received[this.taken++];
    if (!msg) throw new Error("unreachable");
    return msg;
  }

  send(msg: Msg | string): void {
    this.to.write(typeof msg === "string" ? `${msg}\n` : `${JSON.stringify(msg)}\n`);
  }
}

function setup(opts: Partial<JsonRpcConnectionOptions> = {}) {
  const toPeer = new PassThrough();
  const fromPeer = new PassThrough();
  const conn = new JsonRpcConnection({ input: fromPeer, output: toPeer, ...opts });
  const peer = new Peer(toPeer, fromPeer);
  const errors: ProtocolErrorInfo[] = [];
  conn.onProtocolError((e) => errors.push(e));
  const notes: IncomingNotification[] = [];
  conn.onNotification((n) => notes.push(n));
  return { conn, peer, errors, notes, toPeer, fromPeer };
}

/** One request answered by the peer: proves the connection still works. */
async function roundTrip(conn: JsonRpcConnection, peer: Peer, value: unknown): Promise<void> {
  const p = conn.request("ping", { value });
  const req = await peer.next();
  peer.send({ id: req.id as number, result: { pong: value } });
  await expect(p).resolves.toEqual({ pong: value });
}

async function feed(stream: PassThrough, chunks: Iterable<Buffer>): Promise<void> {
  for (const chunk of chunks) if (!stream.write(chunk)) await once(stream, "drain");
}

describe("JsonRpcConnection: requests and responses", () => {
  it("writes requests without a jsonrpc field and correlates out-of-order responses", async () => {
    const { conn, peer } = setup();
    const a = conn.request("a", { x: 1 });
    const b = conn.request<string>("b");
    const c = conn.request("c", [1, 2]);
    const sent = [await peer.next(), await peer.next(), await peer.next()];
    expect(sent).toEqual([
      { id: 1, method: "a", params: { x: 1 } },
      { id: 2, method: "b" },
      { id: 3, method: "c", params: [1, 2] },
    ]);
    peer.send({ id: 3, result: "third" });
    peer.send({ id: 1, result: { first: true } });
    peer.send({ id: 2, result: "second" });
    await expect(a).resolves.toEqual({ first: true });
    await expect(b).resolves.toBe("second");
    await expect(c).resolves.toBe("third");
    expect(conn.stats()).toMatchObject({ requestsSent: 3, pending: 0, protocolErrors: 0, linesIn: 3 });
  });

  it("times out and takes a late answer to the abandoned request as late, not as a protocol error", async () => {
    // A slow child answering after codexd gave up has printed nothing wrong.
    const { conn, peer, errors } = setup();
    const p = conn.request("slow", {}, { timeoutMs: 20 });
    const req = await peer.next();
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JsonRpcTimeoutError);
    expect(err).toMatchObject({ code: "CODEXD_RPC_TIMEOUT", method: "slow", timeoutMs: 20 });
    expect(conn.stats().pending).toBe(0);
    const late: unknown[] = [];
    conn.onLateResponse((info) => late.push(info));
    peer.send({ id: req.id as number, result: "too late" });
    await until(() => conn.stats().lateResponses === 1, "the late response counted");
    expect(late).toEqual([{ id: req.id, method: "slow" }]);
    // Answered once already: a second answer, like one to an id never used, is unknown.
    peer.send({ id: req.id as number, result: "again" });
    peer.send({ id: 999, result: "never asked" });
    await until(() => errors.length === 2, "two unknown_response errors");
    expect(errors.map((e) => e.kind)).toEqual(["unknown_response", "unknown_response"]);
    expect(conn.stats().lateResponses).toBe(1);
    await roundTrip(conn, peer, 1);
  });

  it("takes an answer to an aborted request as late, not as a protocol error", async () => {
    const { conn, peer, errors } = setup();
    const ctl = new AbortController();
    const p = conn.request("cancelled", {}, { signal: ctl.signal });
    const req = await peer.next();
    ctl.abort(new Error("caller gave up"));
    await expect(p).rejects.toThrow("caller gave up");
    peer.send({ id: req.id as number, error: { code: -32603, message: "too late" } });
    await until(() => conn.stats().lateResponses === 1, "the late response counted");
    await roundTrip(conn, peer, 3);
    expect(errors).toEqual([]);
  });

  it("supports AbortSignal before and during a request", async () => {
    const { conn, peer } = setup();
    const pre = new AbortController();
    pre.abort(new Error("pre-aborted"));
    await expect(conn.request("x", {}, { signal: pre.signal })).rejects.toThrow("pre-aborted");
    expect(conn.stats().requestsSent).toBe(0);

    const ctl = new AbortController();
    const p = conn.request("y", {}, { signal: ctl.signal });
    const req = await peer.next();
    expect(req.method).toBe("y");
    ctl.abort(new Error("user cancelled"));
    await expect(p).rejects.toThrow("user cancelled");
    expect(conn.stats().pending).toBe(0);
    await roundTrip(conn, peer, 2);
  });

  it("rejects with JsonRpcRemoteError on an error response", async () => {
    const { conn, peer, errors } = setup();
    const p = conn.request("thread/start", {});
    const p2 = conn.request("turn/start", {});
    const p3 = conn.request("weird", {});
    peer.send({ id: 1, error: { code: -32602, message: "bad params", data: { field: "cwd" } } });
    peer.send({ id: 2, error: { code: -32001, message: "overloaded" } });
    peer.send({ id: 3, error: "not an object" });
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JsonRpcRemoteError);
    expect(err).toMatchObject({
      code: "CODEXD_RPC_REMOTE_ERROR",
      rpcCode: -32602,
      message: "bad params",
      data: { field: "cwd" },
      method: "thread/start",
      isOverloaded: false,
    });
    await expect(p2).rejects.toMatchObject({ rpcCode: -32001, isOverloaded: true });
    // A malformed error still settles the request instead of leaving it to time out.
    await expect(p3).rejects.toMatchObject({ rpcCode: -32603, method: "weird" });
    expect(errors.map((e) => e.kind)).toEqual(["invalid_message"]);
  });
});

describe("withOverloadRetry", () => {
  const overloaded = (): JsonRpcRemoteError =>
    new JsonRpcRemoteError({ rpcCode: -32001, message: "overloaded", method: "m" });

  it("retries only overload errors, with capped exponential full-jitter backoff", async () => {
    let calls = 0;
    const delays: number[] = [];
    const result = await withOverloadRetry(
      async (attempt) => {
        calls++;
        expect(attempt).toBe(calls);
        if (calls < 3) throw overloaded();
        return "ok";
      },
      { attempts: 5, baseDelayMs: 1, maxDelayMs: 10, random: () => 0, onRetry: (i) => delays.push(i.delayMs) },
    );
    expect(result).toBe("ok");
    expect(calls).toBe(3);
    expect(delays).toEqual([0, 0]);
  });

  it("gives up after `attempts` and rethrows the last error", async () => {
    const thrown: JsonRpcRemoteError[] = [];
    const delays: number[] = [];
    const p = withOverloadRetry(
      async () => {
        const e = overloaded();
        thrown.push(e);
        throw e;
      },
      // ceilings 4, 8, 10 (capped), 10; random 0.5 halves them
      { attempts: 5, baseDelayMs: 4, maxDelayMs: 10, random: () => 0.5, onRetry: (i) => delays.push(i.delayMs) },
    );
    const err = await p.catch((e: unknown) => e);
    expect(thrown).toHaveLength(5);
    expect(err).toBe(thrown[4]);
    expect(delays).toEqual([2, 4, 5, 5]);
  });

  it("does not retry other errors and stops when aborted during backoff", async () => {
    let calls = 0;
    const other = new JsonRpcRemoteError({ rpcCode: -32602, message: "bad", method: "m" });
    await expect(
      withOverloadRetry(async () => {
        calls++;
        throw other;
      }, { attempts: 5, baseDelayMs: 1, maxDelayMs: 1 }),
    ).rejects.toBe(other);
    expect(calls).toBe(1);

    const ctl = new AbortController();
    const p = withOverloadRetry(
      async () => {
        throw overloaded();
      },
      { attempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000, random: () => 0.99, signal: ctl.signal, onRetry: () => ctl.abort(new Error("stop")) },
    );
    await expect(p).rejects.toThrow("stop");
  });

  it("works end to end against a peer answering -32001 twice", async () => {
    const { conn, peer } = setup();
    let overloads = 0;
    const answer = (async () => {
      for (;;) {
        const req = await peer.next();
        if (overloads < 2) {
          overloads++;
          peer.send({ id: req.id as number, error: { code: -32001, message: "server overloaded" } });
        } else {
          peer.send({ id: req.id as number, result: { thread: { id: "t1" } } });
          return;
        }
      }
    })();
    const res = await withOverloadRetry(() => conn.request("thread/start", {}), {
      attempts: 4,
      baseDelayMs: 5,
      maxDelayMs: 20,
      random: () => 0.1,
    });
    await answer;
    expect(res).toEqual({ thread: { id: "t1" } });
    expect(peer.received.map((m) => m.id)).toEqual([1, 2, 3]);
  });
});

describe("JsonRpcConnection: incoming dispatch", () => {
  it("dispatches notifications and server requests; respond() answers with the same id", async () => {
    const { conn, peer, notes } = setup();
    const requests: IncomingServerRequest[] = [];
    const unsubscribe = conn.onServerRequest((r) => requests.push(r));
    peer.send({ method: "turn/started", params: { threadId: "t", turn: { id: "u" } } });
    peer.send({ id: "srv-1", method: "item/commandExecution/requestApproval", params: { command: "ls" } });
    peer.send({ id: 7, method: "item/unknown" });
    await until(() => requests.length === 2, "server requests");
    expect(notes).toEqual([{ method: "turn/started", params: { threadId: "t", turn: { id: "u" } } }]);
    expect(requests).toEqual([
      { id: "srv-1", method: "item/commandExecution/requestApproval", params: { command: "ls" } },
      { id: 7, method: "item/unknown", params: undefined },
    ]);

    expect(conn.respond("srv-1", { decision: "accept" })).toBe(true);
    expect(conn.respondError(7, -32601, "method not found")).toBe(true);
    conn.respond(8, undefined);
    conn.notify("initialized");
    expect(await peer.next()).toEqual({ id: "srv-1", result: { decision: "accept" } });
    expect(await peer.next()).toEqual({ id: 7, error: { code: -32601, message: "method not found" } });
    expect(await peer.next()).toEqual({ id: 8, result: null });
    expect(await peer.next()).toEqual({ method: "initialized" });

    unsubscribe();
    peer.send({ id: 9, method: "after/unsubscribe" });
    peer.send({ method: "marker" });
    await until(() => notes.length === 2, "marker");
    expect(requests).toHaveLength(2);
    expect(conn.stats()).toMatchObject({ notificationsReceived: 2, serverRequestsReceived: 3 });
  });

  it("reports each protocol error kind and keeps working after each", async () => {
    const { conn, peer, errors } = setup({ maxLineBytes: 1024 });
    const bad: Array<[string, ProtocolErrorInfo["kind"]]> = [
      ["this is not json\u0007", "invalid_json"],
      ["[1,2,3]", "not_an_object"],
      ["42", "not_an_object"],
      ["null", "not_an_object"],
      [`{"id":999,"result":1}`, "unknown_response"],
      [`{"id":null,"error":{"code":-32700,"message":"parse error"}}`, "unknown_response"],
      [`{"foo":1}`, "invalid_message"],
      [`{"method":5}`, "invalid_message"],
      [`{"id":{"x":1},"method":"m"}`, "invalid_message"],
      [`{"id":3}`, "invalid_message"],
      [`{"big":"${"y".repeat(5000)}"}`, "line_too_long"],
    ];
    for (const [i, [line, kind]] of bad.entries()) {
      peer.send(line);
      await until(() => errors.length === i + 1, kind);
      expect(errors[i]?.kind).toBe(kind);
      await roundTrip(conn, peer, i);
    }
    expect(errors[0]).toEqual({ kind: "invalid_json", bytes: 17, sample: "this is not json\\u0007" });
    expect(errors.at(-1)?.bytes).toBeGreaterThan(1024);
    expect(errors.at(-1)?.sample).toHaveLength(200);
    expect(errors.at(-1)?.sample.startsWith(`{"big":"yyy`)).toBe(true);
    expect(conn.stats().protocolErrors).toBe(bad.length);
  });

  it("reassembles lines from 1-byte chunks, split UTF-8 characters, CRLF and many lines per chunk", async () => {
    const { notes, fromPeer } = setup();
    const text = "héllo 😀 中文 ✓";
    const bytes = Buffer.from(`${JSON.stringify({ method: "n", params: { text } })}\r\n`);
    for (const b of bytes) fromPeer.write(Buffer.from([b]));
    await until(() => notes.length === 1, "byte-by-byte line");
    expect(notes[0]).toEqual({ method: "n", params: { text } });

    // A 4-byte emoji cut in the middle of two chunks, plus 100 lines and a blank one in one chunk.
    const emoji = Buffer.from(`{"method":"e","params":"😀"}\n`);
    const cut = emoji.indexOf(0xf0) + 2;
    fromPeer.write(emoji.subarray(0, cut));
    fromPeer.write(emoji.subarray(cut));
    const many = Array.from({ length: 100 }, (_, i) => JSON.stringify({ method: "m", params: i })).join("\n\n");
    fromPeer.write(`${many}\n`);
    await until(() => notes.length === 102, "batched lines");
    expect(notes[1]).toEqual({ method: "e", params: "😀" });
    expect(notes.slice(2).map((n) => n.params)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

describe("line length cap", () => {
  const MB = 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, "x");

  it("LineSplitter discards a 20 MB line while streaming, never holding more than the cap", () => {
    const lines: string[] = [];
    const overlong: number[] = [];
    const splitter = new LineSplitter(MB, {
      onLine: (text) => lines.push(text),
      onOverlong: (bytes) => overlong.push(bytes),
    });
    let maxHeld = 0;
    for (let sent = 0; sent < 20 * MB; sent += chunk.length) {
      splitter.push(chunk);
      maxHeld = Math.max(maxHeld, splitter.bufferedBytes);
    }
    splitter.push(Buffer.from('\n{"ok":true}\n'));
    expect(maxHeld).toBeLessThanOrEqual(MB);
    expect(overlong).toEqual([MB + chunk.length]);
    expect(lines).toEqual(['{"ok":true}']);
  });

  it("accepts a line of exactly the cap and rejects one byte more within a single chunk", () => {
    const lines: number[] = [];
    const overlong: number[] = [];
    const splitter = new LineSplitter(10, {
      onLine: (_t, bytes) => lines.push(bytes),
      onOverlong: (bytes) => overlong.push(bytes),
    });
    splitter.push(Buffer.from("0123456789\n0123456789A\nend"));
    splitter.end();
    expect(lines).toEqual([10, 3]);
    expect(overlong).toEqual([11]);
  });

  it("connection survives 20 MB of one line with a 1 MB cap and reads the next line", async () => {
    const { conn, notes, errors, fromPeer } = setup({ maxLineBytes: MB });
    const chunks = (function* () {
      for (let sent = 0; sent < 20 * MB; sent += chunk.length) yield chunk;
      yield Buffer.from('\n{"method":"after"}\n');
    })();
    await feed(fromPeer, chunks);
    await until(() => notes.length === 1, "line after the long one");
    expect(notes[0]?.method).toBe("after");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.kind).toBe("line_too_long");
    expect(errors[0]?.bytes).toBeGreaterThan(MB);
    expect(errors[0]?.bytes).toBeLessThanOrEqual(MB + chunk.length);
    expect(conn.stats()).toMatchObject({ linesIn: 2, bytesIn: 20 * MB + 20 });
  });
});

describe("JsonRpcConnection: backpressure", () => {
  /** A slow sink with a tiny buffer that checks write() is never called while it needs drain. */
  function slowSink() {
    const lines: string[] = [];
    let release: (() => void) | undefined;
    let stalled = false;
    const sink = new Writable({
      highWaterMark: 8,
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString("utf8"));
        if (stalled) release = () => cb();
        else setImmediate(cb);
      },
    });
    const state = { lines, falseReturns: 0, violations: 0, needDrain: false };
    sink.on("drain", () => {
      state.needDrain = false;
    });
    const original = sink.write.bind(sink) as (...args: unknown[]) => boolean;
    sink.write = ((...args: unknown[]) => {
      if (state.needDrain) state.violations++;
      const ok = original(...args);
      if (!ok) {
        state.needDrain = true;
        state.falseReturns++;
      }
      return ok;
    }) as Writable["write"];
    return {
      sink,
      state,
      stall: () => {
        stalled = true;
      },
      resume: () => {
        stalled = false;
        const r = release;
        release = undefined;
        r?.();
      },
    };
  }

  it("waits for drain, keeps order, and never blocks the reader", async () => {
    const { sink, state, stall, resume } = slowSink();
    const input = new PassThrough();
    const conn = new JsonRpcConnection({ input, output: sink });
    const notes: string[] = [];
    conn.onNotification((n) => notes.push(n.method));

    for (let i = 0; i < 200; i++) {
      if (i % 10 === 0) void conn.request(`req${i}`, { i }).catch(() => {});
      else conn.notify(`note${i}`, { i });
    }
    expect(conn.stats().queuedWrites).toBeGreaterThan(0);
    await until(() => state.lines.length === 200, "all writes");
    const methods = state.lines.map((l) => (JSON.parse(l) as Msg).method);
    expect(methods).toEqual(Array.from({ length: 200 }, (_, i) => (i % 10 === 0 ? `req${i}` : `note${i}`)));
    expect(state.falseReturns).toBeGreaterThan(0);
    expect(state.violations).toBe(0);

    // Output stuck: reading and dispatch go on; an aborted queued request is never written.
    stall();
    conn.notify("stuck");
    const ctl = new AbortController();
    const aborted = conn.request("aborted-while-queued", {}, { signal: ctl.signal });
    conn.notify("last");
    input.write('{"method":"incoming"}\n');
    await until(() => notes.includes("incoming"), "incoming notification while output is stuck");
    ctl.abort(new Error("aborted"));
    await expect(aborted).rejects.toThrow("aborted");
    resume();
    await until(() => state.lines.length === 202, "queued writes after resume");
    expect(state.lines.slice(200).map((l) => (JSON.parse(l) as Msg).method)).toEqual(["stuck", "last"]);
    expect(state.violations).toBe(0);
    conn.close("test done");
  });
});

describe("JsonRpcConnection: closing and listeners", () => {
  it("close() rejects pending requests, fires onClose once, and rejects later calls", async () => {
    const { conn, peer, toPeer } = setup();
    const reasons: string[] = [];
    conn.onClose((r) => reasons.push(r));
    const a = conn.request("a");
    const b = conn.request("b");
    await peer.next();
    conn.close("shutting down");
    conn.close("again");
    for (const p of [a, b]) {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JsonRpcClosedError);
      expect(err).toMatchObject({ code: "CODEXD_RPC_CLOSED", reason: "shutting down" });
    }
    expect(reasons).toEqual(["shutting down"]);
    await expect(conn.request("c")).rejects.toMatchObject({ reason: "shutting down" });
    expect(conn.notify("n")).toBe(false);
    expect(conn.closed).toBe(true);
    expect(toPeer.writableEnded).toBe(false); // streams are left alone unless asked
    const late = await new Promise<string>((resolve) => conn.onClose(resolve));
    expect(late).toBe("shutting down");
    conn.close("ask child to exit", { endOutput: true });
    expect(toPeer.writableEnded).toBe(true);
  });

  it("closes when the input ends, the input errors, or the output errors", async () => {
    const ended = setup();
    const p1 = ended.conn.request("x");
    ended.fromPeer.end('{"method":"last words"}'); // a final line without newline still counts
    await expect(p1).rejects.toMatchObject({ reason: "input ended" });
    expect(ended.notes.map((n) => n.method)).toEqual(["last words"]);

    const inErr = setup();
    const p2 = inErr.conn.request("x");
    inErr.fromPeer.destroy(new Error("boom"));
    await expect(p2).rejects.toMatchObject({ reason: "input error: boom" });

    // A listener closing the connection stops dispatch of the rest of the same chunk.
    const selfClose = setup();
    selfClose.conn.onNotification(() => selfClose.conn.close("listener closed"));
    selfClose.fromPeer.write('{"method":"first"}\n{"method":"second"}\n');
    await until(() => selfClose.conn.closed, "listener close");
    expect(selfClose.notes.map((n) => n.method)).toEqual(["first"]);

    const outErr = setup();
    const p3 = outErr.conn.request("x");
    outErr.toPeer.destroy(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
    await expect(p3).rejects.toMatchObject({ reason: "output error: write EPIPE" });
    expect(outErr.conn.closed).toBe(true);
  });

  it("a throwing or rejecting listener does not stop dispatch", async () => {
    const { conn, peer, notes, errors } = setup();
    conn.onNotification(() => {
      throw new Error("sync boom");
    });
    conn.onNotification(async () => {
      throw new Error("async boom");
    });
    conn.onServerRequest(() => {
      throw new Error("request boom");
    });
    conn.onProtocolError(() => {
      throw new Error("reporter boom");
    });
    // Registered after the throwing ones: must still see every message.
    const late: string[] = [];
    conn.onNotification((n) => late.push(n.method));
    peer.send({ method: "one" });
    peer.send({ id: 1, method: "srv" });
    peer.send({ method: "two" });
    await until(() => late.length === 2 && errors.length === 3, "dispatch after throws");
    expect(notes.map((n) => n.method)).toEqual(["one", "two"]);
    expect(errors.map((e) => [e.kind, e.detail])).toEqual(
      expect.arrayContaining([
        ["listener_error", "sync boom"],
        ["listener_error", "request boom"],
        ["listener_error", "async boom"],
      ]),
    );
    await roundTrip(conn, peer, "still alive");
  });
});

describe("JsonRpcConnection against a real child process", () => {
  const echoServer = `
    const rl = require("node:readline").createInterface({ input: process.stdin });
    const out = (s) => process.stdout.write(s + "\\n");
    rl.on("line", (line) => {
      const msg = JSON.parse(line);
      if (msg.method === "echo") out(JSON.stringify({ id: msg.id, result: msg.params }));
      if (msg.method === "garbage") {
        out("this is not json");
        out("z".repeat(300000));
        out(JSON.stringify({ id: msg.id, result: "after garbage" }));
      }
      if (msg.method === "exit") process.exit(3);
    });`;

  it("echoes, survives garbage and over-long lines, and rejects pending requests on exit", async () => {
    const child = spawn(process.execPath, ["-e", echoServer], { stdio: ["pipe", "pipe", "inherit"] });
    const exited = once(child, "exit");
    const conn = new JsonRpcConnection({ input: child.stdout, output: child.stdin, maxLineBytes: 64 * 1024 });
    const kinds: string[] = [];
    conn.onProtocolError((e) => kinds.push(e.kind));

    await expect(conn.request("echo", { hello: "wörld" })).resolves.toEqual({ hello: "wörld" });
    await expect(conn.request("garbage")).resolves.toBe("after garbage");
    expect(kinds).toEqual(["invalid_json", "line_too_long"]);

    const hanging = conn.request("hang");
    const exiting = conn.request("exit");
    for (const p of [hanging, exiting]) await expect(p).rejects.toBeInstanceOf(JsonRpcClosedError);
    expect(await exited).toEqual([3, null]);
    expect(conn.closeReason).toBe("input ended");
    expect(conn.notify("after exit")).toBe(false);
    conn.close("cleanup", { endOutput: true }); // stdin of a dead child: must not throw
  });

  it("takes an answer that arrived while the event loop was blocked past the timeout, instead of timing out", async () => {
    const dir = mkdtempSync(join(tmpdir(), "codexd-rpc-"));
    const answered = join(dir, "answered");
    // Answers at once, then says so in a file: the test knows the answer is in the pipe.
    const script = `
      require("node:readline").createInterface({ input: process.stdin }).on("line", (line) => {
        const msg = JSON.parse(line);
        if (msg.method === "hang") return;
        process.stdout.write(JSON.stringify({ id: msg.id, result: msg.params }) + "\\n", () => {
          if (msg.method === "mark") require("node:fs").writeFileSync(${JSON.stringify(answered)}, "");
        });
      });`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "inherit"] });
    const conn = new JsonRpcConnection({ input: child.stdout, output: child.stdin });
    try {
      await expect(conn.request("warm", 1)).resolves.toBe(1);
      const asked = conn.request("mark", 2, { timeoutMs: 50 });
      // Blocked (a long synchronous start-up, a loaded machine) until the answer is in the pipe
      // and the timeout is long past: both are due when the loop runs again.
      const started = Date.now();
      const deadline = started + 60_000;
      while ((!existsSync(answered) || Date.now() - started < 200) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      expect(existsSync(answered)).toBe(true);
      await expect(asked).resolves.toBe(2);
      // A request with no answer still times out.
      await expect(conn.request("hang", 3, { timeoutMs: 50 })).rejects.toBeInstanceOf(JsonRpcTimeoutError);
    } finally {
      conn.close("done", { endOutput: true });
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("turns EPIPE from a child that closed its stdin into a closed connection", async () => {
    const script = `
      require("node:fs").closeSync(0);
      process.stdout.write('{"method":"stdinClosed"}\\n');
      setTimeout(() => {}, 10000);`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "inherit"] });
    const exited = once(child, "exit");
    try {
      const conn = new JsonRpcConnection({ input: child.stdout, output: child.stdin });
      const ready = new Promise<void>((resolve) => conn.onNotification(() => resolve()));
      await ready;
      const err = await conn.request("ping").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JsonRpcClosedError);
      expect((err as JsonRpcClosedError).reason).toMatch(/EPIPE/);
      expect(conn.notify("more")).toBe(false);
    } finally {
      child.kill();
      await exited;
    }
  });
});
