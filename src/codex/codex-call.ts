import type { TSchema, Static } from "@sinclair/typebox";
import type { ChildSupervisor } from "../child/supervisor.js";
import { ProblemError } from "../errors.js";
import { JsonRpcClosedError, JsonRpcRemoteError, JsonRpcTimeoutError } from "./jsonrpc-errors.js";
import { withOverloadRetry } from "./overload-retry.js";
import { parseAs } from "./protocol.js";

const DOWN = new Set(["idle", "stopped", "exited", "fatal"]);

/** 503 naming the child's state and what to do about it; never "running, start it". */
export const childNotReady = (status: string, why?: string) => {
  const advice = DOWN.has(status)
    ? "start it (POST /v1/child/start) or wait for its restart"
    : status === "running"
      ? "its connection is gone; wait for the restart"
      : "wait for it to be ready";
  const detail = why ? `${why}; the child is ${status}: ${advice}` : `The child is ${status}; ${advice}`;
  return new ProblemError(503, "CODEXD_CHILD_NOT_READY", "The app-server child is not ready", detail, { currentState: status });
};

/** 504: the request was sent and the app-server did not answer it in time. */
export const childTimeout = (method: string, timeoutMs: number, status: string) =>
  new ProblemError(504, "CODEXD_CHILD_TIMEOUT", "The app-server did not answer", `${method} was not answered within ${timeoutMs} ms (the child is ${status})`, {
    method,
    timeoutMs,
    currentState: status,
  });

/**
 * One request to the app-server on behalf of an API call: retried on overload (-32001) with
 * backoff and jitter, the answer checked against `schema`, failures mapped to problems. Each
 * attempt waits at most `codex.requestTimeoutMs` for its answer.
 */
export async function callCodex<S extends TSchema>(
  child: ChildSupervisor,
  method: string,
  params: unknown,
  schema: S,
  timeoutMs = child.requestTimeoutMs,
): Promise<Static<S>> {
  const connection = child.connection;
  if (!connection) throw childNotReady(child.state.status);
  try {
    const result = await withOverloadRetry(() => connection.request(method, params, { timeoutMs }), {
      attempts: 5,
      baseDelayMs: 200,
      maxDelayMs: 5_000,
    });
    const parsed = parseAs(schema, result);
    if (parsed === null) throw new ProblemError(502, "CODEXD_CODEX_BAD_RESPONSE", "Unexpected app-server answer", `${method} answered in an unexpected shape`);
    return parsed;
  } catch (error) {
    if (error instanceof JsonRpcRemoteError) {
      throw new ProblemError(502, error.isOverloaded ? "CODEXD_CODEX_OVERLOADED" : "CODEXD_CODEX_ERROR", "The app-server refused the request", `${method}: ${error.message}`, { rpcCode: error.rpcCode });
    }
    if (error instanceof JsonRpcTimeoutError) throw childTimeout(method, timeoutMs, child.state.status);
    if (error instanceof JsonRpcClosedError) throw childNotReady(child.state.status, `the connection to the child closed before it answered ${method} (${error.reason})`);
    throw error;
  }
}
