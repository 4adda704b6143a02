import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { problems, ref } from "../schemas/common.js";
import { EventPage, EventQuery } from "../schemas/events.js";
import type { Daemon } from "../src/daemon.js";

export const eventRoutes: FastifyPluginAsyncTypebox<{ daemon: Daemon }> = async (app, { daemon }) => {
  app.get(
    "/v1/events",
    {
      schema: {
        operationId: "listEvents",
        summary: "Recorded events after a seq cursor, oldest first",
        description:
          "Pages past the in-memory cache are read from the event log on disk. `type` selects an exact type or a dotted prefix; `level` is a minimum level.",
        tags: ["events"],
        querystring: EventQuery,
        response: { 200: ref(EventPage), ...problems(400, 500) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const page = await daemon.store.queryEvents({ ...request.query, limit });
      const last = page.events.at(-1);
      return { ...page, nextAfter: page.events.length === limit && last ? last.seq : null };
    },
  );
};
