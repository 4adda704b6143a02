import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { jsonExample, problems, ref } from "../schemas/common.js";
import { examples } from "../schemas/examples.js";
import { Liveness, Readiness } from "../schemas/status.js";
import { SMALL_ANSWER } from "../src/http/compression.js";
import type { Daemon } from "../src/daemon.js";
import { sendProblem } from "../src/http/problem-handler.js";
import { OPEN_ROUTE } from "../src/http/security.js";

export const healthRoutes: FastifyPluginAsyncTypebox<{ daemon: Daemon }> = async (app, { daemon }) => {
  app.get(
    "/healthz",
    {
      ...SMALL_ANSWER,
      config: OPEN_ROUTE,
      schema: {
        operationId: "getLiveness",
        summary: "Liveness: the daemon process answers",
        description: "Always 200 while the process serves HTTP, whatever the child's state; needs no token. Use /readyz to know whether requests can be served.",
        tags: ["health"],
        response: { 200: jsonExample("The daemon answers", ref(Liveness), examples.getLiveness.response), ...problems(500) },
      },
    },
    async () => ({ status: "ok" as const }),
  );

  app.get(
    "/readyz",
    {
      ...SMALL_ANSWER,
      config: OPEN_ROUTE,
      schema: {
        operationId: "getReadiness",
        summary: "Readiness: the store is open and the child is ready",
        description: "503 problem+json with the reasons when not ready.",
        tags: ["health"],
        response: { 200: jsonExample("Ready, with each check", ref(Readiness), examples.getReadiness.response), ...problems(500, 503) },
      },
    },
    async (_request, reply) => {
      const readiness = daemon.readiness();
      if (readiness.ready) return { status: "ready" as const, checks: readiness.checks };
      return sendProblem(reply, {
        type: "https://codexd.dev/problems/codexd_not_ready",
        title: "Not ready",
        status: 503,
        code: "CODEXD_NOT_READY",
        detail: readiness.reasons.join("; "),
        reasons: readiness.reasons,
        checks: readiness.checks,
      });
    },
  );
};
