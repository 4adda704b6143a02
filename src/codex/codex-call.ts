import type { TSchema, Static } from "@sinclair/typebox";
import type { ChildSupervisor } from "../child/supervisor.js";
import { ProblemError } from "../errors.js";
import { JsonRpcClosedError, JsonRpcRemoteError, JsonRpcTimeoutError } from "./jsonrpc-errors.js";
import { withOverloadRetry } from "./overload-retry.js";
import { parseAs } from "./protocol.js";

export const childNotReady = (status: string) =>
  new ProblemError(503, "CODEXD_CHILD_NOT_READY", "The app-server child is not ready", `The child is ${status}; start it or wait for it`, { currentState: status });

/**
 * One request to the app-server on behalf of an API call: retried on overload (-32001) with
 * backoff and jitter, the answer checked against `schema`, failures mapped to problems.
 */
export async function callCodex<S extends TSchema>(
  child: ChildSupervisor,
  method: string,
  params: unknown,
  schema: S,
  timeoutMs = 60_000,
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
    if (error instanceof JsonRpcTimeoutError) throw new ProblemError(504, "CODEXD_CODEX_TIMEOUT", "The app-server did not answer", `${method} not answered within ${timeoutMs} ms`);
    if (error instanceof JsonRpcClosedError) throw childNotReady(child.state.status);
    throw error;
  }
}
