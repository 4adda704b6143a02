import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import pino, { type Logger } from "pino";
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
  /** http://127.0.0.1:PORT when `listen` was asked for, else "". */
  baseUrl: string;
  /** Close the app, stop the daemon, remove the temp dir. Safe to call twice. */
  close: () => Promise<void>;
}

export interface InProcessOptions {
  /** false: build the app without starting the daemon. */
  start?: boolean;
  /** Listen on 127.0.0.1 at a port the OS picks (for real HTTP clients). */
  listen?: boolean;
  /** false: no fake child settings (e.g. the real Codex CLI, given through childEnv). */
  fakeChild?: boolean;
  childEnv?: NodeJS.ProcessEnv;
  logger?: Logger;
  beforeStart?: (daemon: Daemon) => void;
}

/**
 * A daemon on a real StateStore in a fresh temp dir, with its app built around it: the one way
 * the test helpers make an in-process daemon.
 */
export async function startInProcessDaemon(env: Record<string, string> = {}, options: InProcessOptions = {}): Promise<InProcessDaemon> {
  const temp = await tempState({ ...(options.fakeChild === false ? {} : fakeChildEnv()), ...env });
  const logger = options.logger ?? pino({ level: "silent" });
  const daemon = new Daemon(temp.config, logger, options.childEnv ? { childEnv: options.childEnv } : {});
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
  let baseUrl = "";
  try {
    options.beforeStart?.(daemon);
    if (options.start !== false) await daemon.start();
    app = await buildApp(daemon, { logger });
    if (options.listen) {
      await app.listen({ host: "127.0.0.1", port: 0 });
      baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    } else {
      await app.ready();
    }
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  return { temp, daemon, app, baseUrl, close };
}
