import swaggerUi from "@fastify/swagger-ui";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { problems } from "../schemas/common.js";

export const docsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    "/openapi.json",
    {
      schema: {
        operationId: "getOpenApiJson",
        summary: "The OpenAPI 3.1 contract as JSON",
        tags: ["docs"],
        response: { 200: Type.Object({}, { additionalProperties: true, description: "OpenAPI document" }), ...problems(500) },
      },
    },
    async () => app.swagger(),
  );

  app.get(
    "/openapi.yaml",
    {
      schema: {
        operationId: "getOpenApiYaml",
        summary: "The OpenAPI 3.1 contract as YAML",
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
