import type { ServerResponse } from "node:http";

export interface SseFrame {
  id?: number | string;
  event?: string;
  data: string;
}

/** One Server-Sent Events frame as text. */
export function encodeFrame(frame: SseFrame): string {
  let text = "";
  if (frame.id !== undefined) text += `id: ${frame.id}\n`;
  if (frame.event) text += `event: ${frame.event}\n`;
  for (const line of frame.data.split("\n")) text += `data: ${line}\n`;
  return `${text}\n`;
}

/** Writes Server-Sent Events to a raw response, honouring backpressure. */
export class SseWriter {
  private ended = false;

  constructor(private readonly res: ServerResponse) {
    res.on("close", () => (this.ended = true));
  }

  /** Call `listener` once when the connection is gone (client left, or the daemon ended it); returns how to stop listening. */
  onGone(listener: () => void): () => void {
    if (this.closed) {
      listener();
      return () => {};
    }
    this.res.once("close", listener);
    return () => this.res.off("close", listener);
  }

  /** Bytes written but not yet taken by the socket (the reader is behind by at least this). */
  get bufferedBytes(): number {
    return this.res.writableLength;
  }

  get closed(): boolean {
    return this.ended || this.res.destroyed;
  }

  open(headers: Record<string, string> = {}): void {
    this.res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      ...headers,
    });
    this.res.flushHeaders();
  }

  send(frame: SseFrame): Promise<void> {
    return this.write(encodeFrame(frame));
  }

  comment(text: string): Promise<void> {
    return this.write(`: ${text}\n\n`);
  }

  /** Write already encoded frames; resolves when the socket can take more (or is gone). */
  write(frames: string | Buffer): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.res.write(frames)) return Promise.resolve();
    return this.drained();
  }

  /**
   * Several pieces of encoded frames in one socket write. Joined into one buffer rather than
   * written corked: on Node 24 a corked response whose writes returned false can uncork into a
   * socket with room and never emit 'drain', which left the stream waiting for good.
   */
  writeAll(parts: readonly (string | Buffer)[]): Promise<void> {
    if (parts.length === 1) return this.write(parts[0]!);
    if (parts.every((part) => typeof part === "string")) return this.write(parts.join(""));
    return this.write(Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : part))));
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.res.off("drain", done);
        this.res.off("close", done);
        if (this.stopDrainWait === done) this.stopDrainWait = null;
        resolve();
      };
      this.stopDrainWait = done;
      this.res.once("drain", done);
      this.res.once("close", done);
    });
  }

  private stopDrainWait: (() => void) | null = null;

  /** End a wait for the socket to drain now (the reader is being ended for falling behind). */
  stopWaiting(): void {
    this.stopDrainWait?.();
  }

  /** Write, and drop the connection when the reader has not taken it within `ms`. */
  async writeWithin(text: string, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), ms)));
    const outcome = await Promise.race([this.write(text), late]);
    clearTimeout(timer);
    if (outcome === "late") this.destroy();
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
    this.ended = true;
  }

  /** For a reader that stopped reading: drop the connection instead of waiting on it. */
  destroy(): void {
    this.res.destroy();
    this.ended = true;
  }
}
