import type { Logger } from "pino";
import type { ProtocolErrorInfo } from "../codex/jsonrpc-connection.js";
import type { StateStore } from "../state/store.js";

/**
 * Records what the child printed that is not protocol as `child.protocol_error` events, at most
 * `perSecond` a second; the rest are counted and reported in the next recorded event, so a
 * child printing garbage in a loop cannot flood the event log.
 */
export class ProtocolErrorThrottle {
  /** performance.now() at the start of the current one-second window. */
  private windowStart = -Infinity;
  private inWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly store: StateStore,
    private readonly logger: Logger,
    private readonly perSecond = 20,
  ) {}

  record(info: ProtocolErrorInfo): void {
    const now = performance.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (++this.inWindow > this.perSecond) {
      this.suppressed++;
      return;
    }
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.store
      .recordEvent({
        level: "warn",
        type: "child.protocol_error",
        message: `child printed a line that is not protocol (${info.kind}, ${info.bytes} bytes)`,
        detail: { kind: info.kind, bytes: info.bytes, sample: info.sample, suppressedBefore: suppressed },
      })
      .catch((error: unknown) => this.logger.error({ err: error }, "cannot record protocol error"));
  }
}
