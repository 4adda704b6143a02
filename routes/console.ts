import { existsSync } from "node:fs";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { problems } from "../schemas/common.js";
import { CONSOLE_HEADERS, consoleUiDir, loadConsoleAssets, type ConsoleAsset } from "../src/console/assets.js";
import { ProblemError, notFound } from "../src/errors.js";
import { OPEN_ROUTE } from "../src/http/security.js";

const tags = ["console"];
const missing = () => new ProblemError(404, "CODEXD_CONSOLE_MISSING", "Console not installed", `The console's files are not in ${consoleUiDir}`);
const notModified = { 304: Type.Null({ description: "Not modified: the copy the browser holds (If-None-Match) is current" }) };

function send(request: FastifyRequest, reply: FastifyReply, asset: ConsoleAsset) {
  reply.headers(CONSOLE_HEADERS).header("etag", asset.etag);
  if (request.headers["if-none-match"] === asset.etag) return reply.code(304).send();
  return reply.type(asset.contentType).send(asset.body);
}

/**
 * The browser console: a static page and its ES modules, same origin, nothing external. The
 * page holds no data; everything it shows comes from /v1, which needs the token when one is set.
 * Like the docs UI, these pages are not part of the API contract (hidden from openapi.yaml).
 */
export const consoleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // An installation without the console's files still serves the API.
  const assets = existsSync(consoleUiDir) ? loadConsoleAssets() : null;

  app.get(
    "/",
    {
      // Open: the page and its files hold no data; every /v1 call they make needs the token.
      config: OPEN_ROUTE,
      schema: {
        hide: true,
        operationId: "getRoot",
        summary: "Redirects to the console",
        tags,
        response: { 302: Type.Null({ description: "Location: /console" }), ...problems(500) },
      },
    },
    async (_request, reply) => reply.headers(CONSOLE_HEADERS).redirect("/console", 302),
  );

  app.get(
    "/console",
    {
      // Open: the page and its files hold no data; every /v1 call they make needs the token.
      config: OPEN_ROUTE,
      schema: {
        hide: true,
        operationId: "getConsole",
        summary: "The live console (HTML page)",
        description: "A single page that shows and controls the daemon through /v1; asks for the token when one is configured.",
        tags,
        produces: ["text/html"],
        response: {
          200: { description: "The console page", content: { "text/html": { schema: Type.String() } } },
          ...notModified,
          ...problems(404, 500),
        },
      },
    },
    async (request, reply) => {
      if (!assets) throw missing();
      return send(request, reply, assets.page);
    },
  );

  app.get(
    "/console/assets/:name",
    {
      // Open: the page and its files hold no data; every /v1 call they make needs the token.
      config: OPEN_ROUTE,
      schema: {
        hide: true,
        operationId: "getConsoleAsset",
        summary: "A script, style sheet or image of the console",
        tags,
        params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100, pattern: "^[a-z0-9][a-z0-9.-]*$" }) }),
        response: {
          200: {
            description: "The file",
            content: {
              "text/javascript": { schema: Type.String() },
              "text/css": { schema: Type.String() },
              "image/svg+xml": { schema: Type.String() },
            },
          },
          ...notModified,
          ...problems(400, 404, 500),
        },
      },
    },
    async (request, reply) => {
      if (!assets) throw missing();
      const asset = assets.files.get(request.params.name);
      if (!asset) throw notFound("Console asset", request.params.name);
      return send(request, reply, asset);
    },
  );
};
