/**
 * The event stream as clients that codexd's authors did not write see it: the `eventsource`
 * npm package and Chromium's own EventSource (Debian's chromium, driven by playwright-core).
 * Each is cut at every point that matters, through a proxy the test controls: before the first
 * event, mid-stream, across a daemon restart, and across a rotation of the event log. In every
 * case the events it received are exactly those recorded after its first cursor: none lost,
 * none repeated. The clients keep only what the standard gives them (the `id:` of the last
 * message, sent back as Last-Event-ID), so this is what any browser or library gets.
 */
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { basename, dirname } from "node:path";
import pino from "pino";
import { EventSource } from "eventsource";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../../src/app.js";
import { Daemon } from "../../src/daemon.js";
import type { EventInput } from "../../src/state/store.js";
import { waitUntil } from "../helpers/deadline.js";
import { CutProxy } from "../helpers/cut-proxy.js";
import { fakeChildEnv } from "../helpers/in-process-daemon.js";
import { cleanEnv } from "../helpers/processes.js";
import { tempState, type TempState } from "../helpers/temp-config.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Only the test's own events are streamed, so the standard clients need one listener. */
const TYPE = "test.tick";

/** A daemon on a state dir that outlives it: stop it and start another on the same state. */
class RestartableDaemon {
  daemon!: Daemon;
  app!: App;
  port = 0;
  private constructor(readonly temp: TempState) {}

  static async start(env: Record<string, string> = {}): Promise<RestartableDaemon> {
    const d = new RestartableDaemon(await tempState({ ...fakeChildEnv(), ...env }));
    await d.boot();
    return d;
  }

  async boot(): Promise<void> {
    const logger = pino({ level: "silent" });
    this.daemon = new Daemon(this.temp.config, logger, { childEnv: cleanEnv() });
    await this.daemon.start();
    this.app = await buildApp(this.daemon, { logger });
    await this.app.listen({ host: "127.0.0.1", port: 0 });
    this.port = (this.app.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    await this.app.close();
    await this.daemon.stop("test restart");
  }

  async record(n: number, pad = 0): Promise<number[]> {
    const seqs: number[] = [];
    for (let i = 0; i < n; i++) {
      const input: EventInput = { level: "info", type: TYPE, message: `tick ${i}`, detail: { i, pad: "x".repeat(pad) } };
      seqs.push((await this.daemon.store.recordEvent(input)).seq);
    }
    return seqs;
  }

  /** Seqs of the test's events with seq > after, as the store holds them. */
  async recorded(after: number): Promise<number[]> {
    const page = await this.daemon.store.queryEvents({ after, limit: 1000, type: TYPE });
    return page.events.map((e) => e.seq);
  }

  async close(): Promise<void> {
    await this.stop().catch(() => {});
    await this.temp.cleanup();
  }
}

/** What a standard client kept: the seqs of the events it was given, and the ready ids. */
interface StandardClient {
  readonly name: string;
  got(): Promise<number[]>;
  readies(): Promise<string[]>;
  close(): Promise<void>;
}

function nodeEventSource(url: string): StandardClient {
  const got: number[] = [];
  const readies: string[] = [];
  const source = new EventSource(url);
  source.addEventListener("ready", (e) => readies.push(e.lastEventId));
  source.addEventListener(TYPE, (e) => got.push((JSON.parse(e.data) as { seq: number }).seq));
  return {
    name: "eventsource",
    got: async () => [...got],
    readies: async () => [...readies],
    close: async () => source.close(),
  };
}

let browser: Browser | undefined;

async function chromiumEventSource(base: string, path: string): Promise<StandardClient> {
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  const page: Page = await browser.newPage();
  // Same origin as the stream, as a page served by the daemon would be.
  await page.goto(`${base}/healthz`);
  // Runs in the page: only the browser's own globals (no import of this file reaches it).
  await page.evaluate(
    ({ path, type }) => {
      const w = globalThis as unknown as Record<string, any>;
      w.got = [];
      w.readies = [];
      w.source = new w.EventSource(path);
      w.source.addEventListener("ready", (e: { lastEventId: string }) => w.readies.push(e.lastEventId));
      w.source.addEventListener(type, (e: { data: string }) => w.got.push((JSON.parse(e.data) as { seq: number }).seq));
    },
    { path, type: TYPE },
  );
  return {
    name: "chromium",
    got: () => page.evaluate(() => [...(globalThis as unknown as { got: number[] }).got]),
    readies: () => page.evaluate(() => [...(globalThis as unknown as { readies: string[] }).readies]),
    close: async () => {
      await page.evaluate(() => (globalThis as unknown as { source: { close(): void } }).source.close()).catch(() => {});
      await page.close();
    },
  };
}

const open: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});
afterAll(async () => {
  await browser?.close();
});
beforeAll(() => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is needed at ${CHROMIUM} (Debian's chromium package; scripts/ensure-chromium.sh installs it)`);
});

interface Setup {
  d: RestartableDaemon;
  proxy: CutProxy;
  client: StandardClient;
  /** The cursor the stream started from (its first ready id). */
  start: number;
}

async function connect(kind: "eventsource" | "chromium", env: Record<string, string> = {}): Promise<Setup> {
  const d = await RestartableDaemon.start(env);
  open.push(d);
  const proxy = await CutProxy.start(d.port);
  open.push(proxy);
  const path = `/v1/events/stream?type=${TYPE}`;
  const client = kind === "eventsource" ? nodeEventSource(`${proxy.baseUrl}${path}`) : await chromiumEventSource(proxy.baseUrl, path);
  open.push(client);
  const [first] = await waitUntil(async () => { const r = await client.readies(); return r.length > 0 && r; }, { what: `${kind}: the ready event` });
  return { d, proxy, client, start: Number(first) };
}

/** Cut the connection, let `meanwhile` happen while the client cannot get through, then let it in. */
async function cutAndHold(s: Setup, meanwhile: () => Promise<void>): Promise<void> {
  s.proxy.hold();
  s.proxy.cut();
  await meanwhile();
  s.proxy.targetPort = s.d.port;
  // The client is back at the door (its reconnect is held), then let through.
  await waitUntil(() => s.proxy.heldCount > 0, { timeoutMs: 20_000, what: `${s.client.name} to reconnect` });
  s.proxy.release();
}

/** The client ends up with exactly the test's events after its first cursor: no gap, no repeat. */
async function expectExactly(s: Setup): Promise<void> {
  const expected = await s.d.recorded(s.start);
  expect(expected.length).toBeGreaterThan(0);
  await waitUntil(async () => (await s.client.got()).length >= expected.length, {
    timeoutMs: 20_000,
    what: `${s.client.name} to receive ${expected.length} events`,
  }).catch(() => undefined);
  expect(await s.client.got(), `${s.client.name} received`).toEqual(expected);
}

describe.each(["eventsource", "chromium"] as const)("a standard EventSource (%s), cut at every point", (kind) => {
  it("before the first event: the reconnect resumes from the ready id", async () => {
    const s = await connect(kind);
    await cutAndHold(s, async () => void (await s.d.record(3)));
    await expectExactly(s);
  });

  it("mid-stream", async () => {
    const s = await connect(kind);
    const before = await s.d.record(3);
    await waitUntil(async () => (await s.client.got()).length === before.length, { what: "the first events" });
    await cutAndHold(s, async () => void (await s.d.record(3)));
    await s.d.record(2);
    await expectExactly(s);
  });

  it("across a daemon restart", async () => {
    const s = await connect(kind);
    const before = await s.d.record(2);
    await waitUntil(async () => (await s.client.got()).length === before.length, { what: "the first events" });
    await cutAndHold(s, async () => {
      await s.d.stop();
      await s.d.boot();
      await s.d.record(3);
    });
    await expectExactly(s);
  });

  it("across a rotation of the event log", async () => {
    const s = await connect(kind, { CODEXD_EVENT_LOG_MAX_BYTES: "4096", CODEXD_EVENT_LOG_KEEP_FILES: "4", CODEXD_EVENT_CACHE_SIZE: "10" });
    const before = await s.d.record(2);
    await waitUntil(async () => (await s.client.got()).length === before.length, { what: "the first events" });
    await cutAndHold(s, async () => {
      await s.d.record(40, 100);
      // The log rotated while the client was away, and its cursor is still kept (else 410).
      const logPath = s.d.temp.config.paths.structuredEventLogPath;
      const files = await readdir(dirname(logPath));
      expect(files).toContain(`${basename(logPath)}.1`);
      expect(s.d.daemon.store.oldestEventSeq!).toBeLessThanOrEqual(before.at(-1)! + 1);
    });
    await expectExactly(s);
  });
});
