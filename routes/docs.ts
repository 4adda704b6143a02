import swaggerUi from "@fastify/swagger-ui";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { problems } from "../schemas/common.js";
import { OPEN_ROUTE } from "../src/http/security.js";

/** The contract and its reference pages are public: they describe the API and hold no state. */
export const docsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Everything registered in this plugin (the docs UI's pages and assets included) is open.
  app.addHook("onRoute", (route) => {
    route.config = { ...route.config, ...OPEN_ROUTE };
  });

  app.get(
    "/openapi.json",
    {
      config: OPEN_ROUTE,
      schema: {
        operationId: "getOpenApiJson",
        summary: "The OpenAPI 3.1 contract as JSON",
        description: "The same document as openapi.yaml in the package; needs no token.",
        tags: ["docs"],
        response: { 200: Type.Object({}, { additionalProperties: true, description: "OpenAPI document" }), ...problems(500) },
      },
    },
    async () => app.swagger(),
  );

  app.get(
    "/openapi.yaml",
    {
      config: OPEN_ROUTE,
      schema: {
        operationId: "getOpenApiYaml",
        summary: "The OpenAPI 3.1 contract as YAML",
        description: "The same document as openapi.yaml in the package; needs no token.",
        tags: ["docs"],
        produces: ["application/yaml"],
        response: {
          200: { description: "OpenAPI document", content: { "application/yaml": { schema: Type.String() } } },
          ...problems(500),
        },
      },
    },
    async (_request, reply) => reply.type("application/yaml").send(app.swagger({ yaml: true })),
  );

  await app.register(swaggerUi, { routePrefix: "/docs", uiConfig: { docExpansion: "list", deepLinking: true, displayOperationId: true } });
};
