import { readFileSync, readdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../package-info.js";

/** One file of the console, held in memory: the set is small and fixed at start. */
export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** The browser files live as plain ES modules and CSS in src/console/ui (no build step). */
export const consoleUiDir = join(packageRoot, "src", "console", "ui");

/**
 * Content-Security-Policy of every console response: only this origin's scripts, styles and
 * connections, no inline script or style, no plugins, never framed.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONSOLE_CSP,
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-cache",
};

function asset(body: Buffer, contentType: string): ConsoleAsset {
  return { body, contentType, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
}

/** Source maps point at files the console does not serve: drop the reference. */
const withoutSourceMap = (text: string) => text.replace(/^\/\/# sourceMappingURL=.*$/m, "");

export interface ConsoleAssets {
  page: ConsoleAsset;
  /** Files under /console/assets/, by name: only these names are ever served. */
  files: ReadonlyMap<string, ConsoleAsset>;
}

/** Read the console's files once. Names are taken from the directory, never from a request. */
export function loadConsoleAssets(dir = consoleUiDir): ConsoleAssets {
  const files = new Map<string, ConsoleAsset>();
  let page: ConsoleAsset | undefined;
  for (const name of readdirSync(dir).sort()) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    if (name === "index.html") page = asset(body, type);
    else files.set(name, asset(body, type));
  }
  if (!page) throw new Error(`console page missing: ${join(dir, "index.html")}`);
  // The stream parser the Node client uses, served to the browser as an ES module.
  const parser = fileURLToPath(import.meta.resolve("eventsource-parser"));
  files.set("eventsource-parser.js", asset(Buffer.from(withoutSourceMap(readFileSync(parser, "utf8"))), TYPES[".js"]!));
  return { page, files };
}
