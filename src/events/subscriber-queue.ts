/**
 * A bounded FIFO between a fast producer and one slow consumer. The producer never blocks or
 * waits: when the queue is full the subscriber is marked overflowed and stops accepting, so
 * memory per subscriber is bounded and the writer and other subscribers are unaffected.
 * Capacity is counted in units of `weigh` (an item that stands for many events weighs many).
 */
export class SubscriberQueue<T> {
  private items: T[] = [];
  private head = 0;
  private queued = 0;
  private waiter: (() => void) | null = null;
  private queuedBytes = 0;
  overflowed = false;
  closed = false;

  constructor(
    readonly capacity: number,
    private readonly weigh: (item: T) => number = () => 1,
    /** Bytes of an item, for `bytes`; 0 when not counted. */
    private readonly sizeOf: (item: T) => number = () => 0,
  ) {}

  /** Queued bytes, as `sizeOf` counts them. */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** End the subscriber as fallen behind (for a limit the queue itself does not know, e.g. bytes). */
  overflow(): void {
    if (this.closed || this.overflowed) return;
    this.overflowed = true;
    this.wake();
  }

  /** Queued weight (items, unless a `weigh` says otherwise). */
  get size(): number {
    return this.queued;
  }

  push(item: T): void {
    if (this.closed || this.overflowed) return;
    const weight = this.weigh(item);
    // An empty queue takes any one item, so a single item heavier than the capacity (a flush of
    // more events than that) does not end a reader that is keeping up.
    if (this.queued > 0 && this.queued + weight > this.capacity) {
      this.overflowed = true;
    } else {
      this.items.push(item);
      this.queued += weight;
      this.queuedBytes += this.sizeOf(item);
    }
    this.wake();
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++]!;
    this.queued -= this.weigh(item);
    this.queuedBytes -= this.sizeOf(item);
    // Compact now and then so the array does not grow with history.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Resolves when an item arrives, the queue overflows or closes. */
  wait(): Promise<void> {
    if (this.head < this.items.length || this.overflowed || this.closed) return Promise.resolve();
    return new Promise((resolve) => (this.waiter = resolve));
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Wake a waiting reader without an item, so it looks again at what else changed (its socket). */
  notify(): void {
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
