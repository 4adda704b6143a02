/**
 * Faults in a store's event-log append, for in-process tests of what happens around a flush:
 * one that hangs until released, one that fails. Each touches only the next append.
 */
import type { StateStore } from "../../src/state/store.js";

interface Appender {
  append: (text: string) => Promise<void>;
}

/** An error like the file system's: "ENOSPC: no space left on device" carries code ENOSPC. */
const errnoError = (message: string) => Object.assign(new Error(message), /^E[A-Z]+:/.test(message) ? { code: message.split(":")[0] } : {});

const eventLogOf = (store: StateStore) => (store as unknown as { eventLog: Appender }).eventLog;

/** The next append waits for `release()`; `entered` resolves once a flush has reached it. */
export function holdNextAppend(store: StateStore): { entered: Promise<void>; release: () => void } {
  const log = eventLogOf(store);
  const append = log.append.bind(log);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let enter!: () => void;
  const entered = new Promise<void>((resolve) => (enter = resolve));
  log.append = async (text) => {
    log.append = append;
    enter();
    await gate;
    return append(text);
  };
  return { entered, release };
}

/**
 * The next append fails with `message` (as a full disk would), later ones succeed. With
 * `containing`, the next append whose lines contain that text (other flushes pass untouched).
 */
export function failNextAppend(store: StateStore, message: string, containing?: string): void {
  const log = eventLogOf(store);
  const append = log.append.bind(log);
  log.append = (text) => {
    if (containing !== undefined && !text.includes(containing)) return append(text);
    log.append = append;
    return Promise.reject(errnoError(message));
  };
}

/** Every append from now on fails with `message`, until the returned function is called. */
export function failAppends(store: StateStore, message: string): () => void {
  const log = eventLogOf(store);
  const append = log.append.bind(log);
  log.append = () => Promise.reject(errnoError(message));
  return () => {
    log.append = append;
  };
}
