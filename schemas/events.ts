import { Type, type Static } from "@sinclair/typebox";
import { EventLevel, IsoDateTime, JsonObject, Nullable, ref } from "./common.js";

/** Seed event shape plus optional correlation fields. */
export const CodexdEvent = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, description: "Strictly increasing across daemon restarts" }),
    createdAt: IsoDateTime,
    level: ref(EventLevel),
    type: Type.String({ description: "Dotted event type, e.g. child.state_changed" }),
    message: Type.String(),
    detail: Nullable(JsonObject),
    bootId: Type.Optional(Type.String({ description: "Identifies the daemon boot that recorded it" })),
    sessionId: Type.Optional(Type.String()),
    runId: Type.Optional(Type.String()),
    turnId: Type.Optional(Type.String()),
  },
  { $id: "Event" },
);
export type CodexdEvent = Static<typeof CodexdEvent>;

export const EventQuery = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0, description: "Return events with seq greater than this" })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    type: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "Exact type, or a prefix ending in '.' (e.g. run.)" }),
    ),
    level: Type.Optional(ref(EventLevel)), // minimum level: warn returns warn and error
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    runId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type EventQuery = Static<typeof EventQuery>;

export const EventPage = Type.Object(
  {
    events: Type.Array(ref(CodexdEvent)),
    nextAfter: Nullable(Type.Integer({ description: "Pass as `after` for the next page; null when no more" })),
    oldestSeq: Nullable(Type.Integer({ description: "Oldest seq still retained" })),
    lastSeq: Type.Integer({ description: "Newest seq recorded so far (0 when none)" }),
  },
  { $id: "EventPage" },
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
