import { Writable } from "node:stream";
import pino, { type Logger } from "pino";

/** A pino logger (at warn unless told) whose JSON lines are kept, parsed, in `lines`. */
export function logCapture(level = "warn"): { lines: Array<Record<string, unknown>>; logger: Logger } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level }, stream) };
}
