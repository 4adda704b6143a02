import type { CodexdEvent, EventQuery } from "../../schemas/events.js";
import { matchesEventQuery } from "../state/event-filter.js";
import type { StateStore } from "../state/store.js";
import { encodeFrame } from "./sse-writer.js";
import type { StreamEnd, StreamHandle } from "./stream-hub.js";
import { SubscriberQueue } from "./subscriber-queue.js";

export type EventFilter = Omit<EventQuery, "after" | "limit">;

export interface EventStreamSettings {
  heartbeatMs: number;
  queueCapacity: number;
}

const REPLAY_PAGE = 500;

/** Events are frozen and shared by every subscriber: encode each one once, not once per stream. */
const frames = new WeakMap<CodexdEvent, string>();
function frameOf(event: CodexdEvent): string {
  let frame = frames.get(event);
  if (frame === undefined) {
    frame = encodeFrame({ id: event.seq, event: event.type, data: JSON.stringify(event) });
    frames.set(event, frame);
  }
  return frame;
}

/**
 * Replay from a cursor, then the live tail, with no gap and no repeat: the subscription is taken
 * and the durable seq read in the same synchronous step, so every event is either at or below
 * that seq (replayed from the store) or above it (delivered live), never both or neither.
 */
export async function serveEventStream(
  store: StateStore,
  stream: StreamHandle,
  after: number,
  filter: EventFilter,
  settings: EventStreamSettings,
): Promise<StreamEnd> {
  const { writer } = stream;
  const queue = new SubscriberQueue<CodexdEvent>(settings.queueCapacity);
  let boundary = 0;
  const unsubscribe = store.onEvent((event) => {
    if (event.seq > boundary && matchesEventQuery(event, filter)) queue.push(event);
  });
  boundary = store.lastSeq;
  let lastSent = after;
  let how: StreamEnd = "client-closed";
  try {
    // The effective cursor, so a client that started at the live tail can resume without a gap.
    writer.open({ "x-codexd-after": String(after) });
    await writer.comment(`codexd event stream; replaying from seq ${after}`);
    let cursor = after;
    while (cursor < boundary && !writer.closed && !stream.closing) {
      const page = await store.queryEvents({ ...filter, after: cursor, limit: REPLAY_PAGE });
      const replay = page.events.filter((e) => e.seq <= boundary);
      if (replay.length > 0) {
        await writer.write(replay.map(frameOf).join(""));
        lastSent = replay.at(-1)!.seq;
      }
      if (page.events.length < REPLAY_PAGE || replay.length < page.events.length) break;
      cursor = lastSent;
    }
    how = await stream.pump({
      queue,
      encode: frameOf,
      onSent: (event) => (lastSent = event.seq),
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
