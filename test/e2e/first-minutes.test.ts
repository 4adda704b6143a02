/**
 * What a newcomer meets first, with the built daemon as a real process (the fake app-server as
 * its child): the port-in-use error, the log in both formats with its banner, the quiet polled
 * routes, and `npm start` passing signals on to the daemon.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../helpers/deadline.js";
import { cliPath, fakeAppServerPath, repoRoot } from "../helpers/daemon-process.js";
import { cleanEnv, freePort, killAll, processAlive, spawnTracked, type Spawned } from "../helpers/processes.js";

let dir: string;
const dirs: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "codexd-first-"));
});

afterAll(async () => {
  await killAll();
  for (const d of [dir, ...dirs]) if (d) await rm(d, { recursive: true, force: true });
});

async function stateDir(): Promise<string> {
  const d = await mkdtemp(join(dir, "state-"));
  dirs.push(d);
  return d;
}

function daemonEnv(state: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    CODEXD_STATE_DIR: state,
    CODEXD_CHILD_COMMAND: fakeAppServerPath,
    CODEXD_CHILD_ARGS: "[]",
    FAKE_PIDFILE: join(state, "fake.pid"),
    ...extra,
  });
}

const serve = (env: NodeJS.ProcessEnv, args: string[] = []): Spawned => spawnTracked(process.execPath, [cliPath, "serve", ...args], { cwd: repoRoot, env });

/** The JSON log lines printed so far (anything else is kept out). */
const jsonLines = (text: string) =>
  text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => ({ raw: line, log: JSON.parse(line) as Record<string, unknown> }));

describe("port in use", () => {
  let blocker: Server;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: "127.0.0.1", port }, resolve));
  });
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it("says so and suggests --port, before any Codex child is started", async () => {
    const state = await stateDir();
    const daemon = serve(daemonEnv(state), ["--port", String(port)]);
    const exit = await daemon.waitExit(60_000);
    expect(exit.code, daemon.stderr()).toBe(1);
    expect(daemon.stderr()).toMatch(new RegExp(`port ${port} is in use.*--port`));
    // The fake app-server writes its pid file first thing: there is none, so no child ran.
    expect(existsSync(join(state, "fake.pid"))).toBe(false);
  });
});

describe("the log", () => {
  it("is JSON when stdout is not a terminal: a listening line with the URL, no duplicate keys, polled routes only at debug", async () => {
    const state = await stateDir();
    const port = await freePort();
    const daemon = serve(daemonEnv(state, { CODEXD_PORT: String(port) }));
    const base = `http://127.0.0.1:${port}`;
    const listening = await waitUntil(() => jsonLines(daemon.stdout()).find((l) => l.log.msg === "codexd is listening"), { timeoutMs: 60_000, what: "the listening line" });
    expect(listening.log).toMatchObject({ url: base, docs: `${base}/docs`, stateDir: state, child: fakeAppServerPath });
    expect(listening.log).toHaveProperty("account");
    await waitUntil(() => jsonLines(daemon.stdout()).some((l) => l.log.msg === "child state changed" && l.log.to === "running"), { timeoutMs: 60_000, what: "the child to run" });

    for (const path of ["/healthz", "/readyz", "/metrics", "/v1/status"]) await fetch(`${base}${path}`);
    await fetch(`${base}/v1/events?limit=1`);
    await waitUntil(() => daemon.stdout().includes('"url":"/v1/events?limit=1"') && daemon.stdout().includes("request completed"), { timeoutMs: 30_000, what: "the events request's log lines" });

    const lines = jsonLines(daemon.stdout());
    const urls = lines.map((l) => (l.log.req as { url?: string } | undefined)?.url).filter(Boolean);
    expect(urls).toContain("/v1/events?limit=1");
    // Both lines of a request carry its id.
    const incoming = lines.find((l) => (l.log.req as { url?: string } | undefined)?.url === "/v1/events?limit=1");
    expect(incoming?.log.reqId).toEqual(expect.any(String));
    expect(lines.filter((l) => l.log.msg === "request completed" && l.log.reqId === incoming?.log.reqId)).toHaveLength(1);
    for (const polled of ["/healthz", "/readyz", "/metrics", "/v1/status"]) expect(urls).not.toContain(polled);
    // Every line says `pid` once: the daemon's. A child's pid goes by childPid.
    for (const { raw } of lines) expect(raw.match(/"pid":/g) ?? [], raw).toHaveLength(1);
    const changed = lines.filter((l) => l.log.msg === "child state changed" && l.log.to === "starting");
    expect(changed[0]?.log.childPid).toEqual(expect.any(Number));

    daemon.child.kill("SIGTERM");
    expect((await daemon.waitExit(60_000)).code).toBe(0);
  });

  it("is readable lines with a banner when asked (--log-format pretty), polled routes shown at debug level", async () => {
    const state = await stateDir();
    const port = await freePort();
    const daemon = serve(daemonEnv(state, { CODEXD_PORT: String(port) }), ["--log-format", "pretty", "--log-level", "debug"]);
    const base = `http://127.0.0.1:${port}`;
    await waitUntil(() => daemon.stdout().includes("stop with Ctrl-C"), { timeoutMs: 60_000, what: "the banner" });
    const out = daemon.stdout();
    expect(out).toMatch(/codexd \d+\.\d+\.\d+\S* is listening/);
    expect(out).toContain(`API:           ${base}`);
    expect(out).toContain(`docs:          ${base}/docs`);
    expect(out).toContain(`state dir:     ${state}`);
    expect(out).toContain(`child:         ${fakeAppServerPath}`);
    expect(out).toMatch(/Codex account: +\S/);
    await fetch(`${base}/healthz`);
    await waitUntil(() => /DEBUG.*request completed/.test(daemon.stdout()), { timeoutMs: 30_000, what: "the health request at debug" });
    // Not one JSON line: every log line is a readable one.
    expect(daemon.stdout().split("\n").filter((l) => l.startsWith("{"))).toEqual([]);
    expect(daemon.stdout()).toMatch(/INFO.*daemon started/);

    daemon.child.kill("SIGINT");
    expect((await daemon.waitExit(60_000)).code).toBe(0);
  });

  it("rejects an unknown log format, naming the allowed ones", async () => {
    const daemon = serve(daemonEnv(await stateDir(), { CODEXD_PORT: String(await freePort()) }), ["--log-format", "xml"]);
    expect((await daemon.waitExit(60_000)).code).toBe(1);
    expect(daemon.stderr()).toMatch(/logFormat|log-format|CODEXD_LOG_FORMAT/);
    expect(daemon.stderr()).toContain("pretty");
  });
});

describe("npm start", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("passes %s sent to npm on to the daemon, which stops gracefully", async (signal) => {
    const state = await stateDir();
    const port = await freePort();
    const npm = spawnTracked("npm", ["start", "--", "--port", String(port)], { cwd: repoRoot, env: daemonEnv(state) });
    const listening = await waitUntil(() => jsonLines(npm.stdout()).find((l) => l.log.msg === "codexd is listening"), { timeoutMs: 120_000, what: "the daemon under npm start" });
    const daemonPid = listening.log.pid as number;
    expect(daemonPid).not.toBe(npm.pid);

    npm.child.kill(signal);
    await npm.waitExit(60_000);
    await waitUntil(() => !processAlive(daemonPid), { timeoutMs: 60_000, what: `the daemon (pid ${daemonPid}) to exit` });
    const stopped = jsonLines(npm.stdout()).find((l) => l.log.msg === "daemon stopped");
    expect(stopped?.log.reason).toBe(signal);
  });
});
