import type { SseWriter } from "./sse-writer.js";
import { SubscriberQueue } from "./subscriber-queue.js";

export type StreamEnd = "client-closed" | "overflow" | "shutdown";

export interface PumpOptions<T> {
  writer: SseWriter;
  queue: SubscriberQueue<T>;
  send: (item: T) => Promise<void>;
  heartbeatMs: number;
  /** The final event when the subscriber fell behind; it carries what is needed to resume. */
  overflowEvent: () => { event: string; data: string };
}

/**
 * Every open stream, so shutdown can end them all with a final event instead of waiting for
 * them; and the one loop that moves a subscriber's queue to its socket.
 */
export class StreamHub {
  private readonly open = new Set<{ queue: SubscriberQueue<unknown>; finished: Promise<StreamEnd> }>();
  private shuttingDown = false;

  get count(): number {
    return this.open.size;
  }

  get closing(): boolean {
    return this.shuttingDown;
  }

  /** Drain `queue` to the socket until the client leaves, the queue overflows or shutdown. */
  pump<T>(options: PumpOptions<T>): Promise<StreamEnd> {
    const entry = { queue: options.queue as SubscriberQueue<unknown>, finished: this.run(options) };
    this.open.add(entry);
    void entry.finished.finally(() => this.open.delete(entry));
    return entry.finished;
  }

  /** End every stream with a final `shutdown` event; resolves when all are closed or after `timeoutMs`. */
  async closeAll(timeoutMs = 2000): Promise<void> {
    this.shuttingDown = true;
    const pending = [...this.open];
    for (const entry of pending) entry.queue.close();
    await Promise.race([Promise.all(pending.map((e) => e.finished)), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private async run<T>({ writer, queue, send, heartbeatMs, overflowEvent }: PumpOptions<T>): Promise<StreamEnd> {
    let writing = false;
    const heartbeat = setInterval(() => {
      if (!writing) void writer.comment("heartbeat");
    }, heartbeatMs);
    heartbeat.unref();
    try {
      for (;;) {
        if (writer.closed) return "client-closed";
        let item: T | undefined;
        while ((item = queue.shift()) !== undefined) {
          writing = true;
          await send(item);
          writing = false;
          if (writer.closed) return "client-closed";
        }
        if (queue.overflowed) {
          await writer.send(overflowEvent());
          return "overflow";
        }
        if (queue.closed || this.shuttingDown) {
          await writer.send({ event: "shutdown", data: JSON.stringify({ reason: "daemon shutting down" }) });
          return "shutdown";
        }
        await queue.wait();
      }
    } finally {
      clearInterval(heartbeat);
      queue.close();
      writer.end();
    }
  }
}
