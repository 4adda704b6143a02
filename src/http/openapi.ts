import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { packageVersion } from "../package-info.js";
import { STORE_HEADER } from "./durable-reads.js";

type OpenApiDocument = Record<string, unknown> & { paths?: Record<string, Record<string, { responses?: Record<string, { headers?: Record<string, unknown> }> }>>; components?: Record<string, unknown> };

/**
 * While the state directory cannot be written, every answer carries `x-codexd-store: degraded`
 * (reads come from memory): declared once as a component and referenced from every response.
 */
function withStoreHeader(doc: OpenApiDocument): OpenApiDocument {
  const components = (doc.components ??= {}) as Record<string, Record<string, unknown>>;
  components.headers = {
    ...components.headers,
    StoreDegraded: {
      description: "Present (`degraded`) while the state directory cannot be written: a read answers from memory, a change is refused (507/503)",
      schema: { type: "string", enum: ["degraded"] },
    },
  };
  for (const operations of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const response of Object.values(operation.responses ?? {})) response.headers = { ...response.headers, [STORE_HEADER]: { $ref: "#/components/headers/StoreDegraded" } };
    }
  }
  return doc;
}

/** The generated contract: OpenAPI 3.1 with components named after schema $ids. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "codexd",
        version: packageVersion,
        description:
          "Local control plane for Codex coding agents: the supervised `codex app-server` child, sessions, runs and the event log. Errors are RFC 9457 problem+json with a stable `code`. A method a path does not have is answered 405 `CODEXD_METHOD_NOT_ALLOWED` with an `Allow` header naming the methods it has (`OPTIONS` on such a path: 204 with `Allow`).",
        license: { name: "MIT", identifier: "MIT" },
      },
      // Where a daemon listens: 127.0.0.1:4319 unless CODEXD_HOST / CODEXD_PORT say otherwise.
      servers: [{ url: "http://127.0.0.1:4319", description: "A local codexd daemon on its default address (CODEXD_HOST, CODEXD_PORT change it)" }],
      components: {
        securitySchemes: {
          bearerAuth: { type: "http", scheme: "bearer", description: "CODEXD_TOKEN; when configured, required on every route except health, readiness and the contract" },
        },
      },
      tags: [
        { name: "health", description: "Liveness and readiness" },
        { name: "status", description: "Daemon status" },
        { name: "events", description: "The numbered event log" },
        { name: "child", description: "The supervised codex app-server process" },
        { name: "sessions", description: "Codex threads and their turns" },
        { name: "approvals", description: "The app-server's requests for approval" },
        { name: "runs", description: "Units of work for an orchestrator: queued, executed, awaited" },
        { name: "docs", description: "This contract" },
      ],
    },
    transformObject: (document) => withStoreHeader(("openapiObject" in document ? document.openapiObject : document.swaggerObject) as OpenApiDocument) as object,
    refResolver: {
      buildLocalReference(json, _baseUri, _fragment, i) {
        return typeof json.$id === "string" ? json.$id : `Schema${i}`;
      },
    },
  });
}
