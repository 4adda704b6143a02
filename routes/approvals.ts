import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ApprovalListQuery, ApprovalPage, ApprovalParams, ApprovalRecord, DecisionBody } from "../schemas/approvals.js";
import { jsonExample, problems, ref, withExample } from "../schemas/common.js";
import { examples } from "../schemas/examples.js";
import type { Decision } from "../src/codex/protocol.js";
import type { Daemon } from "../src/daemon.js";
import { pageJson, sendJson } from "../src/http/json-page.js";

export const approvalRoutes: FastifyPluginAsyncTypebox<{ daemon: Daemon }> = async (app, { daemon }) => {
  const { approvals } = daemon;
  const tags = ["approvals"];

  app.get(
    "/v1/approvals",
    {
      schema: {
        operationId: "listApprovals",
        summary: "Approval requests from the app-server, newest first",
        description: "Filter by status (pending ones wait for POST .../decision); page with limit and the nextCursor of the previous page.",
        tags,
        querystring: ApprovalListQuery,
        response: { 200: jsonExample("A page of approvals", ref(ApprovalPage), examples.listApprovals.response), ...problems(400, 500) },
      },
    },
    async (request, reply) => {
      const { approvals: page, nextCursor } = approvals.list(request.query);
      return sendJson(reply, daemon.store, pageJson("approvals", page, { nextCursor }));
    },
  );

  app.get(
    "/v1/approvals/:id",
    {
      schema: {
        operationId: "getApproval",
        summary: "One approval request",
        description: "What the app-server asked, the decisions it offered, and how and when it was answered.",
        tags,
        params: ApprovalParams,
        response: { 200: jsonExample("The approval", ref(ApprovalRecord), examples.getApproval.response), ...problems(400, 404, 500) },
      },
    },
    async (request) => approvals.get(request.params.id),
  );

  app.post(
    "/v1/approvals/:id/decision",
    {
      schema: {
        operationId: "decideApproval",
        summary: "Answer a pending approval with one of its availableDecisions",
        description: "409 CODEXD_APPROVAL_NOT_PENDING when already answered or expired; 422 CODEXD_DECISION_NOT_OFFERED for a decision not offered.",
        tags,
        params: ApprovalParams,
        body: withExample(DecisionBody, examples.decideApproval.request),
        response: { 200: jsonExample("The approval, resolved with the decision", ref(ApprovalRecord), examples.decideApproval.response), ...problems(400, 404, 409, 415, 422, 500) },
      },
    },
    async (request) => approvals.decide(request.params.id, request.body.decision as Decision),
  );
};
