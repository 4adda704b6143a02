/**
 * The `codexd` command line end to end, with real processes only: the built daemon
 * (`node dist/src/cli.js serve`, the fake app-server as its child) and the CLI run as a child
 * process (`node dist/src/cli.js <command>`), asserting stdout, stderr and the exit code.
 *
 * The suites share one daemon and run in order (the child suite stops and restarts its child);
 * a second daemon checks the bearer token. Every process is killed at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../helpers/deadline.js";
import { cliPath, createWorkspace, type DaemonProcess, type Workspace } from "../helpers/daemon-process.js";
import { cleanEnv, freePort, killAll, spawnTracked, type Spawned } from "../helpers/processes.js";

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let ws: Workspace;
let daemon: DaemonProcess;

/** Start the CLI against `url` (default: the shared daemon) without waiting for it. */
function spawnCli(args: string[], options: { url?: string; env?: Record<string, string> } = {}): Spawned {
  const env = cleanEnv({ CODEXD_URL: options.url ?? daemon.baseUrl, ...options.env });
  return spawnTracked(process.execPath, [cliPath, ...args], { cwd: ws.dir, env });
}

async function cli(args: string[], options: { url?: string; env?: Record<string, string> } = {}): Promise<Result> {
  const proc = spawnCli(args, options);
  const exit = await proc.waitExit(60_000);
  return { code: exit.code, stdout: proc.stdout(), stderr: proc.stderr() };
}

/** Run and expect `code`; the failure message shows what the command printed. */
async function expectCli(args: string[], code: number, options: { url?: string; env?: Record<string, string> } = {}): Promise<Result> {
  const result = await cli(args, options);
  expect(result.code, `codexd ${args.join(" ")}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(code);
  return result;
}

const json = async <T = any>(args: string[]): Promise<T> => JSON.parse((await expectCli([...args, "--json"], 0)).stdout) as T;

/** The JSON lines printed so far by a --follow process. */
const jsonLines = (proc: Spawned): any[] =>
  proc
    .stdout()
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));

async function stopFollower(proc: Spawned): Promise<void> {
  proc.child.kill("SIGTERM");
  expect(await proc.waitExit(10_000)).toEqual({ code: 0, signal: null });
}

beforeAll(async () => {
  ws = await createWorkspace();
  daemon = await ws.start();
  await daemon.waitForChild("ready");
});

afterAll(async () => {
  await killAll();
  await ws?.cleanup();
});

describe("usage", () => {
  it("--help for codexd, every group and a command exits 0 with usage, options and exit codes", async () => {
    const helps = [["--help"], ["child", "--help"], ["sessions", "--help"], ["runs", "--help"], ["approvals", "--help"], ["events", "--help"], ["status", "--help"], ["turn", "--help"], ["runs", "create", "--help"], ["child", "logs", "-h"]];
    const results = await Promise.all(helps.map((args) => expectCli(args, 0)));
    for (const [i, r] of results.entries()) {
      expect(r.stdout, helps[i]!.join(" ")).toMatch(/Usage: codexd/);
      expect(r.stdout).toContain("Exit codes:");
      expect(r.stdout).toContain("--url URL");
    }
    expect(results[3]!.stdout).toContain("codexd runs create PROMPT [options]");
    expect(results[8]!.stdout).toMatch(/--idempotency-key KEY/);
    expect(results[9]!.stdout).toMatch(/--stream stderr\|stdout/);
  });

  it("--version prints the version; a bad command line exits 2 with the reason on stderr", async () => {
    const [version, unknown, badOption, badChoice, missing, noSub] = await Promise.all([
      expectCli(["--version"], 0),
      expectCli(["frobnicate"], 2),
      expectCli(["runs", "list", "--bogus"], 2),
      expectCli(["runs", "list", "--status", "nope"], 2),
      expectCli(["runs", "create"], 2),
      expectCli(["runs"], 2),
    ]);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect(badOption.stderr).toContain("--bogus");
    // Every quote the message opens, it closes.
    expect(badOption.stderr.split("\n")[0]!.split("'").length % 2, badOption.stderr).toBe(1);
    expect(badOption.stderr.split("\n")[0]!.split('"').length % 2, badOption.stderr).toBe(1);
    expect(badChoice.stderr).toContain("--status must be one of queued");
    expect(missing.stderr).toContain("missing PROMPT");
    expect(noSub.stderr).toContain("codexd runs create PROMPT");
    for (const r of [unknown, badOption, badChoice, missing]) expect(r.stdout).toBe("");
  });

  it("an unreachable daemon exits 3", async () => {
    const r = await expectCli(["status"], 3, { url: `http://127.0.0.1:${await freePort()}` });
    expect(r.stderr).toMatch(/cannot reach the daemon at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });
});

describe("status and sessions", () => {
  it("status prints a key/value block, and the API's document with --json", async () => {
    const r = await expectCli(["status"], 0);
    expect(r.stdout).toMatch(/^daemon: +ready \(pid \d+, up /m);
    expect(r.stdout).toMatch(/^child: +running \(pid \d+\)/m);
    expect(r.stdout).toMatch(/^runs: +queued \d+, running \d+, completed/m);
    const status = await json(["status"]);
    expect(status.child.status).toBe("running");
    expect(status.daemon.pid).toBe(daemon.pid);
  });

  it("sessions create, list (table) and show; an unknown session exits 4", async () => {
    const created = await json(["sessions", "create", "--cwd", ".", "--approvals", "accept"]);
    expect(created).toMatchObject({ status: "idle", cwd: ws.dir, approvals: "accept" });
    const list = await expectCli(["sessions", "list"], 0);
    const [header, ...rows] = list.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^SESSION +STATUS +TURNS +MODEL +UPDATED +CWD$/);
    const row = rows.find((line) => line.startsWith(created.sessionId));
    expect(row).toMatch(/ idle +0 +fake-model +\d\d:\d\d:\d\d +/);
    expect(header!.indexOf("STATUS")).toBe(row!.indexOf("idle"));
    const show = await expectCli(["sessions", "show", created.sessionId], 0);
    expect(show.stdout).toMatch(new RegExp(`^session: +${created.sessionId}$`, "m"));
    expect(show.stdout).toMatch(/^approvals: +accept$/m);
    const missing = await expectCli(["sessions", "show", "no-such-session"], 4);
    expect(missing.stderr).toMatch(/^CODEXD_\w+: .*no-such-session/m);
  });

  it("turn --wait prints the final message; without --wait the turn id", async () => {
    const session = await json(["sessions", "create"]);
    const waited = await expectCli(["turn", session.sessionId, "hello from the cli", "--wait"], 0);
    expect(waited.stdout).toBe("echo: hello from the cli\n");
    expect(waited.stderr).toMatch(/turn \S+ completed/);
    const started = await expectCli(["turn", session.sessionId, "second"], 0);
    expect(started.stdout).toMatch(/^turn: +\S+$/m);
    const turnId = /^turn: +(\S+)$/m.exec(started.stdout)![1]!;
    const turn = await waitUntil(async () => {
      const t = (await daemon.get(`/v1/sessions/${session.sessionId}/turns/${turnId}`)).body;
      return t.status === "completed" && t;
    });
    expect(turn.finalMessage).toBe("echo: second");
  });
});

describe("runs", () => {
  it("runs create --wait prints the final message (exit 0); runs list and show find it", async () => {
    const r = await expectCli(["runs", "create", "build the thing", "--wait"], 0);
    expect(r.stdout).toBe("echo: build the thing\n");
    const runId = /run (\S+) completed/.exec(r.stderr)![1]!;
    const list = await expectCli(["runs", "list", "--status", "completed"], 0);
    expect(list.stdout).toMatch(new RegExp(`^${runId} +completed +\\S+ +\\S+ +build the thing$`, "m"));
    const show = await expectCli(["runs", "show", runId], 0);
    expect(show.stdout).toMatch(/^final message: +echo: build the thing$/m);
    const doc = await json(["runs", "show", runId]);
    expect(doc).toMatchObject({ runId, status: "completed", finalMessage: "echo: build the thing" });
  });

  it("a failing run exits 7 with the error on stderr; --json prints the run", async () => {
    const r = await expectCli(["runs", "create", "[fail] please", "--wait"], 7);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/run \S+ failed in \S+: CODEXD_TURN_FAILED: fake failure/);
    const j = await cli(["runs", "create", "[fail] again", "--wait", "--json"]);
    expect(j.code).toBe(7);
    expect(JSON.parse(j.stdout)).toMatchObject({ status: "failed", error: { code: "CODEXD_TURN_FAILED" } });
  });

  it("runs wait gives up after --timeout-ms (exit 8); runs cancel ends the run; waiting on it then exits 7", async () => {
    const run = await json(["runs", "create", "[silent] never ends", "--idempotency-key", `cli-${Date.now()}`]);
    expect(run.status).toBe("queued");
    const waited = await expectCli(["runs", "wait", run.runId, "--timeout-ms", "300"], 8);
    expect(waited.stderr).toMatch(/is still (queued|running) after 300ms/);
    const cancel = await expectCli(["runs", "cancel", run.runId], 0);
    expect(cancel.stdout).toMatch(/^changed: +true$/m);
    const after = await expectCli(["runs", "wait", run.runId], 7);
    expect(after.stderr).toMatch(new RegExp(`run ${run.runId} cancelled`));
  });

  it("an unknown run exits 4 with `code: detail` on stderr", async () => {
    const r = await expectCli(["runs", "show", "no-such-run"], 4);
    expect(r.stderr).toBe('CODEXD_NOT_FOUND: run "no-such-run" does not exist\n');
    await expectCli(["runs", "cancel", "no-such-run"], 4);
  });
});

describe("turn --steer", () => {
  it("a busy session refuses a second turn and names --steer; with --steer the text joins the active turn", async () => {
    const session = await json(["sessions", "create"]);
    await expectCli(["turn", session.sessionId, "[silent] stays active"], 0);
    const busy = await expectCli(["turn", session.sessionId, "another"], 5);
    expect(busy.stderr).toMatch(/^CODEXD_TURN_ACTIVE: /m);
    expect(busy.stderr).toContain("--steer");
    const steered = await expectCli(["turn", session.sessionId, "more input", "--steer"], 0);
    expect(steered.stdout).toMatch(/^steered: +yes$/m);
    await daemon.post(`/v1/sessions/${session.sessionId}/interrupt`);
  });
});

describe("approvals", () => {
  it("an [approval:command] turn: approvals list shows it pending, decide accepts it, deciding again exits 5", async () => {
    const session = await json(["sessions", "create", "--approvals", "manual"]);
    await expectCli(["turn", session.sessionId, "[approval:command] run echo"], 0);
    const pending = await waitUntil(async () => (await json(["approvals", "list", "--status", "pending"])).approvals.find((a: any) => a.sessionId === session.sessionId), {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: "a pending approval",
    });
    const table = await expectCli(["approvals", "list", "--status", "pending"], 0);
    expect(table.stdout).toMatch(new RegExp(`^${pending.approvalId} +pending +commandExecution +\\S+ +\\(accept\\|acceptForSession\\|decline\\|cancel\\) +echo fake`, "m"));
    const decided = await expectCli(["approvals", "decide", pending.approvalId, "accept"], 0);
    expect(decided.stdout).toMatch(/^status: +resolved$/m);
    expect(decided.stdout).toMatch(/^decided by: +operator$/m);
    const again = await expectCli(["approvals", "decide", pending.approvalId, "decline"], 5);
    expect(again.stderr).toMatch(/^CODEXD_\w+: /);
    const bad = await expectCli(["approvals", "decide", pending.approvalId, "{not json"], 2);
    expect(bad.stderr).toContain("does not parse");
  });
});

describe("events", () => {
  it("events --json is the API's page; the table has one row per event", async () => {
    const page = await json(["events", "--limit", "5"]);
    expect(page.events).toHaveLength(5);
    expect(page.events[0].seq).toBe(1);
    const table = await expectCli(["events", "--type", "daemon.", "--limit", "1"], 0);
    expect(table.stdout).toMatch(/^SEQ +TIME +LEVEL +TYPE +MESSAGE\n1 +\d\d:\d\d:\d\d +info +daemon\.started +codexd .* started/);
  });

  it("events --follow prints replayed and live events, one JSON per line, until killed", async () => {
    const replay = spawnCli(["events", "--follow", "--after", "0", "--json"]);
    await waitUntil(() => jsonLines(replay).length >= 3, { what: "3 replayed events" });
    await stopFollower(replay);
    const seqs = jsonLines(replay).map((e) => e.seq);
    expect(seqs.slice(0, 3)).toEqual([1, 2, 3]);

    // From the current last seq: whenever the follower connects, it misses nothing after it.
    const { lastSeq } = (await daemon.get("/v1/status")).body.events;
    const live = spawnCli(["events", "--follow", "--type", "run.", "--after", String(lastSeq), "--json"]);
    await expectCli(["runs", "create", "live one", "--wait"], 0);
    await waitUntil(() => jsonLines(live).some((e) => e.type === "run.completed"), { what: "run.completed on the live follower" });
    await stopFollower(live);
    expect(jsonLines(live).map((e) => e.type)).toEqual(expect.arrayContaining(["run.queued", "run.started", "run.completed"]));
  });
});

describe("child", () => {
  it("child stop, start --wait, restart and logs", async () => {
    const stopped = await expectCli(["child", "stop"], 0);
    expect(stopped.stdout).toMatch(/^child: +stopped$/m);
    expect(stopped.stdout).toMatch(/^changed: +true$/m);
    expect((await json(["child", "stop"])).changed).toBe(false);
    const started = await expectCli(["child", "start", "--wait"], 0);
    expect(started.stdout).toMatch(/^child: +running$/m);
    expect(started.stdout).toMatch(/^outcome: +ready$/m);
    const restarted = await json(["child", "restart"]);
    expect(restarted.changed).toBe(true);
    await daemon.waitForChild("ready");
    const logs = await expectCli(["child", "logs", "--tail", "3"], 0);
    expect(logs.stdout.trimEnd().split("\n")).toHaveLength(3);
    expect(logs.stdout).toContain("[fake-app-server ");
    const doc = await json(["child", "logs", "--tail", "2"]);
    expect(doc).toMatchObject({ stream: "stderr", lines: [expect.any(String), expect.any(String)] });
  });

  it("child logs --follow prints the tail, then live lines, until killed", async () => {
    const follow = spawnCli(["child", "logs", "--follow", "--tail", "1"]);
    await waitUntil(() => follow.stdout().includes("[fake-app-server "), { what: "the tail line" });
    const starts = () => follow.stdout().split("thread/start").length - 1;
    const before = starts();
    await expectCli(["sessions", "create"], 0);
    await waitUntil(() => starts() > before, { what: "a live line for thread/start" });
    await stopFollower(follow);
  });
});

describe("a daemon with a bearer token", () => {
  let secured: Workspace;
  let url: string;

  beforeAll(async () => {
    secured = await createWorkspace();
    url = (await secured.start({ CODEXD_TOKEN: "cli-secret-token" })).baseUrl;
  });

  afterAll(async () => {
    await secured?.cleanup();
  });

  it("without a token exits 6; with --token or CODEXD_TOKEN exits 0", async () => {
    const [without, wrong, flag, env] = await Promise.all([
      expectCli(["status"], 6, { url }),
      expectCli(["runs", "list", "--token", "nope"], 6, { url }),
      expectCli(["status", "--token", "cli-secret-token"], 0, { url }),
      expectCli(["sessions", "list"], 0, { url, env: { CODEXD_TOKEN: "cli-secret-token" } }),
    ]);
    expect(without.stderr).toMatch(/^CODEXD_UNAUTHORIZED: /);
    expect(wrong.stderr).not.toContain("nope");
    expect(flag.stdout).toMatch(/^daemon: +ready/m);
    expect(env.stderr).toBe("No sessions.\n");
  });
});
