import type { Readable } from "node:stream";

const LF = 0x0a;
const CR = 0x0d;
/** Enough bytes for 200 characters of 4-byte UTF-8, used for the over-long line's sample. */
const HEAD_BYTES = 800;

export interface LineHandlers {
  /** A complete, non-empty line (without `\n` / `\r\n`), decoded as UTF-8. */
  onLine(text: string, bytes: number): void;
  /**
   * A line exceeded the cap. Called once per such line, as soon as the cap is crossed, with
   * the length seen so far and its first bytes; the rest of the line is skipped unbuffered.
   */
  onOverlong(bytesSoFar: number, head: Buffer): void;
}

/**
 * Splits a byte stream into lines. Bytes are only decoded once a line is complete, so a
 * multi-byte character split across chunks is never mangled. The cap counts the raw bytes
 * before `\n` (a trailing `\r` included).
 */
export class LineSplitter {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private discarding = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly handlers: LineHandlers,
  ) {}

  /** Bytes currently held for an incomplete line; never more than maxLineBytes. */
  get bufferedBytes(): number {
    return this.heldBytes;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) {
        this.hold(chunk.subarray(start));
        return;
      }
      this.complete(chunk.subarray(start, nl));
      start = nl + 1;
    }
  }

  /** Input ended: a trailing line without `\n` is still delivered. */
  end(): void {
    if (this.heldBytes > 0) this.complete(Buffer.alloc(0));
    this.reset();
  }

  private hold(piece: Buffer): void {
    if (this.discarding) return;
    if (this.heldBytes + piece.length > this.maxLineBytes) {
      this.overlong(piece);
      this.discarding = true;
      return;
    }
    this.held.push(piece);
    this.heldBytes += piece.length;
  }

  private complete(tail: Buffer): void {
    if (this.discarding) {
      // Already reported when the cap was crossed; this newline ends the skipped line.
      this.reset();
      return;
    }
    const total = this.heldBytes + tail.length;
    if (total > this.maxLineBytes) {
      this.overlong(tail);
      this.reset();
      return;
    }
    let line = this.held.length === 0 ? tail : Buffer.concat([...this.held, tail], total);
    this.reset();
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    if (line.length === 0) return; // blank lines carry nothing
    this.handlers.onLine(line.toString("utf8"), line.length);
  }

  private overlong(last: Buffer): void {
    const parts = [...this.held, last];
    const head = Buffer.concat(parts, Math.min(HEAD_BYTES, this.heldBytes + last.length));
    const bytes = this.heldBytes + last.length;
    this.held = [];
    this.heldBytes = 0;
    this.handlers.onOverlong(bytes, head);
  }

  private reset(): void {
    this.held = [];
    this.heldBytes = 0;
    this.discarding = false;
  }
}

export interface ReadLinesOptions extends LineHandlers {
  maxLineBytes: number;
  /** Bytes as they arrive, before splitting (for counters). */
  onBytes?(n: number): void;
  /** The input finished (`end`/`close`) or failed; called once. */
  onEnd(reason: string): void;
}

/** Feeds `input` through a LineSplitter. Returns a function that stops listening. */
export function readLines(input: Readable, opts: ReadLinesOptions): () => void {
  const splitter = new LineSplitter(opts.maxLineBytes, opts);
  let done = false;
  const finish = (reason: string): void => {
    if (done) return;
    done = true;
    splitter.end();
    opts.onEnd(reason);
  };
  const onData = (chunk: Buffer | string): void => {
    if (done) return;
    const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    opts.onBytes?.(buf.length);
    splitter.push(buf);
  };
  const onEndEvent = (): void => finish("input ended");
  const onClose = (): void => finish("input closed");
  const onError = (err: Error): void => finish(`input error: ${err.message}`);
  input.on("data", onData);
  input.on("end", onEndEvent);
  input.on("close", onClose);
  input.on("error", onError);
  return () => {
    done = true;
    input.off("data", onData);
    input.off("end", onEndEvent);
    input.off("close", onClose);
    // Keep an error listener: a stream error with no listener would crash the process.
    input.off("error", onError);
    input.on("error", ignore);
    // Keep draining so a still-running child never blocks on a full stdout pipe.
    input.resume();
  };
}

function ignore(): void {}
