/**
 * The child supervisor end to end, with real processes: the built daemon (`codexd serve`) runs
 * test/fixtures/fake-app-server.mjs as its child, and the tests drive it through the REST API
 * and check the processes themselves through /proc.
 *
 * Needs `npm run build` (the `pretest` script does it).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  cpuTimeMs,
  createWorkspace,
  delay,
  fakeAppServerPath,
  isAlive,
  liveGroupMembers,
  procStat,
  type DaemonProcess,
  type Workspace,
} from "../helpers/daemon-process.js";
import { waitUntil } from "../helpers/deadline.js";

/** Short stop steps and restarts, so escalation and recovery take milliseconds, not seconds. */
const FAST: Record<string, string> = {
  CODEXD_CHILD_STOP_EOF_TIMEOUT_MS: "300",
  CODEXD_CHILD_STOP_TERM_TIMEOUT_MS: "300",
  CODEXD_CHILD_STOP_KILL_TIMEOUT_MS: "1000",
  CODEXD_CHILD_BACKOFF_INITIAL_MS: "50",
  CODEXD_CHILD_BACKOFF_MAX_MS: "200",
  CODEXD_CHILD_READY_TIMEOUT_MS: "5000",
};

type Transition = { from: string; to: string; cause: string; seq: number; [k: string]: any };

const triple = (t: Transition) => [t.from, t.to, t.cause];

function readPid(file: string): number | false {
  if (!existsSync(file)) return false;
  const pid = Number(readFileSync(file, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : false;
}

/** Wait until the transitions satisfy `pick`, which returns what the test needs from them. */
function waitForTransitions<T>(d: DaemonProcess, what: string, pick: (t: Transition[]) => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  return waitUntil(async () => pick((await d.transitions()) as Transition[]), { what, timeoutMs, intervalMs: 50 });
}

describe.sequential("child supervisor (real daemon, real child processes)", () => {
  let ws: Workspace;

  beforeEach(async (ctx) => {
    ws = await createWorkspace();
    ctx.onTestFailed(() => {
      for (const d of ws.daemons) {
        console.error(`--- daemon ${d.pid} (port ${d.port}) output, last 6000 chars ---\n${d.output().slice(-6000)}`);
      }
    });
  });

  afterEach(async () => {
    await ws.cleanup();
  });

  it("starts the child and reports it ready with the handshake's protocol info", async () => {
    const d = await ws.start(FAST);
    await d.waitForChild("ready");
    const state = await d.child();

    expect(state.status).toBe("running");
    // A fresh state dir may leave these unset; unset means "running" and 0.
    expect(state.desired ?? "running").toBe("running");
    expect(state.restartCount ?? 0).toBe(0);
    expect(state.pid).toBeGreaterThan(1);
    expect(state.pgid).toBe(state.pid);
    expect(Number.isNaN(Date.parse(state.readyAt))).toBe(false);
    expect(Date.parse(state.readyAt)).toBeGreaterThanOrEqual(Date.parse(state.startedAt));
    expect(state.protocol.userAgent).toMatch(/^fake-app-server\//);

    // A real process, child of the daemon, leading its own process group.
    const stat = procStat(state.pid);
    expect(stat).toMatchObject({ ppid: d.pid, pgrp: state.pid });
    expect(isAlive(state.pid)).toBe(true);

    const ready = await d.get("/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: "ready", checks: { store: true, child: true } });

    const transitions = (await d.transitions()) as Transition[];
    expect(transitions.map(triple)).toEqual([
      ["idle", "starting", "daemon"],
      ["starting", "running", "ready"],
    ]);
    expect(transitions[0]!.pid).toBe(state.pid);
  });

  // The step expected to end the child gets a long timeout, so a slow machine cannot make it
  // escalate one step too far; the steps that must time out get 300 ms.
  describe.each([
    { faults: "", step: "eof", eofMs: 10_000, termMs: 10_000, exitCode: 0, signal: null, minMs: 0 },
    { faults: "ignore-eof", step: "sigterm", eofMs: 300, termMs: 10_000, exitCode: null, signal: "SIGTERM", minMs: 280 },
    { faults: "ignore-sigterm", step: "sigkill", eofMs: 300, termMs: 300, exitCode: null, signal: "SIGKILL", minMs: 580 },
  ])("stop ended by $step", ({ faults, step, eofMs, termMs, exitCode, signal, minMs }) => {
    it(`records stopStep "${step}" and leaves no process of the group alive`, async () => {
      const gcFile = join(ws.dir, "grandchild.pid");
      const d = await ws.start({
        ...FAST,
        CODEXD_CHILD_STOP_EOF_TIMEOUT_MS: String(eofMs),
        CODEXD_CHILD_STOP_TERM_TIMEOUT_MS: String(termMs),
        // A grandchild in the group: stopping must end the whole group, not just the leader.
        FAKE_APP_SERVER_FAULTS: ["grandchild", faults].filter(Boolean).join(","),
        FAKE_GRANDCHILD_PIDFILE: gcFile,
      });
      const running = await d.waitForChild("ready");
      const grandchild = await waitUntil(() => readPid(gcFile), { what: "grandchild pid file" });
      expect(procStat(grandchild)?.pgrp).toBe(running.pgid);
      expect(liveGroupMembers(running.pgid).sort()).toEqual([running.pid, grandchild].sort());

      const t0 = performance.now();
      const res = await d.post("/v1/child/stop");
      const elapsed = performance.now() - t0;

      // Checked at once after the call returned: nothing of the group may be left.
      expect(liveGroupMembers(running.pgid)).toEqual([]);
      expect(isAlive(running.pid)).toBe(false);
      expect(isAlive(grandchild)).toBe(false);

      expect(res.status).toBe(200);
      expect(res.body.changed).toBe(true);
      expect(res.body.state).toMatchObject({ status: "stopped", desired: "stopped", pid: null, pgid: null });
      expect(res.body.state.lastExit).toMatchObject({ cause: "operator", stopStep: step, exitCode, signal });
      expect(elapsed).toBeGreaterThanOrEqual(minMs);

      const state = await d.child();
      expect(state.status).toBe("stopped");
      expect(state.lastExit.stopStep).toBe(step);

      const transitions = (await d.transitions()) as Transition[];
      expect(transitions.slice(-2).map(triple)).toEqual([
        ["running", "stopping", "operator"],
        ["stopping", "stopped", "operator"],
      ]);
      expect(transitions.at(-1)!.stopStep).toBe(step);

      const ready = await d.get("/readyz");
      expect(ready.status).toBe(503);
    });
  });

  it("restarts a child killed with SIGKILL after a visible backoff", async () => {
    const d = await ws.start({ ...FAST, CODEXD_CHILD_BACKOFF_INITIAL_MS: "400", CODEXD_CHILD_BACKOFF_MAX_MS: "400" });
    const first = await d.waitForChild("ready");

    process.kill(first.pid, "SIGKILL");

    // The delay is 200-400 ms, so the backoff state is there to be seen.
    const backoff = await d.waitForChild("backoff", 5_000);
    expect(backoff).toMatchObject({ status: "backoff", pid: null, restartCount: 1, signal: "SIGKILL" });
    expect(backoff.lastExit).toMatchObject({ cause: "crash", signal: "SIGKILL", exitCode: null, stopStep: null });
    expect(typeof backoff.nextRestartAt).toBe("string");
    const nextRestartAt = Date.parse(backoff.nextRestartAt);
    expect(nextRestartAt).toBeGreaterThan(Date.parse(backoff.exitedAt));
    expect(liveGroupMembers(first.pgid)).toEqual([]);
    expect((await d.get("/readyz")).status).toBe(503);

    await d.waitForChild("ready", 5_000);
    const again = await d.child();
    expect(again).toMatchObject({ status: "running", restartCount: 1, nextRestartAt: null });
    expect(again.pid).not.toBe(first.pid);
    expect(isAlive(again.pid)).toBe(true);
    // It was not restarted before the announced time (ms rounding of the ISO times aside).
    expect(Date.parse(again.startedAt)).toBeGreaterThanOrEqual(nextRestartAt - 2);

    const transitions = (await d.transitions()) as Transition[];
    expect(transitions.map(triple)).toEqual([
      ["idle", "starting", "daemon"],
      ["starting", "running", "ready"],
      ["running", "exited", "crash"],
      ["exited", "backoff", "crash"],
      ["backoff", "starting", "backoff"],
      ["starting", "running", "ready"],
    ]);
    expect(transitions[2]!.signal).toBe("SIGKILL");
    expect(transitions[4]!.pid).toBe(again.pid);
  });

  it("trips the start-limit breaker on a crash loop, stays idle while fatal, and start clears it", async () => {
    const spawnLog = join(ws.dir, "spawns.log");
    const d = await ws.start({
      ...FAST,
      FAKE_APP_SERVER_FAULTS: "exit-at-start",
      CODEXD_CHILD_START_LIMIT_BURST: "3",
      CODEXD_CHILD_BACKOFF_INITIAL_MS: "50",
      CODEXD_CHILD_BACKOFF_MAX_MS: "200",
      // Count real exec()s independently of the daemon's own bookkeeping.
      CODEXD_CHILD_COMMAND: "/bin/sh",
      CODEXD_CHILD_ARGS: JSON.stringify(["-c", `echo $$ >> '${spawnLog}'; exec "$0" "$1"`, process.execPath, fakeAppServerPath]),
    });

    const fatal = await d.waitForChild("fatal", 10_000);
    expect(fatal).toMatchObject({ status: "fatal", fatalReason: "start-limit-hit", pid: null, nextRestartAt: null });
    expect(fatal.lastExit).toMatchObject({ exitCode: 1 });

    const transitions = (await d.transitions()) as Transition[];
    const starts = transitions.filter((t) => t.to === "starting");
    expect(starts).toHaveLength(3);
    expect(new Set(starts.map((t) => t.pid)).size).toBe(3);
    expect(readFileSync(spawnLog, "utf8").trim().split("\n")).toHaveLength(3);
    expect(triple(transitions.at(-1)!)).toEqual(["backoff", "fatal", "start-limit"]);
    // Exponential backoff with equal jitter: attempt n waits between half and all of 50 * 2^(n-1).
    const backoffs = transitions.filter((t) => t.to === "backoff");
    expect(backoffs.map((t) => t.attempt)).toEqual([1, 2, 3]);
    backoffs.forEach((t, i) => {
      const nominal = Math.min(200, 50 * 2 ** i);
      expect(t.delayMs).toBeGreaterThanOrEqual(nominal / 2);
      expect(t.delayMs).toBeLessThanOrEqual(nominal);
    });

    // While fatal the daemon must be idle: no timers spinning, no respawns.
    const cpuBefore = cpuTimeMs(d.pid);
    await delay(1_000);
    const cpuUsed = cpuTimeMs(d.pid) - cpuBefore;
    expect(cpuUsed, `daemon used ${cpuUsed} ms of CPU in 1 s while fatal`).toBeLessThan(100);
    expect((await d.child()).status).toBe("fatal");
    expect(((await d.transitions()) as Transition[]).filter((t) => t.to === "starting")).toHaveLength(3);
    expect(readFileSync(spawnLog, "utf8").trim().split("\n")).toHaveLength(3);
    expect(d.proc.exitCode).toBeNull();

    const res = await d.post("/v1/child/start");
    expect(res.status).toBe(200);
    expect(res.body.changed).toBe(true);
    expect(res.body.state).toMatchObject({ status: "starting", fatalReason: null, desired: "running" });
    const after = (await d.transitions()) as Transition[];
    expect(triple(after[transitions.length]!)).toEqual(["fatal", "starting", "operator"]);
  });

  it("restarts a child that stops answering liveness probes", async () => {
    const d = await ws.start({
      ...FAST,
      FAKE_APP_SERVER_FAULTS: "hang-after-init",
      CODEXD_CHILD_LIVENESS_INTERVAL_MS: "100",
      CODEXD_CHILD_LIVENESS_TIMEOUT_MS: "100",
      CODEXD_CHILD_LIVENESS_FAILURES: "2",
    });
    const first = await d.waitForChild("ready");

    // The restarted fake hangs too and loops; only the first restart matters.
    const { exited, restarted } = await waitForTransitions(d, "a restart after a liveness failure", (t) => {
      const e = t.findIndex((x) => x.to === "exited");
      const s = t.findIndex((x, i) => i > e && x.to === "starting");
      const r = t.findIndex((x, i) => i > s && x.to === "running");
      return e >= 0 && s > e && r > s && { exited: t[e]!, restarted: t[s]! };
    });
    expect(triple(exited)).toEqual(["running", "exited", "liveness"]);
    expect(exited.signal).toBe("SIGTERM");
    expect(restarted.cause).toBe("backoff");
    expect(restarted.pid).not.toBe(first.pid);
    expect(liveGroupMembers(first.pgid)).toEqual([]);

    const failures = await d.events("child.liveness_failed");
    const beforeRestart = failures.filter((f) => f.seq < exited.seq);
    expect(beforeRestart.map((f) => f.detail!.consecutive)).toEqual([1, 2]);
    expect(beforeRestart.every((f) => f.level === "warn")).toBe(true);
  });

  it("treats stdout closed by a live child as dead: kills and restarts it", async () => {
    const d = await ws.start({ ...FAST, FAKE_APP_SERVER_FAULTS: "close-stdout" });
    const { first, exited, restarted } = await waitForTransitions(d, "a restart after stdout closed", (t) => {
      const e = t.findIndex((x) => x.to === "exited");
      const s = t.findIndex((x, i) => i > e && x.to === "starting");
      return e >= 0 && s > e && { first: t[0]!, exited: t[e]!, restarted: t[s]! };
    });
    expect(triple(exited)).toEqual(["running", "exited", "stdout-closed"]);
    // It stayed alive after closing stdout (EOF ignored), so it had to be killed.
    expect(exited.signal).toBe("SIGTERM");
    expect(restarted.cause).toBe("backoff");
    expect(restarted.pid).not.toBe(first.pid);
    expect(isAlive(first.pid)).toBe(false);
    expect(liveGroupMembers(first.pid)).toEqual([]);
  });

  it("records garbage on stdout as protocol errors and still runs the child", async () => {
    // The garbage (2 MiB of it) comes before the answer to initialize: on a loaded machine reading
    // it can take longer than FAST's ready timeout, and this test is not about that timeout.
    const d = await ws.start({ ...FAST, CODEXD_CHILD_READY_TIMEOUT_MS: "60000", FAKE_APP_SERVER_FAULTS: "garbage" });
    const state = await d.waitForChild("ready");

    // Junk lines: plain text, truncated JSON, an array, a number, invalid UTF-8, a 2 MiB line.
    // They are recorded as they are read; the 2 MiB line comes last.
    const isLong = (e: { detail: Record<string, any> | null }) => (e.detail!.bytes as number) >= 2 * 1024 * 1024;
    const errors = await waitUntil(
      async () => {
        const events = await d.events("child.protocol_error");
        return events.some(isLong) && events;
      },
      { what: "protocol error events up to the long line" },
    );
    expect(errors.map((e) => e.detail!.kind)).toEqual(["invalid_json", "invalid_json", "not_an_object", "not_an_object", "invalid_message", "invalid_json"]);
    expect(errors.every((e) => e.level === "warn")).toBe(true);
    expect(errors[0]!.detail!.sample).toBe("this is not json");
    expect(errors[2]!.detail!.sample).toBe("[1,2,3]");
    // A sample, not the whole 2 MiB line, goes into the event.
    expect(String(errors.find(isLong)!.detail!.sample).length).toBeLessThanOrEqual(400);

    expect((await d.get("/healthz")).status).toBe(200);
    expect((await d.get("/readyz")).status).toBe(200);
    expect(d.proc.exitCode).toBeNull();
    const now = await d.child();
    expect(now).toMatchObject({ status: "running", pid: state.pid });
    expect(now.restartCount ?? 0).toBe(0);
    expect(((await d.transitions()) as Transition[]).map(triple)).toEqual([
      ["idle", "starting", "daemon"],
      ["starting", "running", "ready"],
    ]);
    const stdout = await d.get("/v1/child/logs?stream=stdout&tail=50");
    expect(stdout.status).toBe(200);
    expect(stdout.body.lines.some((l: string) => l.includes("this is not json"))).toBe(true);
  });

  describe.each([
    // ignore-eof: the child outlives its daemon (its stdin closes when the daemon dies).
    { faults: "grandchild,ignore-eof", leader: "alive" },
    // Without it the child exits on that EOF and only the grandchild holds the group.
    { faults: "grandchild", leader: "gone" },
  ])("orphans of a kill -9'd daemon (group leader $leader)", ({ faults, leader }) => {
    it("a new daemon kills the whole old group before it spawns a new child", async () => {
      const gcFile = join(ws.dir, "grandchild.pid");
      const env = { ...FAST, FAKE_APP_SERVER_FAULTS: faults, FAKE_GRANDCHILD_PIDFILE: gcFile };
      const a = await ws.start(env);
      const first = await a.waitForChild("ready");
      const grandchild = await waitUntil(() => readPid(gcFile), { what: "grandchild pid file" });
      expect(procStat(grandchild)?.pgrp).toBe(first.pgid);

      a.kill("SIGKILL");
      expect(await a.exited).toEqual({ code: null, signal: "SIGKILL" });
      if (leader === "alive") expect(isAlive(first.pid)).toBe(true);
      else await waitUntil(() => !isAlive(first.pid), { what: "the old child to exit on stdin EOF" });
      expect(isAlive(grandchild)).toBe(true);
      rmSync(gcFile);

      const b = await ws.start(env);
      // /healthz answers only after recovery, which kills orphans before it spawns.
      expect(isAlive(first.pid)).toBe(false);
      expect(isAlive(grandchild)).toBe(false);
      expect(liveGroupMembers(first.pgid)).toEqual([]);

      const second = await b.waitForChild("ready");
      expect(second.pid).not.toBe(first.pid);
      expect(isAlive(second.pid)).toBe(true);

      const orphans = await b.events("child.orphan_killed");
      expect(orphans).toHaveLength(1);
      const orphan = orphans[0]!;
      expect(orphan.detail).toMatchObject({ pgid: first.pgid, pid: first.pid, gone: true });
      const expected = leader === "alive" ? [first.pid, grandchild] : [grandchild];
      expect([...(orphan.detail!.members as number[])].sort()).toEqual(expected.sort());
      const spawned = ((await b.transitions()) as Transition[]).find((t) => t.to === "starting" && t.pid === second.pid);
      expect(spawned).toBeDefined();
      expect(spawned!.seq).toBeGreaterThan(orphan.seq);
    });
  });

  it("keeps an operator stop across a daemon restart", async () => {
    const pidFile = join(ws.dir, "child.pid");
    const env = { ...FAST, FAKE_PIDFILE: pidFile };
    const a = await ws.start(env);
    const first = await a.waitForChild("ready");

    const stop = await a.post("/v1/child/stop");
    expect(stop.status).toBe(200);
    expect(stop.body.state).toMatchObject({ status: "stopped", desired: "stopped" });
    expect(liveGroupMembers(first.pgid)).toEqual([]);

    a.kill("SIGTERM");
    expect(await a.exited).toEqual({ code: 0, signal: null });
    rmSync(pidFile);

    const b = await ws.start(env);
    const state = await b.child();
    expect(state).toMatchObject({ status: "stopped", desired: "stopped", pid: null });
    // Recovery is over once /healthz answers: no child was spawned.
    expect(existsSync(pidFile)).toBe(false);

    const ready = await b.get("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.contentType).toContain("application/problem+json");
    expect(ready.body).toMatchObject({ status: 503, code: "CODEXD_NOT_READY", checks: { child: false } });
    expect(ready.body.detail).toContain("child");
    expect(ready.body.reasons).toContain("child is stopped");

    const start = await b.post("/v1/child/start?wait=true&timeoutMs=10000");
    expect(start.status).toBe(200);
    expect(start.body).toMatchObject({ changed: true, outcome: "ready", state: { status: "running", desired: "running" } });
    expect(readPid(pidFile)).toBe(start.body.state.pid);
    expect((await b.get("/readyz")).status).toBe(200);
  });

  it("answers verbs idempotently and rejects conflicts and bad input", async () => {
    const d = await ws.start(FAST);
    const first = await d.waitForChild("ready");

    let res = await d.post("/v1/child/start");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ changed: false, outcome: "not-waited", state: { status: "running", pid: first.pid } });

    res = await d.post("/v1/child/start?wait=true");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ changed: false, outcome: "ready", state: { status: "running", pid: first.pid } });

    // A signal reaches the real process: SIGSTOP shows in /proc as "T", SIGCONT resumes it.
    res = await d.post("/v1/child/signal", { signal: "SIGSTOP" });
    expect(res.status).toBe(200);
    await waitUntil(() => procStat(first.pid)?.state === "T", { what: "child stopped by SIGSTOP" });
    res = await d.post("/v1/child/signal", { signal: "SIGCONT" });
    expect(res.status).toBe(200);
    await waitUntil(() => procStat(first.pid)?.state !== "T", { what: "child resumed by SIGCONT" });

    res = await d.post("/v1/child/stop");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ changed: true, state: { status: "stopped" } });

    res = await d.post("/v1/child/stop");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ changed: false, state: { status: "stopped", desired: "stopped" } });

    res = await d.post("/v1/child/signal", { signal: "SIGTERM" });
    expect(res.status).toBe(409);
    expect(res.contentType).toContain("application/problem+json");
    expect(res.body).toMatchObject({ status: 409, code: "CODEXD_CHILD_NOT_RUNNING", currentState: "stopped" });

    res = await d.post("/v1/child/signal", { signal: "SIGBOGUS" });
    expect(res.status).toBe(400);
    expect(res.contentType).toContain("application/problem+json");
    expect(res.body.code).toBe("CODEXD_VALIDATION_FAILED");

    res = await d.post("/v1/child/wait?condition=sideways&timeoutMs=100");
    expect(res.status).toBe(400);
    expect(res.contentType).toContain("application/problem+json");
    expect(res.body.code).toBe("CODEXD_VALIDATION_FAILED");

    res = await d.post("/v1/child/start?wait=true&timeoutMs=10000");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ changed: true, outcome: "ready", state: { status: "running", desired: "running" } });
    expect(res.body.state.pid).not.toBe(first.pid);
    expect(isAlive(res.body.state.pid)).toBe(true);
  });

  describe.each([
    { name: "a missing command", command: () => "/nonexistent/codex", message: "command not found" },
    {
      name: "a command that is not executable",
      command: (dir: string) => {
        const file = join(dir, "codex-not-executable");
        writeFileSync(file, "#!/bin/sh\nexit 0\n", { mode: 0o644 });
        return file;
      },
      message: "not executable",
    },
  ])("spawn failure: $name", ({ command, message }) => {
    it("goes fatal with spawn-failed, does not retry, and the daemon keeps serving", async () => {
      const cmd = command(ws.dir);
      const d = await ws.start({ ...FAST, CODEXD_CHILD_COMMAND: cmd, CODEXD_CHILD_ARGS: "[]" });
      const state = await d.waitForChild("fatal", 5_000);
      expect(state).toMatchObject({ status: "fatal", fatalReason: "spawn-failed", pid: null });
      expect(state.lastError).toContain(message);
      expect(state.lastError).toContain(cmd);
      expect(((await d.transitions()) as Transition[]).map(triple)).toEqual([["idle", "fatal", "spawn-failed"]]);

      expect((await d.get("/healthz")).status).toBe(200);
      const ready = await d.get("/readyz");
      expect(ready.status).toBe(503);
      expect(ready.body.reasons).toContain("child is fatal");
      expect((await d.get("/v1/status")).status).toBe(200);

      // An explicit start tries again and fails the same way; the daemon is still fine.
      const start = await d.post("/v1/child/start?wait=true&timeoutMs=5000");
      expect(start.status).toBe(200);
      expect(start.body).toMatchObject({ outcome: "failed", state: { status: "fatal", fatalReason: "spawn-failed" } });
      expect(d.proc.exitCode).toBeNull();
      expect((await d.get("/healthz")).status).toBe(200);
    });
  });

  it("serves the tail of the child's stderr", async () => {
    // Frequent liveness probes: the fake logs one stderr line per request.
    const d = await ws.start({ ...FAST, CODEXD_CHILD_LIVENESS_INTERVAL_MS: "50" });
    const state = await d.waitForChild("ready");
    await waitUntil(
      async () => {
        const res = await d.get("/v1/child/logs?stream=stderr&tail=200");
        return res.body.lines.filter((l: string) => l.includes("thread/loaded/list")).length >= 6;
      },
      { what: "several logged probes" },
    );

    // Stopping freezes the log; the fake's last words are its EOF exit.
    expect((await d.post("/v1/child/stop")).status).toBe(200);
    const all = await waitUntil(
      async () => {
        const res = await d.get("/v1/child/logs?stream=stderr&tail=200");
        return String(res.body.lines.at(-1)).includes("stdin closed; exiting") && (res.body.lines as string[]);
      },
      { what: "the fake's exit line" },
    );
    expect(all.length).toBeGreaterThan(5);
    const prefix = `[fake-app-server ${state.pid}]`;
    expect(all.some((l) => l.startsWith(prefix) && / initialize$/.test(l))).toBe(true);

    const tail = await d.get("/v1/child/logs?stream=stderr&tail=5");
    expect(tail.status).toBe(200);
    expect(tail.body.stream).toBe("stderr");
    expect(tail.body.lines).toEqual(all.slice(-5));
    expect(tail.body.lines).toHaveLength(5);
    for (const line of tail.body.lines as string[]) expect(line.startsWith(prefix)).toBe(true);
    expect(tail.body.lines.filter((l: string) => l.includes("request") && l.includes("thread/loaded/list")).length).toBeGreaterThanOrEqual(3);
  });
});
