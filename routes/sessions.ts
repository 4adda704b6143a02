import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { jsonExample, problems, ref, withExample } from "../schemas/common.js";
import { examples } from "../schemas/examples.js";
import {
  CreateSessionBody,
  InterruptResult,
  SessionListQuery,
  SessionPage,
  SessionParams,
  SessionRecord,
  StartTurnBody,
  TurnAccepted,
  TurnListQuery,
  TurnPage,
  TurnParams,
} from "../schemas/sessions.js";
import { TurnRecord } from "../schemas/turns.js";
import type { Daemon } from "../src/daemon.js";
import { pageJson, sendJson } from "../src/http/json-page.js";

export const sessionRoutes: FastifyPluginAsyncTypebox<{ daemon: Daemon }> = async (app, { daemon }) => {
  const { sessions, turns } = daemon;
  const tags = ["sessions"];

  app.post(
    "/v1/sessions",
    {
      schema: {
        operationId: "createSession",
        summary: "Create a session: a new Codex thread (thread/start)",
        description: "Needs a ready child (503 CODEXD_CHILD_NOT_READY otherwise). Answers 201 once the thread exists and the session is durably recorded; the session starts idle.",
        tags,
        body: withExample(CreateSessionBody, examples.createSession.request),
        response: { 201: jsonExample("The session created; Location names it", ref(SessionRecord), examples.createSession.response, ["location"]), ...problems(400, 409, 415, 422, 500, 502, 503, 504) },
      },
    },
    async (request, reply) => {
      const session = await sessions.create(request.body);
      return reply.code(201).header("location", `/v1/sessions/${encodeURIComponent(session.sessionId)}`).send(session);
    },
  );

  app.get(
    "/v1/sessions",
    {
      schema: {
        operationId: "listSessions",
        summary: "Sessions, newest first",
        description: "Filter by status; page with limit and the nextCursor of the previous page.",
        tags,
        querystring: SessionListQuery,
        response: { 200: jsonExample("A page of sessions", ref(SessionPage), examples.listSessions.response), ...problems(400, 500) },
      },
    },
    async (request, reply) => {
      const { sessions: page, nextCursor } = sessions.list(request.query);
      return sendJson(reply, daemon.store, pageJson("sessions", page, { nextCursor }));
    },
  );

  app.get(
    "/v1/sessions/:id",
    {
      schema: {
        operationId: "getSession",
        summary: "One session",
        description: "404 CODEXD_NOT_FOUND for an unknown id.",
        tags,
        params: SessionParams,
        response: { 200: jsonExample("The session", ref(SessionRecord), examples.getSession.response), ...problems(400, 404, 500) },
      },
    },
    async (request) => sessions.get(request.params.id),
  );

  app.delete(
    "/v1/sessions/:id",
    {
      schema: {
        operationId: "closeSession",
        summary: "Close a session; an active turn is interrupted first",
        description: "Idempotent: closing a closed session answers the session unchanged.",
        tags,
        params: SessionParams,
        response: { 200: jsonExample("The session, closed", ref(SessionRecord), examples.closeSession.response), ...problems(400, 404, 500) },
      },
    },
    async (request) => (await sessions.close(request.params.id)).session,
  );

  app.post(
    "/v1/sessions/:id/turns",
    {
      schema: {
        operationId: "startTurn",
        summary: "Start a turn (turn/start), or steer the active one with steer: true",
        description: "Answers 202 with the turn id; follow it with GET .../turns/{turnId} or the event stream. 409 CODEXD_TURN_ACTIVE while a turn runs (unless steer).",
        tags,
        params: SessionParams,
        body: withExample(StartTurnBody, examples.startTurn.request),
        response: { 202: jsonExample("The turn accepted (or steered); Location names it", ref(TurnAccepted), examples.startTurn.response, ["location"]), ...problems(400, 404, 409, 415, 500, 502, 503, 504) },
      },
    },
    async (request, reply) => {
      const turn = await turns.start(request.params.id, request.body);
      return reply.code(202).header("location", `/v1/sessions/${encodeURIComponent(turn.sessionId)}/turns/${encodeURIComponent(turn.turnId)}`).send(turn);
    },
  );

  app.get(
    "/v1/sessions/:id/turns",
    {
      schema: {
        operationId: "listTurns",
        summary: "A session's turns, oldest first",
        description: "Page with limit and the nextCursor of the previous page.",
        tags,
        params: SessionParams,
        querystring: TurnListQuery,
        response: { 200: jsonExample("A page of turns", ref(TurnPage), examples.listTurns.response), ...problems(400, 404, 500) },
      },
    },
    async (request) => turns.list(request.params.id, request.query),
  );

  app.get(
    "/v1/sessions/:id/turns/:turnId",
    {
      schema: {
        operationId: "getTurn",
        summary: "One turn: status, items, final agent message, usage, error",
        description: "A turn still in progress holds the items completed so far; the final message is set once the turn has completed.",
        tags,
        params: TurnParams,
        response: { 200: jsonExample("The turn", ref(TurnRecord), examples.getTurn.response), ...problems(400, 404, 500) },
      },
    },
    async (request) => turns.get(request.params.id, request.params.turnId),
  );

  app.post(
    "/v1/sessions/:id/interrupt",
    {
      schema: {
        operationId: "interruptTurn",
        summary: "Interrupt the session's active turn (turn/interrupt)",
        description: "The turn then ends `interrupted`. 409 CODEXD_NO_ACTIVE_TURN when none runs.",
        tags,
        params: SessionParams,
        response: { 202: jsonExample("The interrupt was sent", ref(InterruptResult), examples.interruptTurn.response), ...problems(400, 404, 409, 500, 502, 503, 504) },
      },
    },
    async (request, reply) => reply.code(202).send(await turns.interrupt(request.params.id)),
  );
};
