/**
 * A small Server-Sent Events reader over node:http for e2e tests. It keeps every message and
 * comment it has parsed, lets a test wait on what has arrived (with a deadline, woken by the
 * data itself rather than by polling), and can stall (stop reading from the socket) or drop the
 * connection on purpose.
 */
import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";

export interface SseMessage {
  /** The `id:` field, when the frame had one. */
  id: string | undefined;
  /** The `event:` field ("message" when absent, as in the spec). */
  event: string;
  data: string;
}

export interface OpenOptions {
  headers?: Record<string, string>;
  /** Give up when the response headers have not arrived by then (default 5 s). */
  timeoutMs?: number;
}

type Check = () => void;

/** A logged event, as opposed to the stream's opening `ready` (which carries the cursor as its id). */
const isEvent = (m: SseMessage) => m.id !== undefined && m.event !== "ready";

/** One open SSE response (or a non-200 answer, whose body is kept as text). */
export class SseConnection {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  /** Body of a non-200 answer. */
  bodyText = "";
  /** The response finished (ended, closed or failed). */
  done = false;
  /** It ended with a clean end of the body (not a reset or a destroy). */
  endedCleanly = false;
  error: Error | null = null;
  private buffer = "";
  private pending: { id: string | undefined; event: string; data: string[] } = { id: undefined, event: "", data: [] };
  private readonly checks = new Set<Check>();
  private readonly decoder = new TextDecoder();

  private constructor(
    readonly url: string,
    private readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {
    res.on("data", (chunk: Buffer) => this.feed(chunk));
    res.on("end", () => {
      this.endedCleanly = true;
      this.finish();
    });
    res.on("error", (error) => {
      this.error = error;
      this.finish();
    });
    res.on("close", () => this.finish());
    req.on("error", (error) => {
      this.error ??= error;
      this.finish();
    });
  }

  /** GET `url` and resolve once the response headers are in. */
  static open(url: string, options: OpenOptions = {}): Promise<SseConnection> {
    const { headers = {}, timeoutMs = 5_000 } = options;
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { method: "GET", headers: { accept: "text/event-stream", ...headers }, agent: false });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`no response headers from ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      req.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.once("response", (res) => {
        clearTimeout(timer);
        resolve(new SseConnection(url, req, res));
      });
      req.end();
    });
  }

  get status(): number {
    return this.res.statusCode ?? 0;
  }

  get headers(): IncomingHttpHeaders {
    return this.res.headers;
  }

  /** Messages that carry an `id:` (the events proper, not the opening `ready`), as numbers. */
  seqs(): number[] {
    return this.messages.filter(isEvent).map((m) => Number(m.id));
  }

  lastSeq(): number | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const id = this.messages[i]!.id;
      if (id !== undefined) return Number(id);
    }
    return undefined;
  }

  /** Parsed `data:` of the events proper (messages with an id, less the opening `ready`). */
  events<T = Record<string, unknown>>(): T[] {
    return this.messages.filter(isEvent).map((m) => JSON.parse(m.data) as T);
  }

  /** The body of a non-200 answer, parsed, once it has been read in full. */
  async json<T = Record<string, unknown>>(timeoutMs = 5_000): Promise<T> {
    await this.waitFor(() => this.done, { timeoutMs, what: `the end of the answer from ${this.url}` });
    return JSON.parse(this.bodyText) as T;
  }

  /**
   * Resolve with `probe()` as soon as it returns something other than undefined/false; `probe` is
   * tried now and after each piece of data, and when the response finishes. Rejects after the
   * deadline, or when the response has finished and the probe still fails.
   */
  waitFor<T>(probe: () => T | undefined | false, options: { timeoutMs?: number; what?: string } = {}): Promise<T> {
    const { timeoutMs = 10_000, what = "data" } = options;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check: Check = () => {
        let value: T | undefined | false;
        try {
          value = probe();
        } catch (error) {
          settle();
          reject(error);
          return;
        }
        if (value !== undefined && value !== false) {
          settle();
          resolve(value);
        } else if (this.done) {
          settle();
          reject(new Error(`stream ${this.url} finished before ${what}; ${this.describe()}`));
        }
      };
      const settle = () => {
        clearTimeout(timer);
        this.checks.delete(check);
      };
      timer = setTimeout(() => {
        settle();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} on ${this.url}; ${this.describe()}`));
      }, timeoutMs);
      this.checks.add(check);
      check();
    });
  }

  /** Wait until a message with an id >= seq has arrived. */
  waitForSeq(seq: number, timeoutMs = 10_000): Promise<number> {
    return this.waitFor(() => {
      const last = this.lastSeq();
      return last !== undefined && last >= seq && last;
    }, { timeoutMs, what: `seq ${seq}` });
  }

  /** Wait until the response has finished. */
  waitDone(timeoutMs = 10_000): Promise<true> {
    return this.waitFor(() => this.done, { timeoutMs, what: "the end of the stream" });
  }

  /** Stop reading: the bytes pile up in the kernel buffers and, behind them, in the server. */
  pause(): void {
    this.res.pause();
    this.res.socket?.pause();
  }

  resume(): void {
    this.res.socket?.resume();
    this.res.resume();
  }

  /** Drop the connection abruptly (a TCP reset as far as the server can tell). */
  destroy(): void {
    this.res.socket?.destroy();
    this.req.destroy();
    this.res.destroy();
  }

  describe(): string {
    const tail = this.messages.slice(-3).map((m) => `${m.event}#${m.id ?? "-"}`);
    return `status ${this.status}, ${this.messages.length} messages (last: ${tail.join(", ") || "none"}), ${this.comments.length} comments, done=${this.done}${this.error ? `, error ${this.error.message}` : ""}`;
  }

  private feed(chunk: Buffer): void {
    const text = this.decoder.decode(chunk, { stream: true });
    if (this.status !== 200) {
      this.bodyText += text;
      return;
    }
    this.buffer += text;
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      let line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      this.line(line);
    }
    this.runChecks();
  }

  /** One line of the event-stream format. Only a blank line completes (dispatches) an event. */
  private line(line: string): void {
    if (line === "") {
      const p = this.pending;
      if (p.data.length > 0) this.messages.push({ id: p.id, event: p.event || "message", data: p.data.join("\n") });
      this.pending = { id: undefined, event: "", data: [] };
      return;
    }
    if (line.startsWith(":")) {
      this.comments.push(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.pending.data.push(value);
    else if (field === "event") this.pending.event = value;
    else if (field === "id") this.pending.id = value;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.runChecks();
  }

  private runChecks(): void {
    for (const check of [...this.checks]) check();
  }
}

/** Collects the connections a test opens so they can all be dropped at teardown. */
export class SseConnections {
  private readonly all = new Set<SseConnection>();

  async open(url: string, options?: OpenOptions): Promise<SseConnection> {
    const conn = await SseConnection.open(url, options);
    this.all.add(conn);
    return conn;
  }

  destroyAll(): void {
    for (const conn of this.all) conn.destroy();
    this.all.clear();
  }
}

/** Indices where a seq list is not `from, from+1, ...`: gaps and repeats, for failure messages. */
export function contiguityProblems(seqs: readonly number[], from: number): string[] {
  const problems: string[] = [];
  let expected = from;
  for (const seq of seqs) {
    if (seq !== expected) problems.push(seq < expected ? `repeat ${seq} (expected ${expected})` : `gap ${expected}..${seq - 1}`);
    expected = seq + 1;
    if (problems.length >= 10) break;
  }
  return problems;
}
