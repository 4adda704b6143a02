import { JsonRpcRemoteError } from "./jsonrpc-errors.js";

export interface OverloadRetryOptions {
  /** Total attempts, the first one included (>= 1). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** [0, 1) source for the jitter; injectable for deterministic tests. */
  random?: () => number;
  signal?: AbortSignal;
  /** Called before each backoff sleep (for logging and tests). */
  onRetry?: (info: { attempt: number; delayMs: number; error: JsonRpcRemoteError }) => void;
}

/**
 * Runs `fn` and retries it only while it fails with the app-server's "overloaded" error
 * (-32001). Backoff is exponential with full jitter (a random delay in [0, min(cap, base*2^n)))
 * so that many callers backing off together do not retry in lockstep.
 */
export async function withOverloadRetry<T>(
  fn: (attempt: number) => Promise<T>,
  opts: OverloadRetryOptions,
): Promise<T> {
  const random = opts.random ?? Math.random;
  const attempts = Math.max(1, Math.floor(opts.attempts));
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      if (!(err instanceof JsonRpcRemoteError) || !err.isOverloaded || attempt >= attempts) throw err;
      const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.floor(ceiling * random());
      opts.onRetry?.({ attempt, delayMs, error: err });
      await sleep(delayMs, opts.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
