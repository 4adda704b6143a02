import { Type, type Static } from "@sinclair/typebox";
import { EventLevel, JsonObject, Nullable, ref } from "./common.js";

/** Seed event shape plus optional correlation fields. */
export const CodexdEvent = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, description: "Strictly increasing across daemon restarts" }),
    createdAt: Type.String({ format: "date-time", description: "When the event was recorded (RFC 3339, UTC)" }),
    level: ref(EventLevel),
    type: Type.String({
      description: "Dotted event type: daemon.*, child.* (e.g. child.state_changed), session.*, turn.*, approval.*, run.* (e.g. run.queued, run.completed), codex.* (app-server notifications), state.recovered, ...",
    }),
    message: Type.String({ description: "One line for people saying what happened" }),
    detail: Nullable(JsonObject, {
      description:
        "Type-specific data (e.g. from, to and cause of child.state_changed); null when there is none. A detail over limits.eventDetailBytes (a big child payload) is served cut, with truncated: true and originalBytes; events.jsonl keeps it whole",
    }),
    bootId: Type.Optional(Type.String({ description: "Identifies the daemon boot that recorded it" })),
    sessionId: Type.Optional(Type.String({ description: "The session the event is about, when it is about one" })),
    runId: Type.Optional(Type.String({ description: "The run the event is about, when it is about one" })),
    turnId: Type.Optional(Type.String({ description: "The turn the event is about, when it is about one" })),
  },
  { $id: "Event", description: "Something that happened, recorded durably with a number (seq) before anyone is told" },
);
export type CodexdEvent = Static<typeof CodexdEvent>;

export const EventQuery = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0, description: "Return events with seq greater than this" })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: "Events per page at most" })),
    type: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "Exact type, or a prefix ending in '.' (e.g. run.)" }),
    ),
    level: Type.Optional(Type.Union([...EventLevel.anyOf], { description: "Minimum level: warn returns warn and error events" })),
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "Only events about this session" })),
    runId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "Only events about this run" })),
  },
  { additionalProperties: false },
);
export type EventQuery = Static<typeof EventQuery>;

export const EventPage = Type.Object(
  {
    events: Type.Array(ref(CodexdEvent), { description: "Matching events in seq order, oldest first" }),
    nextAfter: Nullable(Type.Integer({ description: "Pass as `after` for the next page; null when no more" })),
    oldestSeq: Nullable(Type.Integer({ description: "Oldest seq still retained (older ones were rotated out of the event log); null when no event is kept" })),
    lastSeq: Type.Integer({ description: "Newest seq recorded so far (0 when none)" }),
  },
  { $id: "EventPage", description: "One page of the event log" },
);
export type EventPage = Static<typeof EventPage>;

export const EventStreamQuery = Type.Object(
  {
    after: Type.Optional(
      Type.Integer({ minimum: 0, description: "Replay events with seq greater than this first; without it (and without Last-Event-ID) the stream starts at the live tail" }),
    ),
    type: EventQuery.properties.type,
    level: EventQuery.properties.level,
    sessionId: EventQuery.properties.sessionId,
    runId: EventQuery.properties.runId,
  },
  { additionalProperties: false },
);

export const EventStreamHeaders = Type.Object({
  "last-event-id": Type.Optional(Type.String({ pattern: "^[0-9]{1,15}$", description: "Resume after this seq (wins over `after`)" })),
});
