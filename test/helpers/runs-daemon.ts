/**
 * An in-process daemon for the runs suites: a real StateStore on a fresh temp state dir, the fake
 * app-server (a real child process) as its child, and the app listening on 127.0.0.1 (a port the
 * OS picks), so clients speak real HTTP. Much quicker to start than `codexd serve` as a process;
 * use test/helpers/daemon-process.ts where the daemon itself must die (kill -9) or restart.
 */
import type { AddressInfo } from "node:net";
import pino from "pino";
import { buildApp, type App } from "../../src/app.js";
import { Daemon } from "../../src/daemon.js";
import { fakeChildEnv } from "./in-process-daemon.js";
import { cleanEnv } from "./processes.js";
import { RunsApi } from "./runs-api.js";
import { tempState, type TempState } from "./temp-config.js";

export interface RunsDaemon {
  temp: TempState;
  daemon: Daemon;
  app: App;
  baseUrl: string;
  api: RunsApi;
  stateDir: string;
  /**
   * Close the app (cutting connections still open: the test is over), stop the daemon (and its
   * child), remove the temp dir unless `keepState` or it was borrowed. Safe to call twice.
   */
  close: (options?: { keepState?: boolean }) => Promise<void>;
}

export interface RunsDaemonOptions {
  /** Run on this state (a previous daemon's, stopped with keepState): a restart. Not removed by close. */
  reuse?: TempState;
}

/**
 * `env`: CODEXD_* settings go to the daemon's config, anything else (FAKE_* fault modes) to the
 * child's environment. The liveness probe is off unless `env` turns it on, so nothing but the
 * test's own requests writes to the state dir once the child is up.
 */
export async function startRunsDaemon(env: Record<string, string> = {}, options: RunsDaemonOptions = {}): Promise<RunsDaemon> {
  const settings: Record<string, string> = { ...fakeChildEnv(), CODEXD_CHILD_LIVENESS_INTERVAL_MS: "0" };
  const childExtra: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) (key.startsWith("CODEXD_") ? settings : childExtra)[key] = value;
  const temp = options.reuse ?? (await tempState(settings));
  const ownsTemp = options.reuse === undefined;
  const logger = pino({ level: "silent" });
  const childEnv = cleanEnv(childExtra);
  for (const key of Object.keys(childEnv)) if (key.startsWith("FAKE_") && !(key in childExtra)) delete childEnv[key];
  const daemon = new Daemon(temp.config, logger, { childEnv });
  let app: App | undefined;
  let stopped = false;
  let removed = !ownsTemp;
  const close = async ({ keepState = false }: { keepState?: boolean } = {}) => {
    try {
      if (!stopped) {
        stopped = true;
        const closing = app?.close();
        // Requests a test left pending (long-polls, a cancel waiting on a run) would hold the
        // server open; keep-alive connections would too.
        app?.server.closeAllConnections();
        await closing;
        await daemon.stop("test finished");
      }
    } finally {
      if (!keepState && !removed) {
        removed = true;
        await temp.cleanup();
      }
    }
  };
  try {
    await daemon.start();
    app = await buildApp(daemon, { logger });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const { matched, state } = await daemon.child.waitFor("ready", 60_000, ["fatal"]);
    if (!matched) throw new Error(`the fake child did not become ready: ${JSON.stringify(state)}`);
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  const { port } = app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return { temp, daemon, app, baseUrl, api: new RunsApi(baseUrl), stateDir: temp.config.paths.stateDir, close };
}
