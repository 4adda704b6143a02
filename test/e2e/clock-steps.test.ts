/**
 * A step of the wall clock (an operator's `date -s`, NTP correcting a drift, a VM resumed) moves
 * no interval the daemon or its clients measure: the crash-loop breaker's window, the backoff's
 * reset, the child's time to ready, a stop's wait for the child's group, the retry watchdog of
 * turns, the throttle of what the child prints, the spacing of recent-events.json, and the waits
 * of the CLI and the client. Each test steps the clocks of this process (helpers/clock-steps.ts)
 * under real pieces: an in-process daemon with the fake app-server as its child, a real store,
 * real processes.
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createConnection, type Socket } from "node:net";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CodexdEvent } from "../../schemas/events.js";
import type { ProtocolErrorInfo } from "../../src/codex/jsonrpc-connection.js";
import { waitForGroupGone } from "../../src/child/process-group.js";
import { ProtocolErrorThrottle } from "../../src/child/protocol-error-throttle.js";
import { CodexdClient, type RunRecord } from "../../src/client/index.js";
import { waitForRun } from "../../src/cli/wait.js";
import { Progress } from "../../src/cli/progress.js";
import type { ChildState } from "../../schemas/child.js";
import { acquireStateDirLock, LOCK_FILE } from "../../src/state/state-dir-lock.js";
import { StateStore } from "../../src/state/store.js";
import { restoreClocks, stepClocks } from "../helpers/clock-steps.js";
import { waitUntil } from "../helpers/deadline.js";
import { logCapture } from "../helpers/log-capture.js";
import { startInProcessDaemon } from "../helpers/in-process-daemon.js";
import { RunsApi } from "../helpers/runs-api.js";
import { startSessionsDaemon, type SessionsDaemon } from "../helpers/sessions-daemon.js";
import { tempState, type TempState } from "../helpers/temp-config.js";

const HOUR = 3_600_000;
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  // What read the stepped clocks is closed before they are put back.
  try {
    for (const close of closers.splice(0).reverse()) await close().catch((error: unknown) => console.error("closing after the test failed:", error));
  } finally {
    restoreClocks();
  }
});

/** A daemon whose fake child is running, restarted within milliseconds after a crash. */
async function daemonWithChild(settings: Record<string, string>): Promise<SessionsDaemon> {
  const d = await startSessionsDaemon({ settings: { CODEXD_CHILD_BACKOFF_INITIAL_MS: "20", CODEXD_CHILD_BACKOFF_MAX_MS: "50", ...settings } });
  closers.push(d.close);
  return d;
}

/** Kill the running child; resolve with the state once it runs again with a new pid, or is fatal. */
async function crash(d: SessionsDaemon): Promise<ChildState> {
  const pid = d.daemon.child.state.pid!;
  process.kill(pid, "SIGKILL");
  return waitUntil(
    () => {
      const state = d.daemon.child.state;
      return ((state.status === "running" && state.pid !== pid) || state.status === "fatal") && state;
    },
    { what: `the child after pid ${pid} was killed` },
  );
}

async function transitions(d: SessionsDaemon, to: string): Promise<CodexdEvent[]> {
  await d.daemon.store.settled();
  const { events } = await d.daemon.store.queryEvents({ type: "child.state_changed", limit: 1000 });
  return events.filter((e) => e.detail?.to === to);
}

describe("the child supervisor under a step of the wall clock", () => {
  it("the crash-loop breaker counts starts within its window of monotonic time", async () => {
    const d = await daemonWithChild({ CODEXD_CHILD_START_LIMIT_BURST: "2", CODEXD_CHILD_START_LIMIT_WINDOW_MS: "60000" });
    expect(await crash(d)).toMatchObject({ status: "running" });
    // A minute passes while the wall clock is set back an hour: both starts leave the window.
    stepClocks({ wallMs: -HOUR, monotonicMs: 61_000 });
    expect(await crash(d)).toMatchObject({ status: "running" });
    // The breaker still trips: a third start within the minute is one too many.
    expect(await crash(d)).toMatchObject({ status: "running" });
    expect(await crash(d)).toMatchObject({ status: "fatal", fatalReason: "start-limit-hit" });
  });

  it("a wall clock set forward does not reset the backoff of a child that crashes at once", async () => {
    const d = await daemonWithChild({ CODEXD_CHILD_BACKOFF_RESET_AFTER_MS: "60000" });
    await crash(d);
    stepClocks({ wallMs: HOUR });
    await crash(d);
    expect((await transitions(d, "backoff")).map((e) => e.detail?.attempt)).toEqual([1, 2]);
  });

  it("the time to ready is never negative when the wall clock is set back during a start", async () => {
    const d = await daemonWithChild({});
    d.daemon.child.onTransition((state) => {
      if (state.status === "starting") stepClocks({ wallMs: -HOUR });
    });
    await crash(d);
    const readyMs = (await transitions(d, "running")).map((e) => e.detail?.readyMs as number);
    expect(readyMs).toHaveLength(2);
    for (const ms of readyMs) expect(ms >= 0 && ms < HOUR, `readyMs ${ms}`).toBe(true);
  });

  it("a stop's wait for the child's group ends after its timeout though the wall clock went back", async () => {
    const sleeper = spawn("sleep", ["600"], { detached: true, stdio: "ignore" });
    closers.push(async () => void sleeper.kill("SIGKILL"));
    const waiting = waitForGroupGone(sleeper.pid!, 300);
    stepClocks({ wallMs: -HOUR });
    expect(await waiting).toBe(false);
  });

  it("what the child prints is throttled per second of monotonic time", async () => {
    const recorded: { detail?: Record<string, unknown> }[] = [];
    const store = { recordEvent: async (event: { detail?: Record<string, unknown> }) => void recorded.push(event) } as unknown as StateStore;
    const throttle = new ProtocolErrorThrottle(store, pino({ level: "silent" }), 2);
    const line: ProtocolErrorInfo = { kind: "invalid_json", bytes: 5, sample: "hello" };
    for (let i = 0; i < 3; i++) throttle.record(line);
    stepClocks({ wallMs: -HOUR, monotonicMs: 1_500 });
    throttle.record(line);
    expect(recorded.map((e) => e.detail?.suppressedBefore)).toEqual([0, 0, 1]);
  });
});

describe("turns under a step of the wall clock", () => {
  it("a turn that only retries gives up after retryGiveUpMs of monotonic time, whichever way the wall clock moves", async () => {
    const d = await startSessionsDaemon({ settings: { CODEXD_TURN_RETRY_GIVE_UP_MS: "60000" } });
    closers.push(d.close);
    const { sessionId } = await d.api.createSession();
    const { turnId } = await d.api.startTurn(sessionId, "[retry-forever] hello?");
    await d.api.waitEvent({ type: "turn.retrying" }, (e) => e.turnId === turnId);
    const watchdog = d.daemon.turns as unknown as { checkTurns: () => void; giveUp: () => Promise<void> };
    const checks = vi.spyOn(watchdog, "checkTurns");
    const giveUps = vi.spyOn(watchdog, "giveUp");
    // The wall clock set forward an hour: no time passed for the turn.
    stepClocks({ wallMs: HOUR });
    await waitUntil(() => checks.mock.calls.length >= 2, { what: "two rounds of the turn watchdog" });
    expect(giveUps).not.toHaveBeenCalled();
    // A minute passes while the wall clock is an hour behind.
    stepClocks({ wallMs: -HOUR, monotonicMs: 61_000 });
    expect(await d.api.waitTurn(sessionId, turnId)).toMatchObject({ status: "failed", error: { code: "CODEXD_MODEL_UNREACHABLE" } });
    const gaveUp = (await d.api.events({ type: "turn.gave_up" })).filter((e) => e.turnId === turnId);
    expect(gaveUp).toHaveLength(1);
    const quietMs = gaveUp[0]!.detail?.quietMs as number;
    expect(quietMs >= 61_000 && quietMs < HOUR, `quietMs ${quietMs}`).toBe(true);
  });
});

describe("runs under a step of the wall clock", () => {
  it("a run's time limit and its duration count from its start on the monotonic clock", async () => {
    const d = await startSessionsDaemon();
    closers.push(d.close);
    // The wall clock is set forward an hour while the run starts its turn.
    const turns = d.daemon.turns;
    const startTurn = turns.start.bind(turns);
    vi.spyOn(turns, "start").mockImplementation((...args) => (stepClocks({ wallMs: HOUR }), startTurn(...args)));
    const created = await d.api.post<RunRecord>("/v1/runs", { prompt: "[delay:500] [reply:done]", timeoutMs: 600_000 });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const ended = await new RunsApi(d.baseUrl).waitTerminal(created.body.runId);
    expect(ended).toMatchObject({ status: "completed", finalMessage: "done" });
    expect(ended.durationMs! >= 0 && ended.durationMs! < HOUR, `durationMs ${ended.durationMs}`).toBe(true);
  });
});

describe("the HTTP server under a step of the wall clock", () => {
  it("the rate limit's window is a minute of monotonic time", async () => {
    const d = await startInProcessDaemon({ CODEXD_RATE_LIMIT_PER_MINUTE: "2" }, { start: false });
    closers.push(d.close);
    const change = () => d.app.inject({ method: "POST", url: "/v1/runs/no-such-run/cancel" });
    expect([(await change()).statusCode, (await change()).statusCode]).toEqual([404, 404]);
    const refused = await change();
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeLessThanOrEqual(60);
    // A minute passes while the wall clock is set back an hour: a new window.
    stepClocks({ wallMs: -HOUR, monotonicMs: 61_000 });
    expect((await change()).statusCode).toBe(404);
  });

  it("connections refused at the cap are reported again after ten seconds of monotonic time", async () => {
    const { lines, logger } = logCapture();
    const d = await startInProcessDaemon({ CODEXD_MAX_CONNECTIONS: "1" }, { start: false, listen: true, logger });
    closers.push(d.close);
    const { port } = new URL(d.baseUrl);
    const sockets: Socket[] = [];
    closers.push(async () => sockets.forEach((s) => s.destroy()));
    const connect = () =>
      new Promise<Socket>((resolve) => {
        const socket = createConnection({ host: "127.0.0.1", port: Number(port) });
        sockets.push(socket);
        socket.on("error", () => {}).once("connect", () => resolve(socket));
      });
    const refusals = () => lines.filter((l) => l.msg === "connections refused: the connection cap is reached").length;
    await connect(); // holds the one connection allowed
    const refused = await connect();
    await waitUntil(() => refused.closed, { what: "the connection over the cap closed" });
    await waitUntil(() => refusals() === 1, { what: "the first report of refused connections" });
    stepClocks({ wallMs: -HOUR, monotonicMs: 11_000 });
    await connect();
    await waitUntil(() => refusals() === 2, { what: "the report of refused connections ten seconds on" });
  });
});

describe("the store under a step of the wall clock", () => {
  it("recent-events.json is still rewritten after its interval when the wall clock went back", async () => {
    const temp: TempState = await tempState();
    const store = new StateStore(temp.config, { recentEventsWriteIntervalMs: 200 });
    closers.push(async () => {
      await store.close();
      await temp.cleanup();
    });
    await store.initialize();
    const recent = () => readFile(temp.config.paths.recentEventsPath, "utf8").catch(() => "");
    await store.recordEvent({ level: "info", type: "test.first", message: "before the step" });
    await waitUntil(async () => (await recent()).includes("before the step"), { what: "the first event in recent-events.json" });
    stepClocks({ wallMs: -HOUR, monotonicMs: 1_000 });
    await store.recordEvent({ level: "info", type: "test.second", message: "after the step" });
    await waitUntil(async () => (await recent()).includes("after the step"), { what: "the second event in recent-events.json" });
  });
});

describe("the state-dir lock under a step of the wall clock", () => {
  it("a starter watches a foreign lock's heartbeat for one stale window, though the wall clock went back meanwhile", async () => {
    const temp = await tempState();
    closers.push(temp.cleanup);
    const dir = temp.config.paths.stateDir;
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 7, startTicks: 1, host: "elsewhere", bootId: null, pidNamespace: null, acquiredAt: "2026-01-01T00:00:00.000Z" }));
    const acquiring = acquireStateDirLock(dir, { staleAfterMs: 2_000 });
    // The step lands within the starter's two seconds of watching: on the wall clock they would last an hour.
    const step = setTimeout(() => stepClocks({ wallMs: -HOUR }), 300);
    closers.push(async () => clearTimeout(step));
    const lock = await acquiring;
    closers.push(() => lock.release());
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8"))).toMatchObject({ pid: process.pid });
  });
});

describe("waits of the CLI and the client under a step of the wall clock", () => {
  const running = { runId: "run-1", status: "running" } as RunRecord;
  const completed = { runId: "run-1", status: "completed" } as RunRecord;
  /** How long each read of the run was asked to wait: whole milliseconds, as the API takes them. */
  let waits: (number | undefined)[] = [];
  /** The run's answers: still running (and the wall clock set forward an hour meanwhile), then completed. */
  const answers = () => {
    const left = [running, completed];
    waits = [];
    return async (_runId: string, waitMs?: number) => {
      waits.push(waitMs);
      if (left.length === 2) stepClocks({ wallMs: HOUR });
      return left.shift()!;
    };
  };

  it("`runs wait --timeout-ms` does not end early when the wall clock is set forward, and asks in whole milliseconds", async () => {
    const client = { runs: { get: answers() } };
    const progress = { update: () => {} } as unknown as Progress;
    expect(await waitForRun(client as unknown as CodexdClient, "run-1", progress, 1_900)).toEqual({ record: completed, timedOut: false });
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBe(0);
    expect(Number.isInteger(waits[1]) && waits[1]! > 0 && waits[1]! <= 1_900, `waitMs ${waits[1]}`).toBe(true);
  });

  it("the client's runs.wait does not end early when the wall clock is set forward, and asks in whole milliseconds", async () => {
    const client = new CodexdClient({ baseUrl: "http://127.0.0.1:9" });
    client.runs.get = answers();
    expect(await client.runs.wait("run-1", 30_000)).toEqual(completed);
    expect(waits).toHaveLength(2);
    for (const ms of waits) expect(Number.isInteger(ms) && ms! > 0 && ms! <= 30_000, `waitMs ${ms}`).toBe(true);
  });

  it("the time waited that the CLI shows does not go back with the wall clock", async () => {
    const lines: string[] = [];
    const progress = new Progress({ write: (line: string) => lines.push(line) }, "run run-1", { intervalMs: 10 });
    closers.push(async () => progress.stop());
    progress.update("running");
    stepClocks({ wallMs: -HOUR });
    const first = lines.length;
    await waitUntil(() => lines.length > first, { what: "a progress line after the step" });
    expect(lines.at(-1)).toMatch(/^run run-1: running \(\d+ms\)\n$/);
  });
});
