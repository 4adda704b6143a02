/**
 * The console's HTTP side against a real listening daemon: where it lives, the headers that keep
 * it from being framed or running anything but its own scripts, and what is open with a token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_CSP } from "../../src/console/assets.js";
import { startSessionsDaemon, type SessionsDaemon } from "../helpers/sessions-daemon.js";

const TOKEN = "console-http-token-0123456789abcdef";
let d: SessionsDaemon;

beforeAll(async () => {
  d = await startSessionsDaemon({ settings: { CODEXD_TOKEN: TOKEN }, waitReady: false });
});

afterAll(async () => {
  await d?.close();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(d.baseUrl + path, { headers, redirect: "manual" });

describe("the console over HTTP", () => {
  it("GET / redirects to /console", async () => {
    const res = await get("/");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/console");
  });

  it("serves the page and its assets without the token, with a strict CSP and no framing", async () => {
    const page = await get("/console");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/console/assets/main.js">');
    // No inline script or style, nothing from another origin.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\bstyle=|<style/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);

    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toBe(CONSOLE_CSP);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");

    const scripts = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const path of [...scripts, "/console/assets/eventsource-parser.js", "/console/assets/stream.js"]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-security-policy"), path).toBe(CONSOLE_CSP);
      const text = await res.text();
      expect(text, path).not.toContain("sourceMappingURL");
      // Every module the page imports is served too.
      for (const [, name] of text.matchAll(/from "\.\/([a-z0-9.-]+\.js)"/g)) expect((await get(`/console/assets/${name}`)).status, `${path} imports ${name}`).toBe(200);
    }
  });

  it("answers a current copy with 304 and an unknown asset with a 404 problem", async () => {
    const first = await get("/console/assets/main.js");
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect((await get("/console/assets/main.js", { "if-none-match": etag })).status).toBe(304);

    for (const path of ["/console/assets/nope.js", "/console/assets/index.html", "/console/assets/assets.js"]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ code: "CODEXD_NOT_FOUND" });
    }
    expect((await get("/console/assets/..%2Fassets.ts")).status).toBeGreaterThanOrEqual(400);
  });

  it("is, like the docs UI, no part of the API contract", async () => {
    const contract = (await (await get("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(contract.paths).filter((p) => p === "/" || p.startsWith("/console"))).toEqual([]);
  });

  it("every /v1 call the page makes still needs the token", async () => {
    for (const path of ["/v1/status", "/v1/events/stream", "/v1/sessions"]) {
      const res = await get(path);
      expect(res.status, path).toBe(401);
      await res.body?.cancel();
    }
    const ok = await get("/v1/status", { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
  });

  it("keeps the Host and Origin checks for the console", async () => {
    const foreignOrigin = await get("/console", { origin: "http://evil.example" });
    expect(foreignOrigin.status).toBe(403);
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(d.baseUrl);
      const req = request({ host: url.hostname, port: url.port, path: "/console", headers: { host: "rebind.example" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});
