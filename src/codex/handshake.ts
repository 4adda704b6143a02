import type { JsonRpcConnection } from "./jsonrpc-connection.js";

export interface ClientInfo {
  name: string;
  title: string;
  version: string;
}

/** What `initialize` told us about the app-server; stored on the child state. */
export type ProtocolInfo = Record<string, unknown>;

/** The per-connection handshake: `initialize` answered within the timeout, then `initialized`. */
export async function handshake(connection: JsonRpcConnection, clientInfo: ClientInfo, timeoutMs: number): Promise<ProtocolInfo> {
  const result = await connection.request<unknown>("initialize", { clientInfo }, { timeoutMs });
  connection.notify("initialized");
  return typeof result === "object" && result !== null ? (result as ProtocolInfo) : { result };
}
