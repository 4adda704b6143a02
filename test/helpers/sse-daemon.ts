/**
 * An in-process daemon on a real listening socket (127.0.0.1, a port the OS picks), with the fake
 * app-server as its child, for tests that need real HTTP clients (SSE streams above all).
 */
import type { AddressInfo } from "node:net";
import pino from "pino";
import { buildApp, type App } from "../../src/app.js";
import { Daemon } from "../../src/daemon.js";
import type { EventInput } from "../../src/state/store.js";
import { fakeChildEnv } from "./in-process-daemon.js";
import { cleanEnv } from "./processes.js";
import { tempState, type TempState } from "./temp-config.js";

export interface ListeningDaemon {
  temp: TempState;
  daemon: Daemon;
  app: App;
  baseUrl: string;
  port: number;
  /** Close the app, stop the daemon, remove the temp dir. Safe to call more than once. */
  close: () => Promise<void>;
}

/** Start a daemon with `env` (CODEXD_* settings) on a temp state dir and listen. */
export async function startListeningDaemon(env: Record<string, string> = {}): Promise<ListeningDaemon> {
  const temp = await tempState({ ...fakeChildEnv(), ...env });
  const logger = pino({ level: "silent" });
  const daemon = new Daemon(temp.config, logger, { childEnv: cleanEnv() });
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
    await daemon.start();
    app = await buildApp(daemon, { logger });
    await app.listen({ host: "127.0.0.1", port: 0 });
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  const { port } = app.server.address() as AddressInfo;
  return { temp, daemon, app, port, baseUrl: `http://127.0.0.1:${port}`, close };
}

/**
 * Record `total` events through `workers` concurrent producers (each awaits its recordEvent
 * before the next), so many are in flight and flushes carry batches. Resolves with the seqs.
 */
export async function recordMany(
  daemon: Daemon,
  total: number,
  workers: number,
  make: (i: number) => EventInput,
): Promise<number[]> {
  const seqs: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < total) {
        const event = await daemon.store.recordEvent(make(next++));
        seqs.push(event.seq);
      }
    }),
  );
  return seqs.sort((a, b) => a - b);
}
