import compress from "@fastify/compress";
import { constants } from "node:zlib";
import type { FastifyInstance } from "fastify";
import { routeReadsBody } from "./inline-hook.js";

/** Bodies smaller than this go as they are: compressing them saves less than it costs. */
export const COMPRESS_THRESHOLD_BYTES = 1024;

/**
 * Responses are compressed when the client asks (`Accept-Encoding: br` or `gzip`) and the body
 * is at least COMPRESS_THRESHOLD_BYTES. Event streams never are: they are written straight to the
 * socket (outside Fastify's send), each event must reach the reader when it is written, not when
 * a compressor's block fills, and SSE proxies expect them plain. Brotli runs at a middle quality:
 * the top levels cost far more CPU for a few percent on JSON.
 */
export async function installCompression(app: FastifyInstance): Promise<void> {
  // Request bodies are inflated only where a body is read: a GET's hook would have nothing to do.
  app.addHook("onRoute", (route) => {
    if (route.decompress === undefined && !routeReadsBody(route)) route.decompress = false;
  });
  await app.register(compress, {
    global: true,
    threshold: COMPRESS_THRESHOLD_BYTES,
    encodings: ["br", "gzip"],
    customTypes: /^(application\/(json|problem\+json|yaml|x-yaml|javascript)|text\/(plain|html|css|javascript|yaml))(;|$)/,
    brotliOptions: { params: { [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_QUALITY]: 5 } },
  });
}

/**
 * Route option of the routes whose answers are a few kB at most and polled (health, status):
 * compressing them saves less than the per-request hooks cost every poll.
 */
export const SMALL_ANSWER = { compress: false } as const;
