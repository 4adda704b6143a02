import { join } from "node:path";
import pino from "pino";
import { buildApp, type App } from "../../src/app.js";
import { Daemon } from "../../src/daemon.js";
import { packageRoot } from "../../src/package-info.js";
import { configFor } from "./common.js";

export const FAKE_APP_SERVER = join(packageRoot, "test", "fixtures", "fake-app-server.mjs");

export interface InProcessDaemon {
  daemon: Daemon;
  app: App;
  /** http://127.0.0.1:<port> */
  base: string;
}

/**
 * A daemon in this process on the fake app-server, listening on 127.0.0.1, for as long as `fn`
 * runs: no liveness pings, no rate limit (a benchmark measures the route, not the limiter), silent.
 */
export async function withInProcessDaemon<T>(stateDir: string, env: Record<string, string>, fn: (h: InProcessDaemon) => Promise<T>): Promise<T> {
  const config = configFor(stateDir, { CODEXD_CHILD_LIVENESS_INTERVAL_MS: "0", CODEXD_LOG_LEVEL: "silent", CODEXD_RATE_LIMIT_PER_MINUTE: "0", ...env });
  config.server.childCommand = process.execPath;
  config.server.childArgs = [FAKE_APP_SERVER];
  const logger = pino({ level: "silent" });
  const daemon = new Daemon(config, logger);
  await daemon.start();
  const app = await buildApp(daemon, { logger });
  const base = await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    const { matched, state } = await daemon.child.waitFor("ready", 30_000, ["fatal"]);
    if (!matched) throw new Error(`fake child not ready: ${JSON.stringify(state)}`);
    return await fn({ daemon, app, base });
  } finally {
    const closing = app.close();
    app.server.closeAllConnections();
    await closing;
    await daemon.stop("bench over");
  }
}
