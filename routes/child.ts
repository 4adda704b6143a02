import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import {
  ChildLogs,
  ChildLogsQuery,
  ChildSignalBody,
  ChildStartQuery,
  ChildStartResult,
  ChildState,
  ChildStopQuery,
  ChildVerbResult,
  ChildWaitQuery,
  ChildWaitResult,
} from "../schemas/child.js";
import { jsonExample, problems, ref, withExample } from "../schemas/common.js";
import { examples } from "../schemas/examples.js";
import type { Daemon } from "../src/daemon.js";
import { ProblemError } from "../src/errors.js";
import { serveLogStream } from "../src/events/log-stream.js";
import { SseWriter } from "../src/events/sse-writer.js";

export const childRoutes: FastifyPluginAsyncTypebox<{ daemon: Daemon }> = async (app, { daemon }) => {
  const child = daemon.child;
  const tags = ["child"];

  app.get(
    "/v1/child",
    {
      schema: {
        operationId: "getChild",
        summary: "The supervised app-server child's state",
        description: "Status, pid and process group, desired state, restart count, last exit and the next restart time while in backoff.",
        tags,
        response: { 200: jsonExample("The child's state", ref(ChildState), examples.getChild.response), ...problems(500) },
      },
    },
    async () => child.state,
  );

  app.post(
    "/v1/child/start",
    {
      schema: {
        operationId: "startChild",
        summary: "Start the child (idempotent); optionally wait until ready or failed",
        description: "Sets the desired state to running and clears a start-limit breaker. Verbs apply in arrival order: a start sent during a stop runs after it.",
        tags,
        querystring: ChildStartQuery,
        response: { 200: jsonExample("Started (or already running); with wait, how the start ended", ref(ChildStartResult), examples.startChild.response), ...problems(400, 500) },
      },
    },
    async (request) => {
      const { changed } = await child.start();
      if (!request.query.wait) return { changed, outcome: "not-waited" as const, state: child.state };
      const { matched, state } = await child.waitFor("ready", request.query.timeoutMs ?? 30_000, ["fatal", "exited", "backoff", "stopped"]);
      const outcome = matched ? (state.status === "running" ? ("ready" as const) : ("failed" as const)) : ("timeout" as const);
      return { changed, outcome, state };
    },
  );

  app.post(
    "/v1/child/stop",
    {
      schema: {
        operationId: "stopChild",
        summary: "Stop the child: stdin EOF, then SIGTERM, then SIGKILL to its process group",
        description: "Sets the desired state to stopped, which survives a daemon restart. Idempotent.",
        tags,
        querystring: ChildStopQuery,
        response: { 200: jsonExample("Stopped (or already stopped)", ref(ChildVerbResult), examples.stopChild.response), ...problems(400, 500) },
      },
    },
    async (request) => child.stop(request.query.timeoutMs),
  );

  app.post(
    "/v1/child/restart",
    {
      schema: {
        operationId: "restartChild",
        summary: "Stop the child if it runs, then start it",
        description: "Clears a backoff and the start-limit breaker, stops a running child the way stop does, then starts a new one; the desired state becomes running. Answers once the new process is launched, not once it is ready (use POST /v1/child/wait?condition=ready).",
        tags,
        response: { 200: jsonExample("Restarted", ref(ChildVerbResult), examples.restartChild.response), ...problems(500) },
      },
    },
    async () => child.restart(),
  );

  app.post(
    "/v1/child/signal",
    {
      schema: {
        operationId: "signalChild",
        summary: "Send a signal to the child process",
        description: "409 CODEXD_CHILD_NOT_RUNNING when there is no process, CODEXD_CHILD_EXTERNAL with the external strategy (not a process of codexd's). What the child does then is reported by its state and events like any exit.",
        tags,
        body: withExample(ChildSignalBody, examples.signalChild.request),
        response: { 200: jsonExample("The signal was sent; the child's state", ref(ChildState), examples.signalChild.response), ...problems(400, 409, 415, 500) },
      },
    },
    async (request) => child.signal(request.body.signal),
  );

  app.post(
    "/v1/child/wait",
    {
      schema: {
        operationId: "waitForChild",
        summary: "Wait until the child reaches a condition or the timeout passes",
        description: "Answers at once when the condition already holds; otherwise when it holds, or with matched: false after timeoutMs. Changes nothing.",
        tags,
        querystring: ChildWaitQuery,
        response: { 200: jsonExample("The wait ended: matched, or the timeout passed", ref(ChildWaitResult), examples.waitForChild.response), ...problems(400, 500) },
      },
    },
    async (request) => child.waitFor(request.query.condition, request.query.timeoutMs ?? 30_000),
  );

  app.get(
    "/v1/child/logs",
    {
      schema: {
        operationId: "getChildLogs",
        summary: "The last lines of the child's stderr (or of what it printed on stdout that was not protocol)",
        description: "Read from the rotating log files of the state directory. With follow=true the answer is a Server-Sent Events stream: the tail, then each new line as it is written, until the client disconnects.",
        tags,
        querystring: ChildLogsQuery,
        response: {
          200: {
            description: "The tail as JSON, or with follow=true a stream of `event: stderr|stdout` lines",
            content: { "application/json": { schema: ref(ChildLogs), example: examples.getChildLogs.response }, "text/event-stream": { schema: Type.String() } },
          },
          ...problems(400, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const stream = request.query.stream ?? "stderr";
      const tail = request.query.tail ?? 200;
      if (!request.query.follow) return { stream, lines: await daemon.store.tailChildOutput(stream, tail) };
      if (daemon.streams.closing) throw new ProblemError(503, "CODEXD_SHUTTING_DOWN", "Shutting down", "The daemon is shutting down");
      reply.hijack();
      await serveLogStream(child, daemon.store, daemon.streams.register(new SseWriter(reply.raw)), stream, tail, daemon.config.streams);
      return reply;
    },
  );
};
