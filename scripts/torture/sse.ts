/**
 * Event stream readers. Each one checks that the seqs it is sent are contiguous (every stream is
 * unfiltered, so each event is the one after the previous), from the cursor the server reports,
 * across its own reconnects (Last-Event-ID) and, after the restart, across the kill. Every event
 * delivered is an acknowledgement: it goes into the ledger to be found on disk afterwards.
 */
import type { Api } from "./http.js";
import type { Ledger } from "./ledger.js";
import type { Rng } from "./rng.js";

export interface ReaderOptions {
  name: string;
  /** First connect: `?after=N`, or null for the live tail (no cursor). */
  after: number | null;
  /** Reconnect with Last-Event-ID after this many events (a range), or never. */
  resumeEvery: [number, number] | null;
}

export class StreamReader {
  lastSeq: number | null = null;
  received = 0;
  connects = 0;
  readonly problems: string[] = [];
  private readonly abort = new AbortController();

  constructor(
    readonly options: ReaderOptions,
    private readonly ledger: Ledger,
    private readonly rng: Rng,
  ) {}

  private problem(text: string): void {
    if (this.problems.length < 20) this.problems.push(`${this.options.name}: ${text}`);
  }

  /** One connection: read until `until` says stop, the stream ends, or the reader is aborted. */
  private async connect(api: Api, signal: AbortSignal, until: (seq: number, taken: number) => boolean): Promise<{ status: number; end: string; error?: unknown; body?: string }> {
    const first = this.lastSeq === null;
    const path = first && this.options.after !== null ? `/v1/events/stream?after=${this.options.after}` : "/v1/events/stream";
    let expected: number | null = null;
    let taken = 0;
    this.connects++;
    return api.stream(
      path,
      first ? null : this.lastSeq,
      signal,
      (after) => {
        if (!first && after !== this.lastSeq) this.problem(`resumed from ${this.lastSeq} but the server says it replays from ${after}`);
        if (first && this.options.after !== null && after !== this.options.after) this.problem(`asked for after=${this.options.after}, server replays from ${after}`);
        expected = after + 1;
      },
      (message) => {
        if (message.event === "overflow" || message.event === "shutdown") {
          this.problem(`got a ${message.event} event: ${message.data}`);
          return false;
        }
        if (message.id === undefined) return true;
        // The stream opens with `ready`, whose id is the cursor it replays from: not an event.
        if (message.event === "ready") {
          if (expected !== null && Number(message.id) !== expected - 1) this.problem(`ready names cursor ${message.id}, the replay starts after ${expected - 1}`);
          return true;
        }
        const seq = Number(message.id);
        if (seq !== expected) this.problem(`expected seq ${expected}, got ${seq} (last ${this.lastSeq})`);
        let parsed: { seq?: unknown } | null = null;
        try {
          parsed = JSON.parse(message.data) as { seq?: unknown };
        } catch {
          this.problem(`seq ${seq}: data is not JSON`);
        }
        if (parsed && parsed.seq !== seq) this.problem(`id ${seq} carries an event with seq ${String(parsed.seq)}`);
        const before = this.ledger.streamed.get(seq);
        if (before !== undefined && before !== message.data) this.problem(`seq ${seq} was sent with two different contents`);
        this.ledger.streamed.set(seq, message.data);
        expected = seq + 1;
        this.lastSeq = seq;
        this.received++;
        taken++;
        return until(seq, taken);
      },
    );
  }

  /** Read (reconnecting as configured) until `stopped()`; the connection dies with the daemon. */
  async runUntilKilled(api: Api, stopped: () => boolean): Promise<void> {
    while (!stopped()) {
      const limit = this.options.resumeEvery ? this.rng.int(...this.options.resumeEvery) : Infinity;
      const result = await this.connect(api, this.abort.signal, (_seq, taken) => taken < limit);
      if (stopped()) return;
      if (result.status !== 200 && result.status !== 0) this.problem(`stream answered ${result.status}: ${String(result.body).slice(0, 200)}`);
      else if (result.end !== "stopped") this.problem(`stream ended before the kill (${result.end}${result.error ? `: ${String(result.error)}` : ""})`);
    }
  }

  /** Stop reading (the connection may already be gone with the daemon). */
  stop(): void {
    this.abort.abort();
  }

  /** After the restart: resume from the last seq seen before the kill and read up to `target`. */
  async resumeTo(api: Api, target: number, timeoutMs: number): Promise<void> {
    // A reader that got nothing before the kill has no cursor to resume from.
    if (this.lastSeq === null || this.lastSeq >= target) return;
    const signal = AbortSignal.timeout(timeoutMs);
    const result = await this.connect(api, signal, (seq) => seq < target);
    if (result.status !== 200) this.problem(`resume after the restart answered ${result.status}: ${String(result.body).slice(0, 200)}`);
    else if (result.end !== "stopped") this.problem(`resume after the restart ended (${result.end}) at seq ${this.lastSeq}, before ${target}`);
  }
}

export function startReaders(api: Api, ledger: Ledger, rng: Rng, stopped: () => boolean): { readers: StreamReader[]; done: Promise<void> } {
  const readers = [
    new StreamReader({ name: "stream(after=0)", after: 0, resumeEvery: null }, ledger, rng.fork("sse0")),
    new StreamReader({ name: "stream(live, resuming)", after: null, resumeEvery: [20, 200] }, ledger, rng.fork("sse1")),
    new StreamReader({ name: "stream(after=0, resuming)", after: 0, resumeEvery: [100, 1500] }, ledger, rng.fork("sse2")),
  ];
  const done = Promise.all(readers.map((r) => r.runUntilKilled(api, stopped))).then(() => undefined);
  return { readers, done };
}
