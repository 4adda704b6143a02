/**
 * Typed errors of the JSON-RPC transport. Each carries a stable string `code` so callers
 * (and the REST layer) can branch on it without relying on `instanceof` across module copies.
 */

/** JSON-RPC error code the app-server uses for "overloaded, retry later". */
export const RPC_OVERLOADED = -32001;

/** The peer answered the request with an `error` object. */
export class JsonRpcRemoteError extends Error {
  readonly code = "CODEXD_RPC_REMOTE_ERROR" as const;
  readonly rpcCode: number;
  readonly data: unknown;
  readonly method: string;

  constructor(args: { rpcCode: number; message: string; data?: unknown; method: string }) {
    super(args.message);
    this.name = "JsonRpcRemoteError";
    this.rpcCode = args.rpcCode;
    this.data = args.data;
    this.method = args.method;
  }

  get isOverloaded(): boolean {
    return this.rpcCode === RPC_OVERLOADED;
  }
}

/** No response arrived within the request's timeout; the id has been forgotten. */
export class JsonRpcTimeoutError extends Error {
  readonly code = "CODEXD_RPC_TIMEOUT" as const;
  readonly method: string;
  readonly timeoutMs: number;

  constructor(method: string, timeoutMs: number) {
    super(`JSON-RPC request ${method} timed out after ${timeoutMs} ms`);
    this.name = "JsonRpcTimeoutError";
    this.method = method;
    this.timeoutMs = timeoutMs;
  }
}

/** The connection closed (child exited, stdout ended, write failed, or close() was called). */
export class JsonRpcClosedError extends Error {
  readonly code = "CODEXD_RPC_CLOSED" as const;
  readonly reason: string;

  constructor(reason: string) {
    super(`JSON-RPC connection closed: ${reason}`);
    this.name = "JsonRpcClosedError";
    this.reason = reason;
  }
}

export type JsonRpcTransportError = JsonRpcRemoteError | JsonRpcTimeoutError | JsonRpcClosedError;
