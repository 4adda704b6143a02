import type { CodexdEvent, EventQuery } from "../../schemas/events.js";
import { matchesEventQuery } from "../state/event-filter.js";
import type { StateStore } from "../state/store.js";
import type { SseWriter } from "./sse-writer.js";
import type { StreamEnd, StreamHub } from "./stream-hub.js";
import { SubscriberQueue } from "./subscriber-queue.js";

export type EventFilter = Omit<EventQuery, "after" | "limit">;

export interface EventStreamSettings {
  heartbeatMs: number;
  queueCapacity: number;
}

const REPLAY_PAGE = 500;

/**
 * Replay from a cursor, then the live tail, with no gap and no repeat: the subscription is taken
 * and the durable seq read in the same synchronous step, so every event is either at or below
 * that seq (replayed from the store) or above it (delivered live), never both or neither.
 */
export async function serveEventStream(
  store: StateStore,
  hub: StreamHub,
  writer: SseWriter,
  after: number,
  filter: EventFilter,
  settings: EventStreamSettings,
): Promise<StreamEnd> {
  const queue = new SubscriberQueue<CodexdEvent>(settings.queueCapacity);
  let boundary = 0;
  const unsubscribe = store.onEvent((event) => {
    if (event.seq > boundary && matchesEventQuery(event, filter)) queue.push(event);
  });
  boundary = store.lastSeq;
  let lastSent = after;
  const send = async (event: CodexdEvent) => {
    await writer.send({ id: event.seq, event: event.type, data: JSON.stringify(event) });
    lastSent = event.seq;
  };
  try {
    // The effective cursor, so a client that started at the live tail can resume without a gap.
    writer.open({ "x-codexd-after": String(after) });
    await writer.comment(`codexd event stream; replaying from seq ${after}`);
    let cursor = after;
    while (cursor < boundary && !writer.closed && !hub.closing) {
      const page = await store.queryEvents({ ...filter, after: cursor, limit: REPLAY_PAGE });
      const replay = page.events.filter((e) => e.seq <= boundary);
      for (const event of replay) await send(event);
      if (page.events.length < REPLAY_PAGE || replay.length < page.events.length) break;
      cursor = replay.at(-1)!.seq;
    }
    return await hub.pump({
      writer,
      queue,
      send,
      heartbeatMs: settings.heartbeatMs,
      overflowEvent: () => ({
        event: "overflow",
        data: JSON.stringify({ lastSeq: lastSent, reason: "subscriber fell behind; resume with Last-Event-ID" }),
      }),
    });
  } finally {
    unsubscribe();
  }
}
