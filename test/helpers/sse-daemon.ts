/**
 * An in-process daemon on a real listening socket (127.0.0.1, a port the OS picks), with the fake
 * app-server as its child, for tests that need real HTTP clients (SSE streams above all).
 */
import type { App } from "../../src/app.js";
import type { Daemon } from "../../src/daemon.js";
import type { EventInput } from "../../src/state/store.js";
import { startInProcessDaemon } from "./in-process-daemon.js";
import { cleanEnv } from "./processes.js";
import type { TempState } from "./temp-config.js";

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
  const d = await startInProcessDaemon(env, { listen: true, childEnv: cleanEnv() });
  return { ...d, port: Number(new URL(d.baseUrl).port) };
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
