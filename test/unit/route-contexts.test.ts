import Fastify, { type FastifyInstance } from "fastify";
import pino from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvalRoutes } from "../../routes/approvals.js";
import { childRoutes } from "../../routes/child.js";
import { eventRoutes } from "../../routes/events.js";
import { healthRoutes } from "../../routes/health.js";
import { metricsRoutes } from "../../routes/metrics.js";
import { runRoutes } from "../../routes/runs.js";
import { sessionRoutes } from "../../routes/sessions.js";
import { statusRoutes } from "../../routes/status.js";
import { buildApp, type App } from "../../src/app.js";
import { Daemon } from "../../src/daemon.js";
import { tempState, type TempState } from "../helpers/temp-config.js";

/**
 * Fastify makes a Request and a Reply class for every plugin context. The request path is shared
 * by every route, so the fewer classes it meets, the less V8 does per request: the data routes
 * (the ones polled) are registered in the root's context, and their requests, and the not-found
 * answer's, are all of one class each.
 */
describe("the data routes' request and reply classes", () => {
  let temp: TempState;
  let app: App;
  const classes = new Map<string, { request: object | null; reply: object | null }>();

  beforeAll(async () => {
    temp = await tempState({});
    const daemon = new Daemon(temp.config, pino({ level: "silent" }));
    app = await buildApp(daemon);
    // Added last, at the root: it sees the class of every request's objects.
    app.addHook("onRequest", (request, reply, done) => {
      classes.set(`${request.method} ${request.url}`, { request: Object.getPrototypeOf(request), reply: Object.getPrototypeOf(reply) });
      done();
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await temp.cleanup();
  });

  it("are one Request and one Reply class for every data route and the not-found answer", async () => {
    const urls = ["/healthz", "/readyz", "/metrics", "/v1/status", "/v1/child", "/v1/events", "/v1/sessions", "/v1/runs", "/v1/approvals", "/v1/runs/nope", "/no/such/route"];
    for (const url of urls) await app.inject({ method: "GET", url });
    await app.inject({ method: "POST", url: "/v1/runs", payload: {} });
    expect([...classes.keys()]).toHaveLength(urls.length + 1);
    expect(new Set([...classes.values()].map((c) => c.request)).size).toBe(1);
    expect(new Set([...classes.values()].map((c) => c.reply)).size).toBe(1);
  });

  it("leave the route modules themselves unmarked: registered anywhere else, each gets a context of its own", () => {
    const modules = [healthRoutes, statusRoutes, eventRoutes, childRoutes, sessionRoutes, approvalRoutes, runRoutes, metricsRoutes];
    expect(modules.map((plugin) => (plugin as unknown as Record<symbol, unknown>)[Symbol.for("skip-override")])).toEqual(modules.map(() => undefined));
  });

  it("keep the docs apart: their context opens every route in it", async () => {
    for (const url of ["/openapi.json", "/v1/status"]) await app.inject({ method: "GET", url });
    const docs = classes.get("GET /openapi.json")!;
    expect(docs.reply).not.toBe(classes.get("GET /v1/status")!.reply);
  });
});

/**
 * In the root's context, whatever else a route module did (a hook, a decorator, an error or
 * not-found handler, a plugin) would reach every route of the daemon, the docs and the console
 * included: the data route modules may add routes and nothing more.
 */
describe("the data route modules", () => {
  const ADDS_ROUTES = new Set(["get", "head", "post", "put", "delete", "patch", "options", "all", "route", "withTypeProvider"]);

  it("add routes and nothing else", async () => {
    const temp = await tempState({});
    const daemon = new Daemon(temp.config, pino({ level: "silent" }));
    const app = Fastify();
    const calls: string[] = [];
    let module = "";
    // The instance as a module sees it: every method called on it is noted.
    const watched: FastifyInstance = new Proxy(app, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (!ADDS_ROUTES.has(String(key))) calls.push(`${module}: ${String(key)}`);
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result === target ? watched : result;
        };
      },
    });
    try {
      for (const routes of [healthRoutes, statusRoutes, eventRoutes, childRoutes, sessionRoutes, approvalRoutes, runRoutes]) {
        module = routes.name;
        await routes(watched as never, { daemon });
      }
      module = metricsRoutes.name;
      await metricsRoutes(watched as never, { registry: new Registry() });
      expect(["/v1/status", "/v1/runs", "/metrics"].map((url) => app.hasRoute({ method: "GET", url }))).toEqual([true, true, true]);
      expect(calls).toEqual([]);
    } finally {
      await app.close();
      await temp.cleanup();
    }
  });
});
