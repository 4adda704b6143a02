import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { jsonExample, problems, ref } from "../schemas/common.js";
import { examples } from "../schemas/examples.js";
import { StatusResponse } from "../schemas/status.js";
import { SMALL_ANSWER } from "../src/http/compression.js";
import type { Daemon } from "../src/daemon.js";
import { sendJson } from "../src/http/json-page.js";
import { statusBody } from "../src/status-view.js";

export const statusRoutes: FastifyPluginAsyncTypebox<{ daemon: Daemon }> = async (app, { daemon }) => {
  app.get(
    "/v1/status",
    {
      ...SMALL_ANSWER,
      schema: {
        operationId: "getStatus",
        summary: "Daemon identity, state, child, counts and redacted config",
        description: "One snapshot for dashboards and scripts: identity and boot, the child's state, Codex's account, sessions and runs counted by status, whether the state directory takes writes, the oldest and last event seq, and the resolved configuration with secrets redacted.",
        tags: ["status"],
        response: { 200: jsonExample("The daemon's status", ref(StatusResponse), examples.getStatus.response), ...problems(500) },
      },
    },
    (_request, reply) => {
      sendJson(reply, daemon.store, statusBody(daemon));
    },
  );
};
