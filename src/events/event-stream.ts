import type { EventQuery } from "../../schemas/events.js";
import type { StateStore } from "../state/store.js";
import { chunkOf, type EventChunk, type EventFanout } from "./event-fanout.js";
import type { StreamEnd, StreamHandle } from "./stream-hub.js";
import { SubscriberQueue } from "./subscriber-queue.js";

export type EventFilter = Omit<EventQuery, "after" | "limit">;

export interface EventStreamSettings {
  heartbeatMs: number;
  queueCapacity: number;
  /** Bytes a reader may fall behind (queued and unsent) before it is ended with `overflow`. */
  maxBufferedBytes: number;
}

/** Events per replay page: what a reader that stopped reading holds in the daemon is about one page. */
const REPLAY_PAGE = 100;

/** The first event of every stream: the cursor it starts from, as `id:` and in `data`. */
export const readyFrame = (after: number) => ({ id: after, event: "ready", data: JSON.stringify({ after }) });

/**
 * Replay from a cursor, then the live tail, with no gap and no repeat: the subscription is taken
 * and the durable seq read in the same synchronous step, so every event is either at or below
 * that seq (replayed from the store) or above it (delivered live), never both or neither.
 */
export async function serveEventStream(
  store: StateStore,
  live: EventFanout,
  stream: StreamHandle,
  after: number,
  filter: EventFilter,
  settings: EventStreamSettings,
): Promise<StreamEnd> {
  const { writer } = stream;
  const queue = new SubscriberQueue<EventChunk>(settings.queueCapacity, (chunk) => chunk.count, (chunk) => chunk.bytes.length);
  // A reader that stopped reading costs a queue push per flush and nothing more until it is this
  // far behind; then it is ended (it can resume from the seq the overflow event names).
  const deliver = (chunk: EventChunk) => {
    const behind = queue.bytes + writer.bufferedBytes;
    if (behind > 0 && behind + chunk.bytes.length > settings.maxBufferedBytes) queue.overflow();
    else queue.push(chunk);
    // Stop waiting for its socket: the pump sends the overflow event and gives it little time.
    if (queue.overflowed) writer.stopWaiting();
  };
  const { boundary, unsubscribe } = live.subscribe(filter, deliver);
  let lastSent = after;
  let how: StreamEnd = "client-closed";
  try {
    // The effective cursor, so a client that started at the live tail can resume without a gap:
    // as a header, and as a real event, since standard EventSource clients keep only the `id:`
    // of an event that has data (the `eventsource` package ignores an id-only frame).
    writer.open({ "x-codexd-after": String(after) });
    await writer.send(readyFrame(after));
    let cursor = after;
    // A reader that fell behind while replaying (its live queue overflowed) gets no more pages:
    // the pump below sends it the overflow event and lets it go.
    const replaying = () => !writer.closed && !stream.closing && !queue.overflowed;
    while (cursor < boundary && replaying()) {
      // Read and encode in turn with other replays; write (and wait for the reader) outside it.
      // A stream that ended or is shutting down while it waited for its turn builds nothing.
      const built = await live.replays.run(async () => {
        if (!replaying()) return null;
        const page = await store.queryEvents({ ...filter, after: cursor, limit: REPLAY_PAGE });
        const replay = page.events.filter((e) => e.seq <= boundary);
        return { page, replay, bytes: replay.length > 0 ? chunkOf(replay).bytes : null };
      });
      if (!built) break;
      const { page, replay, bytes } = built;
      if (bytes) {
        await writer.write(bytes);
        lastSent = replay.at(-1)!.seq;
      }
      if (page.events.length < REPLAY_PAGE || replay.length < page.events.length) break;
      cursor = lastSent;
    }
    how = await stream.pump({
      queue,
      encode: (chunk) => chunk.bytes,
      onSent: (chunk) => (lastSent = chunk.lastSeq),
      heartbeatMs: settings.heartbeatMs,
      overflowEvent: () => ({
        event: "overflow",
        data: JSON.stringify({ lastSeq: lastSent, reason: "subscriber fell behind; resume with Last-Event-ID" }),
      }),
    });
    return how;
  } finally {
    unsubscribe();
    stream.end(how);
  }
}
