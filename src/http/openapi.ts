import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { packageVersion } from "../package-info.js";

/** The generated contract: OpenAPI 3.1 with components named after schema $ids. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "codexd",
        version: packageVersion,
        description:
          "Local control plane for Codex coding agents: the supervised `codex app-server` child, sessions, runs and the event log. Errors are RFC 9457 problem+json with a stable `code`.",
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
    refResolver: {
      buildLocalReference(json, _baseUri, _fragment, i) {
        return typeof json.$id === "string" ? json.$id : `Schema${i}`;
      },
    },
  });
}
