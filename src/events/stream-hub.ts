import { encodeFrame, type SseWriter } from "./sse-writer.js";
import type { SubscriberQueue } from "./subscriber-queue.js";

export type StreamEnd = "client-closed" | "overflow" | "shutdown";

export interface PumpOptions<T> {
  queue: SubscriberQueue<T>;
  /** The item as SSE frames (share one buffer when many streams send the same item). */
  encode: (item: T) => string | Buffer;
  /** Called with the last item of each batch once it is written. */
  onSent?: (item: T) => void;
  heartbeatMs: number;
  /** The final event when the subscriber fell behind; it carries what is needed to resume. */
  overflowEvent: () => { event: string; data: string };
}

/** Bytes gathered into one socket write: enough to amortise the syscall, small enough to interleave streams. */
const WRITE_BYTES = 256 * 1024;
/** Streams that write in one turn of the event loop; then sockets, timers and other requests get theirs. */
const WRITES_PER_TURN = 32;

/**
 * Turns to write, a few streams per turn of the event loop. Without it one flush wakes every
 * stream and all of them write in one go (one socket write each, hundreds for hundreds of
 * readers) before anything else runs: a health check waits behind them. With it a stream's
 * writes also gather: what arrives while it waits for its turn goes out in one write.
 */
class WriteTurns {
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  next(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const go of this.waiting.splice(0, WRITES_PER_TURN)) go();
      if (this.waiting.length > 0) this.schedule();
    });
  }
}

/** One open stream, registered from its first byte (replay included) to its end. */
export class StreamHandle {
  private done!: (end: StreamEnd) => void;
  readonly finished = new Promise<StreamEnd>((resolve) => (this.done = resolve));

  constructor(
    readonly writer: SseWriter,
    private readonly hub: StreamHub,
  ) {}

  get closing(): boolean {
    return this.hub.closing;
  }

  /** Drain `queue` to the socket until the client leaves, the queue overflows, or shutdown. */
  async pump<T>({ queue, encode, onSent, heartbeatMs, overflowEvent }: PumpOptions<T>): Promise<StreamEnd> {
    const { writer } = this;
    this.hub.watch(this, queue);
    let writing = false;
    const heartbeat = setInterval(() => {
      if (!writing) void writer.comment("heartbeat");
    }, heartbeatMs);
    heartbeat.unref();
    // A reader whose filter matches nothing new must still leave the moment its socket closes:
    // wake the wait so the loop sees the closed writer.
    const stopWatching = writer.onGone(() => queue.notify());
    try {
      for (;;) {
        if (writer.closed) return "client-closed";
        if (queue.size > 0) {
          await this.hub.turns.next();
          if (writer.closed) return "client-closed";
        }
        while (queue.size > 0) {
          const parts: (string | Buffer)[] = [];
          let bytes = 0;
          let item: T | undefined;
          let last: T | undefined;
          while (bytes < WRITE_BYTES && (item = queue.shift()) !== undefined) {
            const part = encode(item);
            parts.push(part);
            bytes += part.length;
            last = item;
          }
          writing = true;
          const written = writer.writeAll(parts);
          // Handed to the socket in order: an overflow event written later comes after these.
          onSent?.(last!);
          await written;
          writing = false;
          if (writer.closed) return "client-closed";
          if (queue.overflowed) break;
        }
        if (queue.overflowed) {
          // This reader is behind already: tell it where to resume, but do not wait on it for long.
          await writer.writeWithin(encodeFrame(overflowEvent()), heartbeatMs);
          return "overflow";
        }
        if (queue.closed || this.hub.closing) {
          await writer.send({ event: "shutdown", data: JSON.stringify({ reason: "daemon shutting down" }) });
          return "shutdown";
        }
        await queue.wait();
      }
    } finally {
      stopWatching();
      clearInterval(heartbeat);
      queue.close();
    }
  }

  /** The stream is over, however it ended. */
  end(how: StreamEnd): void {
    this.writer.end();
    this.hub.ended[how]++;
    this.done(how);
  }
}

/**
 * Every open stream, so shutdown can end them all with a final event, and drop those whose
 * reader stopped reading instead of waiting for them forever.
 */
export class StreamHub {
  private readonly open = new Set<StreamHandle>();
  private readonly queues = new Map<StreamHandle, Pick<SubscriberQueue<unknown>, "close">>();
  private shuttingDown = false;
  readonly turns = new WriteTurns();
  /** Streams ended so far, by how they ended (`overflow`: the reader fell behind and was dropped). */
  readonly ended: Record<StreamEnd, number> = { "client-closed": 0, overflow: 0, shutdown: 0 };

  get count(): number {
    return this.open.size;
  }

  get closing(): boolean {
    return this.shuttingDown;
  }

  /** Register a stream before anything is written to it. */
  register(writer: SseWriter): StreamHandle {
    const handle = new StreamHandle(writer, this);
    this.open.add(handle);
    void handle.finished.then(() => {
      this.open.delete(handle);
      this.queues.delete(handle);
    });
    return handle;
  }

  /** Called by a stream when it starts its live tail, so shutdown can wake it. */
  watch(handle: StreamHandle, queue: Pick<SubscriberQueue<unknown>, "close">): void {
    this.queues.set(handle, queue);
    if (this.shuttingDown) queue.close();
  }

  /** End every stream with a final `shutdown` event; after `graceMs`, drop the ones still stuck. */
  async closeAll(graceMs = 2000): Promise<void> {
    this.shuttingDown = true;
    const pending = [...this.open];
    for (const queue of this.queues.values()) queue.close();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"grace-over">((resolve) => (timer = setTimeout(() => resolve("grace-over"), graceMs)));
    const outcome = await Promise.race([Promise.all(pending.map((h) => h.finished)), graceOver]);
    clearTimeout(timer);
    if (outcome === "grace-over") for (const handle of this.open) handle.writer.destroy();
  }
}
