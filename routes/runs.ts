import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { HEADERS, jsonExample, problems, ref, withExample } from "../schemas/common.js";
import { examples } from "../schemas/examples.js";
import { CreateRunBody, CreateRunHeaders, RunCancelResult, RunGetQuery, RunListQuery, RunPage, RunParams, RunRecord } from "../schemas/runs.js";
import { RunDiff, RunDiffQuery, WorkspaceRemoveResult } from "../schemas/workspaces.js";
import type { Daemon } from "../src/daemon.js";
import { pageJson, sendJson } from "../src/http/json-page.js";

export const runRoutes: FastifyPluginAsyncTypebox<{ daemon: Daemon }> = async (app, { daemon }) => {
  const { runs, workspaces } = daemon;
  const tags = ["runs"];

  app.post(
    "/v1/runs",
    {
      schema: {
        operationId: "createRun",
        summary: "Queue a run: one prompt, executed as a turn (on a new session unless sessionId is given)",
        description:
          "Answers 202 once the run is durably queued. With `Idempotency-Key`, a retry with the same body returns the same run (header `idempotent-replayed: true`); the same key with another body is 409 CODEXD_IDEMPOTENCY_KEY_REUSED.",
        tags,
        headers: CreateRunHeaders,
        body: withExample(CreateRunBody, examples.createRun.request),
        response: { 202: jsonExample("The run queued (or replayed); Location names it", ref(RunRecord), examples.createRun.response, ["location", "idempotent-replayed"]), ...problems(400, 404, 409, 415, 422, 500) },
      },
    },
    async (request, reply) => {
      const { run, replayed } = await runs.create(request.body, request.headers["idempotency-key"]);
      if (replayed) reply.header("idempotent-replayed", "true");
      return reply.code(202).header("location", `/v1/runs/${encodeURIComponent(run.runId)}`).send(run);
    },
  );

  app.get(
    "/v1/runs",
    {
      schema: {
        operationId: "listRuns",
        summary: "Runs in the registry (active and recently finished), newest first",
        description: "Runs archived by retention are not listed but are still found by GET /v1/runs/{id}.",
        tags,
        querystring: RunListQuery,
        response: { 200: jsonExample("A page of runs", ref(RunPage), examples.listRuns.response), ...problems(400, 500) },
      },
    },
    async (request, reply) => {
      const { runs: page, nextCursor } = runs.list(request.query);
      return sendJson(reply, daemon.store, pageJson("runs", page, { nextCursor }));
    },
  );

  app.get(
    "/v1/runs/:id",
    {
      schema: {
        operationId: "getRun",
        summary: "One run; with waitMs, long-poll until it ends or the wait is over",
        description: "Without waitMs the run as it is now. With waitMs the answer comes when the run reaches a terminal status or when waitMs has passed, whichever is first; the status tells which.",
        tags,
        params: RunParams,
        querystring: RunGetQuery,
        response: { 200: jsonExample("The run (with waitMs: once it ended or the wait is over)", ref(RunRecord), examples.getRun.response), ...problems(400, 404, 500) },
      },
    },
    async (request) => runs.get(request.params.id, request.query.waitMs ?? 0),
  );

  app.post(
    "/v1/runs/:id/cancel",
    {
      schema: {
        operationId: "cancelRun",
        summary: "Cancel a run: dequeue it, or interrupt its turn",
        description: "A finished run is left as it is: 200 with changed: false.",
        tags,
        params: RunParams,
        response: { 200: jsonExample("Cancelled, or left as it was when it had ended", ref(RunCancelResult), examples.cancelRun.response), ...problems(400, 404, 500) },
      },
    },
    async (request) => runs.cancel(request.params.id),
  );

  app.get(
    "/v1/runs/:id/diff",
    {
      schema: {
        operationId: "getRunDiff",
        summary: "What a finished run changed, as a unified diff",
        description:
          "From git for a run with a workspace (everything the run changed in it, untracked files included), from Codex's `turn/diff/updated` otherwise. Stored beside the state, so it outlives the worktree; cut at `workspaces.diffMaxBytes` with a marker line (`truncated: true`, header `x-codexd-diff-truncated`). `?format=json` answers the diff with the run's changes as JSON. 409 CODEXD_RUN_ACTIVE until the run ends.",
        tags,
        params: RunParams,
        querystring: RunDiffQuery,
        response: {
          200: {
            description: "The diff (text/x-diff), or with format=json the diff and the changes",
            headers: { "x-codexd-diff-truncated": HEADERS["x-codexd-diff-truncated"] },
            content: {
              "text/x-diff": { schema: Type.String(), example: examples.getRunDiff.response.diff },
              "application/json": { schema: ref(RunDiff), example: examples.getRunDiff.response },
            },
          },
          ...problems(400, 404, 409, 500),
        },
      },
    },
    async (request, reply) => {
      const diff = await workspaces.diff(request.params.id);
      reply.header("x-codexd-diff-truncated", String(diff.truncated));
      if (request.query.format === "json") return reply.type("application/json; charset=utf-8").send(diff);
      return reply.type("text/x-diff; charset=utf-8").send(diff.diff);
    },
  );

  app.delete(
    "/v1/runs/:id/workspace",
    {
      schema: {
        operationId: "removeRunWorkspace",
        summary: "Remove a finished run's kept worktree (its branch stays)",
        description: "200 with changed: false when it is already removed; 409 CODEXD_RUN_ACTIVE while the run is queued or running; 404 for a run without a worktree.",
        tags,
        params: RunParams,
        response: { 200: jsonExample("The workspace, removed", ref(WorkspaceRemoveResult), examples.removeRunWorkspace.response), ...problems(400, 404, 409, 500) },
      },
    },
    async (request) => workspaces.remove(request.params.id),
  );
};
