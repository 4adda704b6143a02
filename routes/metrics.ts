import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { problems } from "../schemas/common.js";
import type { Registry } from "prom-client";

export const metricsRoutes: FastifyPluginAsyncTypebox<{ registry: Registry }> = async (app, { registry }) => {
  app.get(
    "/metrics",
    {
      schema: {
        operationId: "getMetrics",
        summary: "Prometheus metrics",
        description: "The Prometheus text exposition format: codexd_* metrics of the child, runs, streams and HTTP, plus the process's own.",
        tags: ["status"],
        response: { 200: { description: "Prometheus text format", content: { "text/plain": { schema: Type.String() } } }, ...problems(500) },
      },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
};
