import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { buildApp, type App } from "../../src/app.js";
import { Daemon } from "../../src/daemon.js";
import { tempState, type TempState } from "./temp-config.js";

export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/**
 * Settings that keep a daemon under test self-contained: should the daemon start a child, it is
 * the fake app-server (offline, fast), never the real Codex CLI.
 */
export function fakeChildEnv(): Record<string, string> {
  return {
    CODEXD_CHILD_COMMAND: process.execPath,
    CODEXD_CHILD_ARGS: JSON.stringify([join(repoRoot, "test", "fixtures", "fake-app-server.mjs")]),
  };
}

export interface InProcessDaemon {
  temp: TempState;
  daemon: Daemon;
  app: App;
  /** Close the app, stop the daemon, remove the temp dir. Safe to call twice. */
  close: () => Promise<void>;
}

/**
 * A daemon on a real StateStore in a fresh temp dir, with its app built around it (not listening).
 * `start: false` builds the app without starting the daemon.
 */
export async function startInProcessDaemon(env: Record<string, string> = {}, options: { start?: boolean } = {}): Promise<InProcessDaemon> {
  const temp = await tempState({ ...fakeChildEnv(), ...env });
  const daemon = new Daemon(temp.config, pino({ level: "silent" }));
  let app: App | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    try {
      await app?.close();
      await daemon.stop("test finished");
    } finally {
      await temp.cleanup();
    }
  };
  try {
    if (options.start !== false) await daemon.start();
    app = await buildApp(daemon, { logger: pino({ level: "silent" }) });
    await app.ready();
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  return { temp, daemon, app, close };
}
