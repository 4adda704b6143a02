import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { HEADERS, jsonExample, problems, ref } from "../schemas/common.js";
import { examples } from "../schemas/examples.js";
import { EventPage, EventQuery, EventStreamHeaders, EventStreamQuery } from "../schemas/events.js";
import type { Daemon } from "../src/daemon.js";
import { ProblemError } from "../src/errors.js";
import { checkCursor } from "../src/events/cursor.js";
import { pageOfJson, sendJson } from "../src/http/json-page.js";
import { serveEventStream } from "../src/events/event-stream.js";
import { SseWriter } from "../src/events/sse-writer.js";

export const eventRoutes: FastifyPluginAsyncTypebox<{ daemon: Daemon }> = async (app, { daemon }) => {
  app.get(
    "/v1/events",
    {
      schema: {
        operationId: "listEvents",
        summary: "Recorded events after a seq cursor, oldest first",
        description:
          "Pages past the in-memory cache are read from the event log on disk. `type` selects an exact type or a dotted prefix; `level` is a minimum level. `nextAfter` is null when the page was not full. A cursor older than the oldest retained event is 410 CODEXD_CURSOR_EXPIRED with `oldestSeq` (list again from `after=oldestSeq-1`, knowing the events in between are lost); a cursor beyond the last seq is 400 CODEXD_CURSOR_AHEAD with `lastSeq`.",
        tags: ["events"],
        querystring: EventQuery,
        response: { 200: jsonExample("A page of events", ref(EventPage), examples.listEvents.response), ...problems(400, 410, 500) },
      },
    },
    async (request, reply) => {
      const limit = request.query.limit ?? 100;
      if (request.query.after !== undefined) checkCursor(daemon.store, request.query.after);
      const { lines, oldestSeq, lastSeq } = await daemon.store.queryEventJson({ ...request.query, limit });
      const last = lines.at(-1);
      const nextAfter = lines.length === limit && last ? last.seq : null;
      return sendJson(reply, daemon.store, pageOfJson("events", lines.map((l) => l.json), { nextAfter, oldestSeq, lastSeq }));
    },
  );

  app.get(
    "/v1/events/stream",
    {
      schema: {
        operationId: "streamEvents",
        summary: "Live events as Server-Sent Events, resumable",
        description:
          "The first event is always `ready`: `id:` = the effective cursor (the live tail when none was given), `data:` = `{\"after\": <seq>}`, so a standard EventSource that is cut before any event resumes with `Last-Event-ID` and misses nothing. Each further event: `id:` = seq, `event:` = type, `data:` = the event JSON. Resume with `Last-Event-ID` or `after`; replay and live tail never lose or repeat an event. Heartbeat comments keep idle connections open. A reader that falls behind gets a final `overflow` event carrying `lastSeq` to resume from; shutdown sends a final `shutdown` event. A cursor older than the oldest retained event is 410 CODEXD_CURSOR_EXPIRED with `oldestSeq`: standard EventSource clients stop there; list from `after=oldestSeq-1` (the events in between are lost) and open a new stream from the last seq listed. A cursor beyond the last seq is 400 CODEXD_CURSOR_AHEAD with `lastSeq`. HEAD answers the headers and ends.",
        tags: ["events"],
        querystring: EventStreamQuery,
        headers: EventStreamHeaders,
        response: {
          200: { description: "An event stream, opening with a `ready` event", headers: { "x-codexd-after": HEADERS["x-codexd-after"] }, content: { "text/event-stream": { schema: Type.String() } } },
          ...problems(400, 410, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const { after: queryAfter, ...filter } = request.query;
      const header = request.headers["last-event-id"];
      const { store, streams, config } = daemon;
      const after = header !== undefined ? Number(header) : (queryAfter ?? store.lastSeq);
      if (streams.closing) throw new ProblemError(503, "CODEXD_SHUTTING_DOWN", "Shutting down", "The daemon is shutting down");
      checkCursor(store, after);
      if (request.method === "HEAD") {
        // Headers only: a HEAD never gets a body, so there is no stream to keep open.
        return reply.code(200).headers({ "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-codexd-after": String(after) }).send("");
      }
      reply.hijack();
      await serveEventStream(store, daemon.liveEvents, streams.register(new SseWriter(reply.raw)), after, filter, config.streams);
    },
  );
};
