/**
 * The console in a real browser (Debian's Chromium through playwright-core) against real
 * daemons: the fake app-server as child, or the real Codex CLI with the fake model server where a
 * command must really run. Every wait is a deadline on something the page or the API shows.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../../src/app.js";
import { Daemon } from "../../src/daemon.js";
import { createCodexHome } from "../fixtures/codex-home.js";
import { shellCall, startFakeModelServer, type ModelScript } from "../fixtures/fake-model-server.js";
import { waitUntil } from "../helpers/deadline.js";
import { fakeChildEnv } from "../helpers/in-process-daemon.js";
import { startSessionsDaemon, type SessionsDaemon } from "../helpers/sessions-daemon.js";
import { tempState } from "../helpers/temp-config.js";
import { UI_TIMEOUT_MS, launchChromium, openConsole, pageValue, seriousViolations, setHash, tabTo, type ConsolePage } from "./console-browser.js";

const TEST_TIMEOUT_MS = 180_000;
const cleanups: Array<() => Promise<unknown>> = [];
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, UI_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  const errors: unknown[] = [];
  for (const fn of cleanups.splice(0).reverse()) await fn().catch((e: unknown) => errors.push(e));
  if (errors.length > 0) throw errors[0];
});

async function fakeDaemon(settings: Record<string, string> = {}): Promise<SessionsDaemon> {
  const d = await startSessionsDaemon({ settings });
  cleanups.push(d.close);
  return d;
}

async function open(url: string): Promise<ConsolePage> {
  const c = await openConsole(browser, url);
  cleanups.push(() => c.close());
  return c;
}

const childStatusText = (c: ConsolePage) => c.page.locator("#child-status").textContent();

describe("the console in Chromium", () => {
  it("loads from / with no console error, shows the header, and has no serious accessibility violation in any view", async () => {
    const d = await fakeDaemon();
    const run = await d.api.post("/v1/runs", { prompt: "[reply:all done]" });
    expect(run.status).toBe(202);
    const s = await d.api.createSession({});
    await d.api.waitTurn(s.sessionId, (await d.api.startTurn(s.sessionId, "[reply:hello there]")).turnId);

    const c = await open(`${d.baseUrl}/`);
    expect(new URL(c.page.url()).pathname).toBe("/console");
    await c.page.locator("#child-status", { hasText: "running" }).waitFor();
    await expect.poll(() => c.page.locator("#daemon-info").textContent(), { timeout: UI_TIMEOUT_MS }).toContain(d.daemon.config.nodeId);

    const views: Array<[string, string, string]> = [
      ["sessions", `#/sessions/${s.sessionId}`, `[data-type="agentMessage"]`],
      ["runs", `#/runs/${run.body.runId}`, "#run-status"],
      ["approvals", "#/approvals", "#approvals-list"],
      ["events", "#/events", "#events-list tbody tr"],
    ];
    for (const [name, hash, ready] of views) {
      await setHash(c.page, hash);
      await c.page.locator(ready).first().waitFor();
      expect(await seriousViolations(c.page), `view ${name}`).toEqual([]);
      await c.screenshot(`view-${name}`);
    }
    expect(c.errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it("is usable by keyboard alone: create a session, send a turn, switch views", async () => {
    const d = await fakeDaemon();
    const c = await open(`${d.baseUrl}/console`);
    const { page } = c;
    await page.locator("#child-status", { hasText: "running" }).waitFor();

    await tabTo(page, "#new-session button[type=submit]");
    await page.keyboard.press("Enter");
    await waitUntil(() => pageValue<boolean>(page, `location.hash.startsWith("#/sessions/") && location.hash.length > 12`), { timeoutMs: UI_TIMEOUT_MS, what: "the new session selected" });
    const sessionId = await pageValue<string>(page, `decodeURIComponent(location.hash.split("/")[2])`);

    await tabTo(page, "#composer-input");
    await page.keyboard.type("[reply:typed by keyboard]");
    await tabTo(page, "#composer-send");
    await page.keyboard.press("Enter");
    await page.locator('[data-type="agentMessage"]', { hasText: "typed by keyboard" }).waitFor();
    const turns = (await d.api.get(`/v1/sessions/${sessionId}/turns`)).body.turns;
    expect(turns).toEqual([expect.objectContaining({ input: "[reply:typed by keyboard]", finalMessage: "typed by keyboard" })]);

    await tabTo(page, "#nav-events");
    await page.keyboard.press("Enter");
    await page.locator("#view-events").waitFor({ state: "visible" });
    await tabTo(page, "#events-pause");
    await page.keyboard.press("Space");
    expect(await page.locator("#events-pause").getAttribute("aria-pressed")).toBe("true");
    expect(c.errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it("shows a turn's text while it streams, never as HTML, and Interrupt ends it", async () => {
    const d = await fakeDaemon();
    const s = await d.api.createSession({});
    const c = await open(`${d.baseUrl}/console#/sessions/${s.sessionId}`);
    const { page } = c;
    await page.locator("#session-status").waitFor();

    // The fake sends the first word, then holds the rest until the turn is interrupted.
    await page.locator("#composer-input").fill("[reply:<b>streaming</b> words follow] [delay:600000]");
    await page.locator("#composer-send").click();
    const agent = page.locator('[data-type="agentMessage"] [data-live="text"]');
    await agent.filter({ hasText: "<b>streaming</b>" }).waitFor();
    const turnId = (await d.api.get(`/v1/sessions/${s.sessionId}/turns`)).body.turns[0].turnId as string;
    expect((await d.api.getTurn(s.sessionId, turnId)).status).toBe("inProgress");
    expect(await agent.textContent()).toBe("<b>streaming</b> ");
    expect(await page.locator("#transcript b").count()).toBe(0);
    await c.screenshot("sessions-streaming");

    await page.locator("#composer-interrupt").click();
    expect((await d.api.waitTurn(s.sessionId, turnId, undefined, UI_TIMEOUT_MS)).status).toBe("interrupted");
    await page.locator('[data-turn-status="interrupted"]').waitFor();
    expect(c.errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it("Stop and Start change the child", async () => {
    const d = await fakeDaemon();
    const c = await open(`${d.baseUrl}/console`);
    const { page } = c;
    await page.locator("#child-status", { hasText: "running" }).waitFor();
    const firstPid = d.daemon.child.state.pid;

    await page.locator("#child-stop").click();
    await page.locator("#child-status", { hasText: "stopped" }).waitFor();
    expect((await d.api.get("/v1/child")).body.status).toBe("stopped");
    expect(await page.locator("#child-start").isEnabled()).toBe(true);

    await page.locator("#child-start").click();
    await page.locator("#child-status", { hasText: "running" }).waitFor();
    const child = (await d.api.get("/v1/child")).body;
    expect(child.status).toBe("running");
    expect(child.pid).not.toBe(firstPid);
    await expect.poll(() => page.locator("#child-info").textContent(), { timeout: UI_TIMEOUT_MS }).toContain(`pid ${child.pid}`);
    expect(c.errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it("runs: lists them, filters by status, shows one with its diff or says it has none, cancels", async () => {
    const d = await fakeDaemon();
    const done = (await d.api.post("/v1/runs", { prompt: "[reply:finished work]" })).body.runId as string;
    await waitUntil(async () => (await d.api.get(`/v1/runs/${done}`)).body.status === "completed", { timeoutMs: UI_TIMEOUT_MS, what: "the run to complete" });
    const silent = (await d.api.post("/v1/runs", { prompt: "[silent]" })).body.runId as string;
    await waitUntil(async () => (await d.api.get(`/v1/runs/${silent}`)).body.status === "running", { timeoutMs: UI_TIMEOUT_MS, what: "the silent run to start" });

    const c = await open(`${d.baseUrl}/console#/runs`);
    const { page } = c;
    await page.locator("#runs-list tbody tr").nth(1).waitFor();
    await page.locator("#runs-filter").selectOption("completed");
    await waitUntil(async () => (await page.locator("#runs-list tbody tr").count()) === 1, { timeoutMs: UI_TIMEOUT_MS, what: "one completed run listed" });
    expect(await page.locator("#runs-list tbody").textContent()).toContain("finished work");

    await setHash(page, `#/runs/${done}`);
    await page.locator("#run-status", { hasText: "completed" }).waitFor();
    const diffAnswer = await d.api.get(`/v1/runs/${done}/diff`);
    if (diffAnswer.status === 404) await page.locator("#run-detail", { hasText: "No diff for this run." }).waitFor();
    expect(await page.locator("#run-cancel").isDisabled()).toBe(true);

    await setHash(page, `#/runs/${silent}`);
    await page.locator("#run-status", { hasText: "running" }).waitFor();
    await page.locator("#run-cancel").click();
    await page.locator("#run-status", { hasText: "cancelled" }).waitFor();
    expect((await d.api.get(`/v1/runs/${silent}`)).body.status).toBe("cancelled");
    expect(c.errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it("events: a live tail with type and level filters; pausing holds events back and loses none", async () => {
    const d = await fakeDaemon();
    const c = await open(`${d.baseUrl}/console#/events`);
    const { page } = c;
    await page.locator("#events-list tbody tr").first().waitFor();
    await page.locator("#events-type").fill("session.");
    await page.locator("#events-pause").click();
    const created = [await d.api.createSession({}), await d.api.createSession({})];
    await page.locator("#events-paused", { hasText: "new event" }).waitFor();
    expect(await page.locator("#events-list tbody tr").count()).toBe(0);

    await page.locator("#events-pause").click();
    for (const s of created) await page.locator("#events-list tbody tr", { hasText: s.sessionId.slice(0, 8) }).first().waitFor();
    const types = await page.locator("#events-list tbody tr td:nth-child(4)").allTextContents();
    expect(types.every((t) => t.startsWith("session."))).toBe(true);
    const seqs = (await page.locator("#events-list tbody tr td:nth-child(1)").allTextContents()).map(Number);
    const expected = (await d.api.get("/v1/events?type=session.&level=info&limit=1000")).body.events.map((e: { seq: number }) => e.seq).reverse();
    expect(seqs).toEqual(expected);

    await page.locator("#events-level").selectOption("error");
    await waitUntil(async () => (await page.locator("#events-list tbody tr").count()) === 0, { timeoutMs: UI_TIMEOUT_MS, what: "no session event at level error" });
    expect(c.errors).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it("the fake's offered Decline is a button that declines: the command item ends declined", async () => {
    const d = await fakeDaemon();
    const s = await d.api.createSession({ approvals: "manual" });
    const c = await open(`${d.baseUrl}/console#/approvals`);
    const { page } = c;
    await page.locator("#approvals-list", { hasText: "Nothing waits" }).waitFor();
    const { turnId } = await d.api.startTurn(s.sessionId, "[approval:command] [reply:after]");
    const card = page.locator("[data-approval]");
    await card.waitFor();
    expect(await card.locator("button").allTextContents()).toEqual(["Accept", "Accept for session", "Decline", "Cancel"]);
    await card.locator('button[data-decision="decline"]').click();
    const turn = await d.api.waitTurn(s.sessionId, turnId, undefined, UI_TIMEOUT_MS);
    expect(turn.status).toBe("completed");
    expect(turn.items.find((i) => i.type === "commandExecution")).toMatchObject({ status: "declined" });
    expect((await d.api.get("/v1/approvals?status=resolved")).body.approvals[0]).toMatchObject({ decision: "decline", decidedBy: "operator" });
    expect(c.errors).toEqual([]);
  }, TEST_TIMEOUT_MS);
});

/**
 * An escalated `touch FILE`, then "done". Not through a login shell: what this machine's login
 * profile does (it may wait on locks of its own) is no part of what is tested here.
 */
function touchScript(file: string): ModelScript {
  return (ctx) => {
    if (ctx.lastInput?.type === "function_call_output") return { kind: "text", text: "done" };
    const call = shellCall(ctx.tools, ["touch", file], { escalated: true, justification: `create ${file}` });
    return call.kind === "function_call" && typeof call.arguments === "object" ? { ...call, arguments: { ...call.arguments, login: false } } : call;
  };
}

describe("approvals with the real Codex CLI", () => {
  it("an approval appears with exactly the offered decisions and a notice; Accept runs the command, Cancel does not", async () => {
    const model = await startFakeModelServer();
    cleanups.push(() => model.close());
    const home = await createCodexHome({ modelServerUrl: model.url });
    cleanups.push(() => home.cleanup());
    const work = await mkdtemp(join(tmpdir(), "codexd-console-work-"));
    cleanups.push(() => rm(work, { recursive: true, force: true }));
    const d = await startSessionsDaemon({ fake: false, childEnv: home.env });
    cleanups.push(d.close);
    const s = await d.api.createSession({ cwd: work, approvalPolicy: "on-request", sandbox: "workspace-write", approvals: "manual" });

    const c = await open(`${d.baseUrl}/console#/approvals`);
    const { page } = c;
    await page.locator("#approvals-list", { hasText: "Nothing waits" }).waitFor();

    for (const [file, choice] of [["approved.txt", "accept"], ["cancelled.txt", "cancel"]] as const) {
      model.setScript(touchScript(file));
      const { turnId } = await d.api.startTurn(s.sessionId, `please create ${file}`);
      const card = page.locator("[data-approval]");
      await card.waitFor();
      await page.locator("#approval-notice", { hasText: "Approval requested" }).waitFor();
      expect(await card.textContent()).toContain(`create ${file}`);
      expect(await card.locator("pre.cmd").textContent()).toContain(`touch ${file}`);
      expect(await card.locator("button").allTextContents()).toEqual(["Accept", `Accept and allow touch ${file} from now on`, "Cancel"]);
      await expect.poll(() => card.locator("[data-expires]").textContent(), { timeout: UI_TIMEOUT_MS }).toMatch(/^in \d/);
      if (choice === "accept") await c.screenshot("view-approvals-pending");

      await card.locator(`button[data-decision="${choice}"]`).click();
      const turn = await d.api.waitTurn(s.sessionId, turnId, undefined, UI_TIMEOUT_MS);
      expect(turn.status).toBe(choice === "accept" ? "completed" : "interrupted");
      if (choice === "accept") await waitUntil(() => existsSync(join(work, file)), { timeoutMs: UI_TIMEOUT_MS, what: `${file} on disk` });
      else expect(existsSync(join(work, file))).toBe(false);
      await page.locator("#approvals-list", { hasText: "Nothing waits" }).waitFor();
    }
    expect(c.errors).toEqual([]);
  }, TEST_TIMEOUT_MS);
});

describe("connection and token", () => {
  it("a daemon restart shows the banner and the page recovers without a reload", async () => {
    const temp = await tempState(fakeChildEnv());
    cleanups.push(() => temp.cleanup());
    let daemon: Daemon | null = null;
    let app: App | null = null;
    const stop = async () => {
      await app?.close();
      await daemon?.stop("test");
      app = daemon = null;
    };
    cleanups.push(stop);
    const start = async (port: number) => {
      daemon = new Daemon(temp.config, pino({ level: "silent" }));
      await daemon.start();
      app = await buildApp(daemon);
      await app.listen({ host: "127.0.0.1", port });
      return (app.server.address() as AddressInfo).port;
    };
    const port = await start(0);
    const c = await open(`http://127.0.0.1:${port}/console#/events`);
    const { page } = c;
    await page.locator("#child-status", { hasText: "running" }).waitFor();
    await pageValue(page, "window.marker = 1");
    const bootBefore = daemon!.store.bootId;

    await stop();
    await page.locator("#banner", { hasText: "Connection to the daemon lost" }).waitFor();
    await c.screenshot("banner-connection-lost");

    await start(port);
    await page.locator("#banner").waitFor({ state: "hidden" });
    expect(daemon!.store.bootId).not.toBe(bootBefore);
    // Live again: an event recorded now reaches the page.
    const session = (await (await fetch(`http://127.0.0.1:${port}/v1/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).json()) as { sessionId: string };
    await page.locator("#events-list tbody tr", { hasText: session.sessionId.slice(0, 8) }).first().waitFor();
    expect(await pageValue(page, "window.marker")).toBe(1);
  }, TEST_TIMEOUT_MS);

  it("with a token, the page asks for it and no call succeeds before it is entered", async () => {
    const secret = "console-test-token-0123456789abcdef";
    const d = await fakeDaemon({ CODEXD_TOKEN: secret });
    const c = await open(`${d.baseUrl}/console`);
    const { page } = c;
    await page.locator("#token-dialog").waitFor({ state: "visible" });
    await c.screenshot("token-dialog");
    expect(c.apiCalls.length).toBeGreaterThan(0);
    expect(c.apiCalls.filter((call) => call.status !== 401)).toEqual([]);

    await page.locator("#token-input").fill("not-the-token");
    await page.locator("#token-form button[type=submit]").click();
    await page.locator("#token-error", { hasText: "refused" }).waitFor();
    expect(c.apiCalls.filter((call) => call.status !== 401)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);

    await page.locator("#token-input").fill(secret);
    await page.locator("#token-form button[type=submit]").click();
    await page.locator("#child-status", { hasText: "running" }).waitFor();
    // The stream carries it too: a session created now appears live.
    const s = await d.api.post("/v1/sessions", {}, { headers: { authorization: `Bearer ${secret}` } });
    await page.locator("#sessions-list tbody tr", { hasText: s.body.sessionId.slice(0, 8) }).waitFor();
    const ok = c.apiCalls.filter((call) => call.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.every((call) => call.authorization === `Bearer ${secret}`)).toBe(true);
    expect(c.apiCalls.some((call) => call.url.includes("/v1/events/stream") && call.status === 200)).toBe(true);
    // Kept for the tab only: in sessionStorage, never in a URL or a cookie.
    expect(await pageValue(page, `sessionStorage.getItem("codexd.token")`)).toBe(secret);
    expect(await pageValue(page, "document.cookie")).toBe("");
    expect(c.apiCalls.some((call) => call.url.includes(secret))).toBe(false);
    expect(c.errors.filter((e) => !e.includes("401"))).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
