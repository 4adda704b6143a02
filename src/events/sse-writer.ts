import type { ServerResponse } from "node:http";

/** Writes Server-Sent Events to a raw response, honouring backpressure. */
export class SseWriter {
  private ended = false;

  constructor(private readonly res: ServerResponse) {
    res.on("close", () => (this.ended = true));
  }

  get closed(): boolean {
    return this.ended || this.res.destroyed;
  }

  open(headers: Record<string, string> = {}): void {
    this.res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      ...headers,
    });
    this.res.flushHeaders();
  }

  /** Write one event; resolves when the socket can take more. */
  send(event: { id?: number | string; event?: string; data: string }): Promise<void> {
    let frame = "";
    if (event.id !== undefined) frame += `id: ${event.id}\n`;
    if (event.event) frame += `event: ${event.event}\n`;
    for (const line of event.data.split("\n")) frame += `data: ${line}\n`;
    return this.write(`${frame}\n`);
  }

  comment(text: string): Promise<void> {
    return this.write(`: ${text}\n\n`);
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
    this.ended = true;
  }

  private write(text: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.res.write(text)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.res.off("drain", done);
        this.res.off("close", done);
        resolve();
      };
      this.res.once("drain", done);
      this.res.once("close", done);
    });
  }
}
