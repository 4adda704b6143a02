import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyPluginOptions } from "fastify";
import fastifyPlugin from "fastify-plugin";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { Logger } from "pino";
import { sharedSchemas } from "../schemas/index.js";
import { approvalRoutes } from "../routes/approvals.js";
import { childRoutes } from "../routes/child.js";
import { consoleRoutes } from "../routes/console.js";
import { docsRoutes } from "../routes/docs.js";
import { eventRoutes } from "../routes/events.js";
import { healthRoutes } from "../routes/health.js";
import { metricsRoutes } from "../routes/metrics.js";
import { runRoutes } from "../routes/runs.js";
import { sessionRoutes } from "../routes/sessions.js";
import { statusRoutes } from "../routes/status.js";
import type { Daemon } from "./daemon.js";
import { registerOpenApi } from "./http/openapi.js";
import { clientErrorProblem, frameworkProblem, installProblemHandlers } from "./http/problem-handler.js";
import { installJsonBody } from "./http/json-body.js";
import { installCompression } from "./http/compression.js";
import { exactPaths, requireHost } from "./http/request-shape.js";
import { limitBodyDepth } from "./http/body-depth.js";
import { connectionServerOptions, installConnectionLimits } from "./http/connection-limits.js";
import { documentStorageResponses, installDurableReads } from "./http/durable-reads.js";
import { createMetrics } from "./http/metrics.js";
import { installResponseAudit } from "./http/response-audit.js";
import { documentSecurityResponses, installSecurity } from "./http/security.js";
import { installPayloadLimits } from "./http/payload-limits.js";
import { installValidators } from "./http/validation.js";
import { deferredRequestLogger, RequestLogController } from "./logging.js";
import { problems } from "../schemas/common.js";
import { inlineSendHook } from "./http/inline-hook.js";

export interface AppOptions {
  logger?: Logger;
}

/** Build the HTTP app around a daemon. Registers everything; never listens. */
export type App = FastifyInstance<
  FastifyInstance["server"],
  FastifyInstance["server"] extends never ? never : import("node:http").IncomingMessage,
  import("node:http").ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export async function buildApp(daemon: Daemon, options: AppOptions = {}): Promise<App> {
  const connection = connectionServerOptions(daemon.config.http);
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger | undefined,
    logController: new RequestLogController(),
    childLoggerFactory: deferredRequestLogger,
    bodyLimit: daemon.config.http.bodyLimitBytes,
    return503OnClosing: true,
    frameworkErrors: frameworkProblem,
    // Errors before routing (431, a malformed request line) and a missing Host are problem+json too.
    clientErrorHandler: clientErrorProblem,
    ...connection,
    http: { ...connection.http, requireHostHeader: false },
    // Longer ids reach validation (400 naming the limit) instead of the router's bare 414.
    routerOptions: { maxParamLength: 1000 },
    forceCloseConnections: "idle",
  }).withTypeProvider<TypeBoxTypeProvider>();

  installConnectionLimits(app, daemon.config.http);
  for (const schema of sharedSchemas) app.addSchema(schema);
  // Unknown properties are an error, not something to strip silently; bodies are not coerced.
  installValidators(app, sharedSchemas);
  // Only JSON bodies: text/plain is 415 like any other type, not a string that fails validation.
  app.removeContentTypeParser("text/plain");
  installJsonBody(app);
  limitBodyDepth(app);
  // Streams and long-polls are not idle connections: end and answer them before the server waits
  // on them, and let no connection stay open for keep-alive once closing has begun.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
    await daemon.releaseClients();
  });
  app.addHook(
    "onSend",
    inlineSendHook((_request, reply) => {
      if (closing) reply.header("connection", "close");
    }),
  );
  installProblemHandlers(app);
  await installCompression(app);
  installResponseAudit(app, daemon.config.http.responseAuditFile);
  installDurableReads(app, daemon.store);
  documentSecurityResponses(app, problems);
  documentStorageResponses(app, problems);
  await registerOpenApi(app);
  requireHost(app);
  await installSecurity(app, daemon.config);
  exactPaths(app);
  installPayloadLimits(app, daemon.config.limits);
  // At the root, so its response hook sees every route.
  const metrics = createMetrics(app, daemon);

  // The data routes add no hooks, decorators or handlers of their own, so they go in the root's
  // context (fastify-plugin) instead of a context each: their requests are then all made from one
  // Request and one Reply class, and Fastify's request path, which every route shares, sees one
  // shape of each instead of one per route module (fewer instructions per request, measured in
  // bench/README.md). The docs keep a context of their own: its hook opens every route in it.
  for (const routes of [healthRoutes, statusRoutes, eventRoutes, childRoutes, sessionRoutes, approvalRoutes, runRoutes]) {
    await app.register(inRootContext(routes), { daemon });
  }
  await app.register(inRootContext(metricsRoutes), { registry: metrics });
  await app.register(docsRoutes);
  await app.register(consoleRoutes);
  return app;
}

/**
 * A route module registered in its parent's context. fastify-plugin marks the function it is
 * given, so it is given a wrapper: the module itself, imported elsewhere, keeps a context of its own.
 */
function inRootContext<Options extends FastifyPluginOptions>(plugin: FastifyPluginAsync<Options>): FastifyPluginAsync<Options> {
  const wrapper: FastifyPluginAsync<Options> = (app, options) => plugin(app, options);
  return fastifyPlugin(wrapper, { name: plugin.name });
}
