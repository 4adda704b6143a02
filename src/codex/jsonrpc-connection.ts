import type { Readable, Writable } from "node:stream";
import { JsonRpcClosedError, JsonRpcRemoteError, JsonRpcTimeoutError } from "./jsonrpc-errors.js";
import { readLines } from "./line-splitter.js";

/**
 * JSON-RPC 2.0 as spoken by `codex app-server`: newline-delimited JSON objects over stdio,
 * without the `"jsonrpc"` field. Requests go both ways: the server asks the client for
 * approvals with requests of its own, answered with respond()/respondError().
 */

export type JsonRpcId = number | string;

export interface IncomingNotification {
  method: string;
  params: unknown;
}

export interface IncomingServerRequest {
  id: JsonRpcId;
  method: string;
  params: unknown;
}

export type ProtocolErrorKind =
  | "invalid_json"
  | "not_an_object"
  | "line_too_long"
  | "unknown_response"
  | "invalid_message"
  | "listener_error";

export interface ProtocolErrorInfo {
  kind: ProtocolErrorKind;
  /** Size of the offending line in bytes (for line_too_long: bytes seen when the cap was crossed). */
  bytes: number;
  /** First 200 characters of the line, control characters escaped: safe to log. */
  sample: string;
  /** For listener_error: the thrown error's message. */
  detail?: string;
}

/** An answer to a request this side gave up on (timed out or aborted) before it came. */
export interface LateResponseInfo {
  id: JsonRpcId;
  method: string;
}

export interface RequestOptions {
  /** Defaults to the connection's defaultTimeoutMs; 0 or Infinity disables the timeout. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CloseOptions {
  /** End the output stream (the child's stdin): the app-server exits on EOF. */
  endOutput?: boolean;
}

export interface JsonRpcConnectionOptions {
  /** The child's stdout. */
  input: Readable;
  /** The child's stdin. */
  output: Writable;
  maxLineBytes?: number;
  defaultTimeoutMs?: number;
}

export interface JsonRpcStats {
  requestsSent: number;
  notificationsReceived: number;
  serverRequestsReceived: number;
  protocolErrors: number;
  pending: number;
  /** Answers that came after their request timed out or was aborted (not protocol errors). */
  lateResponses: number;
  linesIn: number;
  bytesIn: number;
  /** Messages waiting in our queue for the output to drain. */
  queuedWrites: number;
}

type Listener<T> = (value: T) => void;

interface PendingRequest {
  method: string;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  cleanup(): void;
}

interface QueuedWrite {
  line: string;
  /** Set for requests: skipped if the request was settled (timeout/abort) before it was sent. */
  id?: number;
}

const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_TIMER_MS = 2_147_483_647;
const SAMPLE_CHARS = 200;
/** Requests given up on whose late answers are still recognised; older ones count as unknown. */
const ABANDONED_REMEMBERED = 1024;

export class JsonRpcConnection {
  private readonly output: Writable;
  private readonly defaultTimeoutMs: number;
  private readonly stopReading: () => void;
  private readonly pending = new Map<JsonRpcId, PendingRequest>();
  private readonly notificationListeners = new Set<Listener<IncomingNotification>>();
  private readonly serverRequestListeners = new Set<Listener<IncomingServerRequest>>();
  private readonly protocolErrorListeners = new Set<Listener<ProtocolErrorInfo>>();
  private readonly closeListeners = new Set<Listener<string>>();
  private readonly rawLineListeners = new Set<Listener<string>>();
  private readonly lateResponseListeners = new Set<Listener<LateResponseInfo>>();
  /** Ids of requests that timed out or were aborted, oldest first, with their methods. */
  private readonly abandoned = new Map<JsonRpcId, string>();
  private queue: QueuedWrite[] = [];
  private awaitingDrain = false;
  private nextId = 1;
  private reason: string | undefined;
  private readonly counters = {
    requestsSent: 0,
    notificationsReceived: 0,
    serverRequestsReceived: 0,
    protocolErrors: 0,
    lateResponses: 0,
    linesIn: 0,
    bytesIn: 0,
  };

  constructor(opts: JsonRpcConnectionOptions) {
    this.output = opts.output;
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    // Never removed: an EPIPE after close must not become an uncaught 'error' event.
    this.output.on("error", this.onOutputError);
    this.stopReading = readLines(opts.input, {
      maxLineBytes: opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
      onBytes: (n) => {
        this.counters.bytesIn += n;
      },
      onLine: this.onLine,
      onOverlong: (bytes, head) => {
        if (this.reason !== undefined) return;
        this.counters.linesIn++;
        this.protocolError("line_too_long", bytes, head.toString("utf8"));
      },
      onEnd: (reason) => this.close(reason),
    });
    if (this.output.writableNeedDrain) this.waitForDrain();
  }

  get closed(): boolean {
    return this.reason !== undefined;
  }

  get closeReason(): string | undefined {
    return this.reason;
  }

  request<T = unknown>(method: string, params?: unknown, opts: RequestOptions = {}): Promise<T> {
    if (this.reason !== undefined) return Promise.reject(new JsonRpcClosedError(this.reason));
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.nextId++;
    let line: string;
    try {
      line = encode({ id, method, params });
    } catch (err) {
      return Promise.reject(err);
    }
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => this.abandon(id)?.reject(signal?.reason);
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        // Judged after the input that is already waiting is read (setImmediate runs after the
        // poll phase): when the loop was blocked past the deadline (a long synchronous start-up,
        // a loaded machine), an answer that came in time is not mistaken for none.
        const expire = () => setImmediate(() => this.abandon(id)?.reject(new JsonRpcTimeoutError(method, timeoutMs)));
        timer = setTimeout(expire, Math.min(timeoutMs, MAX_TIMER_MS));
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, {
        method,
        resolve: (value) => resolve(value as T),
        reject,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        },
      });
      this.counters.requestsSent++;
      this.enqueue({ line, id });
    });
  }

  /** Returns false (and sends nothing) when the connection is closed. */
  notify(method: string, params?: unknown): boolean {
    return this.send(() => encode({ method, params }));
  }

  /** Answers a server request with the same id. Returns false when the connection is closed. */
  respond(id: JsonRpcId, result: unknown): boolean {
    // A response must carry `result`; JSON.stringify would drop an undefined one.
    return this.send(() => encode({ id, result: result ?? null }));
  }

  respondError(id: JsonRpcId, code: number, message: string, data?: unknown): boolean {
    return this.send(() => encode({ id, error: { code, message, data } }));
  }

  onNotification(fn: Listener<IncomingNotification>): () => void {
    return subscribe(this.notificationListeners, fn);
  }

  onServerRequest(fn: Listener<IncomingServerRequest>): () => void {
    return subscribe(this.serverRequestListeners, fn);
  }

  onProtocolError(fn: Listener<ProtocolErrorInfo>): () => void {
    return subscribe(this.protocolErrorListeners, fn);
  }

  /** An answer arrived for a request that had already timed out or been aborted. */
  onLateResponse(fn: Listener<LateResponseInfo>): () => void {
    return subscribe(this.lateResponseListeners, fn);
  }

  /** Fires once with the close reason; registering after close still gets called (async). */
  /** Every line read, before it is parsed: for a raw view of the child's stdout. */
  onRawLine(fn: Listener<string>): () => void {
    this.rawLineListeners.add(fn);
    return () => this.rawLineListeners.delete(fn);
  }

  onClose(fn: Listener<string>): () => void {
    const reason = this.reason;
    if (reason === undefined) return subscribe(this.closeListeners, fn);
    let active = true;
    queueMicrotask(() => {
      if (active) this.callListener(fn, reason, 0, "");
    });
    return () => {
      active = false;
    };
  }

  stats(): JsonRpcStats {
    return { ...this.counters, pending: this.pending.size, queuedWrites: this.queue.length };
  }

  /**
   * Rejects every pending request, stops reading and fires onClose once. The child's streams
   * stay open unless `endOutput` asks to end stdin (honoured even if already closed).
   */
  close(reason = "closed by client", opts: CloseOptions = {}): void {
    if (opts.endOutput && !this.output.writableEnded && !this.output.destroyed) this.output.end();
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.stopReading();
    this.queue = [];
    this.output.off("drain", this.onDrain);
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new JsonRpcClosedError(reason));
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const fn of listeners) this.callListener(fn, reason, 0, "");
  }

  // ---- reading -------------------------------------------------------------------------

  private readonly onLine = (text: string, bytes: number): void => {
    // A listener may close() us while the rest of the current chunk is still being split.
    if (this.reason !== undefined) return;
    this.counters.linesIn++;
    if (this.rawLineListeners.size > 0) this.emit(this.rawLineListeners, text, bytes, text);
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.protocolError("invalid_json", bytes, text);
      return;
    }
    if (!isRecord(msg)) {
      this.protocolError("not_an_object", bytes, text);
      return;
    }
    this.dispatch(msg, text, bytes);
  };

  private dispatch(msg: Record<string, unknown>, text: string, bytes: number): void {
    const { method, id } = msg;
    if (typeof method === "string") {
      if (!("id" in msg)) {
        this.counters.notificationsReceived++;
        this.emit(this.notificationListeners, { method, params: msg.params }, bytes, text);
      } else if (isId(id)) {
        this.counters.serverRequestsReceived++;
        this.emit(this.serverRequestListeners, { id, method, params: msg.params }, bytes, text);
      } else {
        this.protocolError("invalid_message", bytes, text);
      }
      return;
    }
    if (method !== undefined || !("id" in msg) || !("result" in msg || "error" in msg)) {
      this.protocolError("invalid_message", bytes, text);
      return;
    }
    // A response: its id may be null (peer could not parse something) or already forgotten.
    const req = isId(id) ? this.settle(id) : undefined;
    if (!req) {
      const method = isId(id) ? this.abandoned.get(id) : undefined;
      if (isId(id) && method !== undefined) {
        // The peer was slow, not wrong: the request was ours, we stopped waiting for it.
        this.abandoned.delete(id);
        this.counters.lateResponses++;
        this.emit(this.lateResponseListeners, { id, method }, bytes, text);
        return;
      }
      this.protocolError("unknown_response", bytes, text);
      return;
    }
    if (!("error" in msg)) {
      req.resolve(msg.result);
      return;
    }
    const err = isRecord(msg.error) ? msg.error : {};
    const wellFormed = typeof err.code === "number" && typeof err.message === "string";
    // Still reject a malformed error: leaving the caller to time out would hide the answer.
    req.reject(
      new JsonRpcRemoteError({
        rpcCode: typeof err.code === "number" ? err.code : -32603,
        message: typeof err.message === "string" ? err.message : "malformed error response",
        data: err.data,
        method: req.method,
      }),
    );
    if (!wellFormed) this.protocolError("invalid_message", bytes, text);
  }

  private settle(id: JsonRpcId): PendingRequest | undefined {
    const req = this.pending.get(id);
    if (!req) return undefined;
    this.pending.delete(id);
    req.cleanup();
    return req;
  }

  /** Stops waiting for a request (timeout or abort); a later answer to it is then only late. */
  private abandon(id: number): PendingRequest | undefined {
    const req = this.settle(id);
    if (!req) return undefined;
    this.abandoned.set(id, req.method);
    if (this.abandoned.size > ABANDONED_REMEMBERED) this.abandoned.delete(this.abandoned.keys().next().value as JsonRpcId);
    return req;
  }

  private emit<T>(listeners: Set<Listener<T>>, value: T, bytes: number, text: string): void {
    // Copy: a listener may unsubscribe (itself or others) while we iterate.
    for (const fn of [...listeners]) this.callListener(fn, value, bytes, text);
  }

  private callListener<T>(fn: Listener<T>, value: T, bytes: number, text: string): void {
    const report = (err: unknown): void => this.protocolError("listener_error", bytes, text, err);
    try {
      const ret: unknown = fn(value);
      // Async listeners: a rejection would otherwise be an unhandled rejection.
      if (isThenable(ret)) ret.then(undefined, report);
    } catch (err) {
      report(err);
    }
  }

  private protocolError(kind: ProtocolErrorKind, bytes: number, text: string, err?: unknown): void {
    this.counters.protocolErrors++;
    const info: ProtocolErrorInfo = { kind, bytes, sample: safeSample(text) };
    if (err !== undefined) info.detail = err instanceof Error ? err.message : String(err);
    for (const fn of [...this.protocolErrorListeners]) {
      try {
        const ret: unknown = fn(info);
        if (isThenable(ret)) ret.then(undefined, ignore);
      } catch {
        // Nowhere left to report a failing error reporter; keep reading.
      }
    }
  }

  // ---- writing -------------------------------------------------------------------------

  private send(encodeLine: () => string): boolean {
    if (this.reason !== undefined) return false;
    this.enqueue({ line: encodeLine() });
    return true;
  }

  private enqueue(item: QueuedWrite): void {
    this.queue.push(item);
    this.flush();
  }

  private flush(): void {
    while (!this.awaitingDrain && this.reason === undefined) {
      const item = this.queue.shift();
      if (!item) return;
      if (item.id !== undefined && !this.pending.has(item.id)) continue; // timed out / aborted unsent
      if (this.output.destroyed || this.output.writableEnded) {
        this.close("output closed");
        return;
      }
      if (!this.output.write(item.line, this.onWritten)) this.waitForDrain();
    }
  }

  private waitForDrain(): void {
    this.awaitingDrain = true;
    this.output.once("drain", this.onDrain);
  }

  private readonly onDrain = (): void => {
    this.awaitingDrain = false;
    this.flush();
  };

  private readonly onWritten = (err?: Error | null): void => {
    if (err) this.close(`output error: ${err.message}`);
  };

  private readonly onOutputError = (err: Error): void => {
    this.close(`output error: ${err.message}`);
  };
}

function encode(msg: Record<string, unknown>): string {
  // JSON.stringify escapes newlines inside strings, so one message is always one line.
  return `${JSON.stringify(msg)}\n`;
}

function subscribe<T>(set: Set<Listener<T>>, fn: Listener<T>): () => void {
  set.add(fn);
  return () => {
    set.delete(fn);
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is JsonRpcId {
  return typeof v === "string" || (typeof v === "number" && Number.isFinite(v));
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}

function safeSample(text: string): string {
  return text
    .slice(0, SAMPLE_CHARS)
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .slice(0, SAMPLE_CHARS);
}

function ignore(): void {}
