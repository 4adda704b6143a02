import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { Daemon } from "../../src/daemon.js";
import { pinnedCodexCommand } from "../../src/package-info.js";
import { createCodexHome, type CodexHome } from "../fixtures/codex-home.js";
import { startFakeModelServer } from "../fixtures/fake-model-server.js";

let server: ChildProcess | undefined;
let daemon: Daemon | undefined;
let home: CodexHome | undefined;
let dir: string | undefined;
let model: Awaited<ReturnType<typeof startFakeModelServer>> | undefined;

afterEach(async () => {
  await daemon?.stop("test over");
  // The group may be gone already while the exit is not yet reported (ESRCH): nothing to kill.
  if (server?.pid && server.exitCode === null) {
    try {
      process.kill(-server.pid, "SIGKILL");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  }
  await model?.close();
  await home?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
  server = daemon = home = dir = model = undefined;
});

/** A real Codex app-server listening on `endpoint`, run by "someone else". */
async function startListeningCodex(endpoint: string): Promise<void> {
  model = await startFakeModelServer();
  home = await createCodexHome({ modelServerUrl: model.url });
  server = spawn(pinnedCodexCommand(), ["app-server", "--listen", endpoint], { env: home.env, detached: true, stdio: "ignore" });
}

async function externalDaemon(endpoint: string): Promise<Daemon> {
  dir = await mkdtemp(join(tmpdir(), "codexd-ext-"));
  const config = loadConfig({
    cwd: dir,
    env: {
      CODEXD_CHILD_STRATEGY: "external",
      CODEXD_CHILD_ENDPOINT: endpoint,
      CODEXD_CHILD_BACKOFF_INITIAL_MS: "100",
      CODEXD_CHILD_BACKOFF_MAX_MS: "300",
      CODEXD_CHILD_START_LIMIT_BURST: "100",
    },
    flags: {},
  });
  const d = new Daemon(config, pino({ level: "silent" }));
  await d.start();
  return d;
}

describe("strategy external", () => {
  for (const kind of ["unix", "ws"] as const) {
    it(`connects to an app-server listening on ${kind}://, reaches running, and retries when it goes away`, async () => {
      const endpoint = kind === "unix" ? `unix://${join(await mkdtemp(join(tmpdir(), "codexd-sock-")), "app.sock")}` : `ws://127.0.0.1:${20000 + Math.floor(Math.random() * 20000)}`;
      await startListeningCodex(endpoint);
      daemon = await externalDaemon(endpoint);
      // The listener may come up after the daemon: connect failures retry with backoff until it does.
      const ready = await daemon.child.waitFor("ready", 20_000, ["fatal"]);
      expect(ready.state.status, JSON.stringify(ready.state)).toBe("running");
      expect(ready.state).toMatchObject({ strategy: "external", pid: null, protocol: { platformFamily: "unix" } });
      expect(() => daemon!.child.signal("SIGHUP")).toThrow(/not a process of ours/);

      process.kill(-server!.pid!, "SIGKILL");
      const lost = await daemon.child.waitFor("backoff", 10_000);
      expect(lost.matched).toBe(true);
      const page = await daemon.store.queryEvents({ type: "child.state_changed", limit: 1000 });
      const causes = page.events.map((e) => (e.detail as { to: string; cause: string }).to + ":" + (e.detail as { cause: string }).cause);
      expect(causes).toContain("exited:crash");
    });
  }
});
