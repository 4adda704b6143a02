/**
 * The readers of the SSE fan-out benchmark: `count` node:http connections to an event stream, in
 * a process of their own (forked from this module), so their work does not share the daemon's
 * event loop. Each keeps, per event, its seq and its delivery latency (the event's createdAt to
 * the arrival of the bytes that complete its frame); on `finish` they wait until they have
 * everything up to the last seq (or overflowed, or gave up) and report.
 */
import { fork, type ChildProcess } from "node:child_process";
import { request as httpRequest, type ClientRequest } from "node:http";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { percentileOfSorted } from "./common.js";

/** How long subscribers may take to catch up after the last write before they count as short. */
const DRAIN_TIMEOUT_MS = 30_000;

/** Wall-clock milliseconds with sub-millisecond resolution (comparable across processes). */
export const wallMs = () => performance.timeOrigin + performance.now();


export interface SubscriberReport {
  /** Timed events received (timedAfter < seq <= last). */
  received: number;
  expected: number;
  /** Every seq in (after, last] exactly once, in order. */
  complete: boolean;
  problems: string[];
  overflowed: boolean;
  ended: boolean;
}

export interface SubscriberResult {
  type: "result";
  subscribers: SubscriberReport[];
  deliveries: number;
  latency: { p50: number; p99: number; max: number; mean: number };
  /** Wall-clock ms of the last receipt of a timed event, over all subscribers. */
  lastReceiptMs: number;
  drainMs: number;
}

export type ToSubscribers = { type: "finish"; timedAfter: number; lastSeq: number };

const CREATED_AT = '"createdAt":"';
const OVERFLOW = "event: overflow";

/** Numbers appended one by one into a typed array that doubles when full (no GC churn). */
class NumberLog {
  private data = new Float64Array(1 << 16);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  at(i: number): number {
    return this.data[i]!;
  }
}

/**
 * One SSE connection that keeps, per event, its seq and its delivery latency. It reads line by
 * line and looks only at `id:`, at the event's createdAt in `data:` and at `event: overflow`; it
 * parses no JSON, so that the 50 readers sharing one process cost as little as a reader can.
 */
class Subscriber {
  after = -1;
  readonly seqs = new NumberLog();
  readonly latencies = new NumberLog();
  overflowed = false;
  ended = false;
  lastSeq = 0;
  lastReceiptMs = 0;
  /** A line whose end has not arrived yet. */
  private rest = "";
  /** The frame being read: its id and createdAt, until the blank line that ends it. */
  private seq = -1;
  private createdAt = NaN;
  private req: ClientRequest | null = null;

  connect(url: string): Promise<void> {
    return new Promise((resolveConnect, reject) => {
      const req = httpRequest(url, { headers: { accept: "text/event-stream" }, agent: false });
      this.req = req;
      req.once("error", reject);
      req.once("response", (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
        this.after = Number(res.headers["x-codexd-after"]);
        res.on("data", (chunk: Buffer) => this.feed(chunk));
        res.on("close", () => (this.ended = true));
        resolveConnect();
      });
      req.end();
    });
  }

  close(): void {
    this.req?.destroy();
  }

  /**
   * Each chunk becomes one latin1 string (one copy; frame syntax, ids and timestamps are ASCII),
   * searched with String#indexOf, which the JIT inlines: far cheaper per line than a
   * Buffer#indexOf call into C++.
   */
  private feed(chunk: Buffer): void {
    const now = wallMs();
    const text = chunk.toString("latin1");
    let start = 0;
    if (this.rest) {
      const nl = text.indexOf("\n");
      if (nl < 0) {
        this.rest += text;
        return;
      }
      this.line(this.rest + text.slice(0, nl), now);
      this.rest = "";
      start = nl + 1;
    }
    let nl: number;
    while ((nl = text.indexOf("\n", start)) >= 0) {
      this.lineAt(text, start, nl, now);
      start = nl + 1;
    }
    if (start < text.length) this.rest = text.slice(start);
  }

  private line(text: string, now: number): void {
    this.lineAt(text, 0, text.length, now);
  }

  /** The line text[start, end), without its newline. */
  private lineAt(text: string, start: number, end: number, now: number): void {
    if (start === end) {
      // A blank line ends the frame (comments and the overflow event carry no id).
      if (this.seq >= 0) {
        this.seqs.push(this.seq);
        this.latencies.push(now - this.createdAt);
        this.lastSeq = this.seq;
        this.lastReceiptMs = now;
      }
      this.seq = -1;
      this.createdAt = NaN;
      return;
    }
    const first = text.charCodeAt(start);
    if (first === 0x69 && text.startsWith("id: ", start)) {
      let seq = 0;
      for (let i = start + 4; i < end; i++) seq = seq * 10 + text.charCodeAt(i) - 0x30;
      this.seq = seq;
    } else if (first === 0x64) {
      // "data: {...}": the createdAt is among the first fields
      const at = text.indexOf(CREATED_AT, start);
      if (at >= 0 && at < end) this.createdAt = this.timestamp(text, at + CREATED_AT.length);
    } else if (first === 0x65 && end - start === OVERFLOW.length && text.startsWith(OVERFLOW, start)) {
      this.overflowed = true;
    }
  }

  private dayKey = -1;
  private dayMs = 0;
  /** Milliseconds of the ISO 8601 UTC timestamp at text[at] (2026-11-24T15:31:22.828Z), read digit by digit. */
  private timestamp(text: string, at: number): number {
    const num = (offset: number, length: number) => {
      let value = 0;
      for (let i = at + offset; i < at + offset + length; i++) value = value * 10 + text.charCodeAt(i) - 0x30;
      return value;
    };
    const year = num(0, 4);
    const month = num(5, 2);
    const day = num(8, 2);
    const key = (year * 100 + month) * 100 + day;
    if (key !== this.dayKey) {
      this.dayKey = key;
      this.dayMs = Date.UTC(year, month - 1, day);
    }
    return this.dayMs + ((num(11, 2) * 60 + num(14, 2)) * 60 + num(17, 2)) * 1000 + num(20, 3);
  }

  report(timedAfter: number, lastSeq: number): SubscriberReport {
    const problems: string[] = [];
    let expectedSeq = this.after + 1;
    let received = 0;
    for (let i = 0; i < this.seqs.length; i++) {
      const seq = this.seqs.at(i);
      if (seq > lastSeq) break;
      if (seq !== expectedSeq && problems.length < 5) problems.push(seq < expectedSeq ? `repeat ${seq}` : `gap ${expectedSeq}..${seq - 1}`);
      expectedSeq = seq + 1;
      if (seq > timedAfter) received++;
    }
    if (expectedSeq <= lastSeq && problems.length < 5) problems.push(`missing ${expectedSeq}..${lastSeq}`);
    return { received, expected: lastSeq - timedAfter, complete: problems.length === 0, problems, overflowed: this.overflowed, ended: this.ended };
  }
}

async function subscriberProcess(url: string, count: number): Promise<void> {
  const subs = Array.from({ length: count }, () => new Subscriber());
  await Promise.all(subs.map((s) => s.connect(url)));
  process.send!({ type: "ready" });
  process.on("message", (message: ToSubscribers) => {
    if (message.type !== "finish") return;
    const { timedAfter, lastSeq } = message;
    const t0 = performance.now();
    const check = () => {
      const waiting = subs.filter((s) => s.lastSeq < lastSeq && !s.ended && !s.overflowed);
      if (waiting.length > 0 && performance.now() - t0 < DRAIN_TIMEOUT_MS) return void setTimeout(check, 5);
      const drainMs = performance.now() - t0;
      // Latencies of the timed events only (seq > timedAfter), over every subscriber.
      let n = 0;
      const timed = (seq: number) => seq > timedAfter && seq <= lastSeq;
      for (const s of subs) for (let i = 0; i < s.seqs.length; i++) if (timed(s.seqs.at(i))) n++;
      const all = new Float64Array(n);
      let k = 0;
      let lastReceiptMs = 0;
      for (const s of subs) {
        for (let i = 0; i < s.seqs.length; i++) if (timed(s.seqs.at(i))) all[k++] = s.latencies.at(i);
        lastReceiptMs = Math.max(lastReceiptMs, s.lastReceiptMs);
      }
      all.sort();
      const mean = all.reduce((a, b) => a + b, 0) / Math.max(1, all.length);
      const result: SubscriberResult = {
        type: "result",
        subscribers: subs.map((s) => s.report(timedAfter, lastSeq)),
        deliveries: all.length,
        latency: { p50: percentileOfSorted(all, 50), p99: percentileOfSorted(all, 99), max: all.at(-1) ?? NaN, mean },
        lastReceiptMs,
        drainMs,
      };
      for (const s of subs) s.close();
      process.send!(result, undefined, {}, () => process.exit(0));
    };
    check();
  });
}

export function startSubscribers(url: string, count: number): Promise<{ child: ChildProcess; result: Promise<SubscriberResult> }> {
  const child = fork(fileURLToPath(import.meta.url), ["--subscribers", url, String(count)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let resolveResult!: (r: SubscriberResult) => void;
  let rejectResult!: (e: Error) => void;
  const result = new Promise<SubscriberResult>((res, rej) => {
    resolveResult = res;
    rejectResult = rej;
  });
  result.catch(() => {});
  return new Promise((resolveReady, rejectReady) => {
    child.on("message", (message: { type: string }) => {
      if (message.type === "ready") resolveReady({ child, result });
      if (message.type === "result") resolveResult(message as SubscriberResult);
    });
    child.once("exit", (code, signal) => {
      const error = new Error(`subscriber process exited (${signal ?? code}) early`);
      rejectReady(error);
      rejectResult(error);
    });
  });
}

if (process.argv[2] === "--subscribers") {
  subscriberProcess(process.argv[3]!, Number(process.argv[4])).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
