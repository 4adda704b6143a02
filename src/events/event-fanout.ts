import type { CodexdEvent } from "../../schemas/events.js";
import { matchesEventQuery } from "../state/event-filter.js";
import { jsonOf } from "../state/record-json.js";
import type { StateStore } from "../state/store.js";
import { ReplayGate } from "./replay-gate.js";
import { encodeFrame } from "./sse-writer.js";
import type { EventFilter } from "./event-stream.js";

/** Consecutive events of one flush, as SSE frames ready for the socket. */
export interface EventChunk {
  readonly bytes: Buffer;
  readonly count: number;
  readonly lastSeq: number;
}

/** Events are frozen and shared by every reader: encode each one once, not once per replay. */
const frames = new WeakMap<CodexdEvent, string>();
function frameOf(event: CodexdEvent): string {
  let frame = frames.get(event);
  if (frame === undefined) {
    // The store's events carry the JSON text they were written or read as.
    frame = encodeFrame({ id: event.seq, event: event.type, data: jsonOf(event) });
    frames.set(event, frame);
  }
  return frame;
}

/** Events read back from the store (a replay), as one chunk. */
export function chunkOf(events: readonly CodexdEvent[]): EventChunk {
  return { bytes: Buffer.from(events.map(frameOf).join("")), count: events.length, lastSeq: events.at(-1)!.seq };
}

/**
 * Events of a flush as one chunk, framed around the JSON lines the store wrote (JSON has no raw
 * newline, so each is one `data:` line): nothing serialized twice, nothing cached.
 */
function liveChunkOf(events: readonly CodexdEvent[], lines: readonly string[]): EventChunk {
  let text = "";
  for (let i = 0; i < events.length; i++) text += `id: ${events[i]!.seq}\nevent: ${events[i]!.type}\ndata: ${lines[i]}\n`;
  return { bytes: Buffer.from(text), count: events.length, lastSeq: events.at(-1)!.seq };
}

type Deliver = (chunk: EventChunk) => void;

interface FilterGroup {
  readonly filter: EventFilter;
  readonly subscribers: Set<Deliver>;
}

/**
 * Live events for every open stream. Subscribers with the same filter form a group; each durable
 * flush is filtered and encoded once per group, and every subscriber of the group is handed the
 * same buffer. With 50 readers of the whole log, a flush costs one encoding and 50 socket writes,
 * not 50 encodings.
 */
export class EventFanout {
  private readonly groups = new Map<string, FilterGroup>();
  private unsubscribeStore: (() => void) | null = null;
  /** Streams replaying from the store build their pages two at a time. */
  readonly replays = new ReplayGate(2);

  constructor(private readonly store: StateStore) {}

  /**
   * Deliver every durable event after `boundary` that matches `filter`. The boundary is read in
   * the same synchronous step as the subscription is taken, so the caller replays up to it from
   * the store and nothing is missed or repeated in between.
   */
  subscribe(filter: EventFilter, deliver: Deliver): { boundary: number; unsubscribe: () => void } {
    const key = filterKey(filter);
    let group = this.groups.get(key);
    if (!group) {
      group = { filter, subscribers: new Set() };
      this.groups.set(key, group);
    }
    group.subscribers.add(deliver);
    this.unsubscribeStore ??= this.store.onEvents((events, lines) => this.publish(events, lines));
    const unsubscribe = () => {
      group.subscribers.delete(deliver);
      if (group.subscribers.size === 0 && this.groups.get(key) === group) this.groups.delete(key);
      if (this.groups.size === 0) {
        this.unsubscribeStore?.();
        this.unsubscribeStore = null;
      }
    };
    return { boundary: this.store.lastSeq, unsubscribe };
  }

  get subscriberCount(): number {
    let n = 0;
    for (const group of this.groups.values()) n += group.subscribers.size;
    return n;
  }

  private publish(events: readonly CodexdEvent[], lines: readonly string[]): void {
    for (const [key, group] of this.groups) {
      let chunk: EventChunk;
      if (key === "") {
        chunk = liveChunkOf(events, lines);
      } else {
        const picked: number[] = [];
        events.forEach((event, i) => matchesEventQuery(event, group.filter) && picked.push(i));
        if (picked.length === 0) continue;
        chunk = liveChunkOf(
          picked.map((i) => events[i]!),
          picked.map((i) => lines[i]!),
        );
      }
      for (const deliver of group.subscribers) deliver(chunk);
    }
  }
}

/** The same filter, however its query string was ordered, gives the same key; no filter gives "". */
function filterKey(filter: EventFilter): string {
  const { type, level, sessionId, runId } = filter;
  if (type === undefined && level === undefined && sessionId === undefined && runId === undefined) return "";
  return JSON.stringify([type ?? null, level ?? null, sessionId ?? null, runId ?? null]);
}
