import type { JsonRpcConnection } from "../codex/jsonrpc-connection.js";
import { JsonRpcClosedError, JsonRpcRemoteError } from "../codex/jsonrpc-errors.js";

export interface LivenessOptions {
  intervalMs: number;
  timeoutMs: number;
  failures: number;
  /** A cheap request every app-server answers from memory. */
  method?: string;
  onFailure: (consecutive: number, error: Error) => void;
  onDead: () => void;
}

/**
 * Periodic liveness probe over the JSON-RPC connection. An error answer still proves the
 * server is alive; only silence (timeout) counts as a failure. One probe in flight at a time.
 */
export class LivenessProbe {
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;
  private consecutive = 0;

  constructor(
    private readonly connection: JsonRpcConnection,
    private readonly options: LivenessOptions,
  ) {}

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.probe(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async probe(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      await this.connection.request(this.options.method ?? "thread/loaded/list", {}, { timeoutMs: this.options.timeoutMs });
      this.consecutive = 0;
    } catch (error) {
      if (error instanceof JsonRpcRemoteError) this.consecutive = 0;
      else if (!(error instanceof JsonRpcClosedError) && this.timer) {
        this.consecutive++;
        this.options.onFailure(this.consecutive, error as Error);
        if (this.consecutive >= this.options.failures) {
          this.stop();
          this.options.onDead();
        }
      }
    } finally {
      this.inFlight = false;
    }
  }
}
