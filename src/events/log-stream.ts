import type { ChildSupervisor } from "../child/supervisor.js";
import type { StateStore } from "../state/store.js";
import { encodeFrame } from "./sse-writer.js";
import type { StreamEnd, StreamHandle } from "./stream-hub.js";
import type { EventStreamSettings } from "./event-stream.js";
import { SubscriberQueue } from "./subscriber-queue.js";

/**
 * Follow the child's output as SSE: the last `tail` lines from the log file first, then live
 * lines (`event:` is the stream name, `data:` one line). Subscribed before the tail is read, so a
 * line written in between may appear twice but is never lost.
 */
export async function serveLogStream(
  child: ChildSupervisor,
  store: StateStore,
  handle: StreamHandle,
  stream: "stderr" | "stdout",
  tail: number,
  settings: EventStreamSettings,
): Promise<StreamEnd> {
  const queue = new SubscriberQueue<string>(settings.queueCapacity);
  let partial = "";
  let delivered = 0;
  const unsubscribe = child.onOutput((output) => {
    if (output.stream !== stream) return;
    if (stream === "stdout") return queue.push(output.text);
    // stderr arrives in chunks: cut into whole lines, keep the rest for the next chunk.
    const pieces = (partial + output.text).split("\n");
    partial = pieces.pop() ?? "";
    for (const line of pieces) queue.push(line);
  });
  const { writer } = handle;
  const encode = (line: string) => {
    delivered++;
    return encodeFrame({ event: stream, data: line });
  };
  let how: StreamEnd = "client-closed";
  try {
    writer.open();
    await writer.write((await store.tailChildOutput(stream, tail)).map((line) => encodeFrame({ event: stream, data: line })).join(""));
    how = await handle.pump({
      queue,
      encode,
      heartbeatMs: settings.heartbeatMs,
      overflowEvent: () => ({ event: "overflow", data: JSON.stringify({ delivered, reason: "reader fell behind" }) }),
    });
    return how;
  } finally {
    unsubscribe();
    handle.end(how);
  }
}
