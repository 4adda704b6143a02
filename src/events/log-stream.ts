import type { ChildSupervisor } from "../child/supervisor.js";
import type { StateStore } from "../state/store.js";
import { encodeFrame } from "./sse-writer.js";
import type { StreamEnd, StreamHandle } from "./stream-hub.js";
import type { EventStreamSettings } from "./event-stream.js";
import { SubscriberQueue } from "./subscriber-queue.js";
import { LineCutter, cutLine } from "../child/line-cutter.js";

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
  // Weighed by size (a unit per KiB), so a reader that falls behind on long lines is ended before
  // its queue holds more than about queueCapacity KiB.
  const queue = new SubscriberQueue<string>(settings.queueCapacity, (line) => 1 + (line.length >> 10));
  // stderr arrives in chunks: cut into whole lines, holding at most a capped unfinished one.
  const lines = new LineCutter((line) => queue.push(line));
  let delivered = 0;
  const unsubscribe = child.onOutput((output) => {
    if (output.stream !== stream) return;
    if (stream === "stdout") return queue.push(cutLine(output.text));
    lines.push(output.text);
  });
  const { writer } = handle;
  const encode = (line: string) => {
    delivered++;
    return encodeFrame({ event: stream, data: line });
  };
  let how: StreamEnd = "client-closed";
  try {
    writer.open();
    await writer.write((await store.tailChildOutput(stream, tail)).map((line) => encodeFrame({ event: stream, data: cutLine(line) })).join(""));
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
