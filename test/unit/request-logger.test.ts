import Fastify from "fastify";
import pino from "pino";
import { Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { deferredRequestLogger, RequestLogController } from "../../src/logging.js";

/** A Fastify app with the daemon's request loggers and request lines, its lines kept as objects. */
async function appWithLines(level: pino.LevelWithSilent) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const root = pino({ level, base: { name: "codexd" } }, sink);
  const spy = vi.spyOn(root, "child");
  const app = Fastify({ loggerInstance: root, childLoggerFactory: deferredRequestLogger, logController: new RequestLogController() });
  // Children inherit the spied method: count only the children of the app's own logger.
  const child = { calls: () => spy.mock.contexts.filter((self) => self === app.log).length };
  // Polled routes: their request lines are debug.
  app.get("/healthz", async (request) => ({ level: request.log.level }));
  app.get("/readyz", async (request) => {
    request.log.debug("a line below the level");
    return {};
  });
  app.get("/talks", async (request) => {
    request.log.debug("debug line");
    request.log.info({ part: 1 }, "info line");
    request.log.warn("warn line %s", "formatted");
    request.log.child({ step: "inner" }).error("inner line");
    return {};
  });
  app.get("/verbose", { logLevel: "debug" }, async (request) => {
    request.log.debug("debug line of a debug route");
    return { level: request.log.level };
  });
  await app.ready();
  spy.mockClear();
  return { app, lines, child };
}

describe("request loggers made when they write", () => {
  it("makes no child for a request that writes nothing at its level, and reads the level without one", async () => {
    const { app, lines, child } = await appWithLines("info");
    expect((await app.inject("/healthz")).json()).toEqual({ level: "info" });
    expect((await app.inject("/readyz")).statusCode).toBe(200);
    expect(child.calls()).toBe(0);
    expect(lines).toEqual([]);
    await app.close();
  });

  it("writes what a child made at once writes: the request id on every line, levels kept", async () => {
    const { app, lines, child } = await appWithLines("info");
    await app.inject("/talks");
    await app.inject("/talks");
    // One child per request that wrote, whatever the number of its lines.
    expect(child.calls()).toBe(2);
    const one = ["incoming request", "info line", "warn line formatted", "inner line", "request completed"];
    expect(lines.map((l) => l.msg)).toEqual([...one, ...one]);
    const [first, second] = [lines[0]!.reqId, lines[5]!.reqId];
    expect(first).toEqual(expect.any(String));
    expect(second).not.toBe(first);
    expect(lines.slice(0, 5).every((l) => l.reqId === first && l.name === "codexd")).toBe(true);
    expect(lines.slice(5).every((l) => l.reqId === second)).toBe(true);
    expect(lines[1]).toMatchObject({ part: 1, level: 30 });
    expect(lines[3]).toMatchObject({ step: "inner", level: 50 });
    await app.close();
  });

  it("follows a route's own log level, and writes nothing below the daemon's", async () => {
    const { app, lines } = await appWithLines("info");
    expect((await app.inject("/verbose")).json()).toEqual({ level: "debug" });
    expect(lines.find((l) => l.level === 20)).toMatchObject({ msg: "debug line of a debug route" });
    const silent = await appWithLines("silent");
    await silent.app.inject("/talks");
    expect(silent.lines).toEqual([]);
    await app.close();
    await silent.app.close();
  });
});
