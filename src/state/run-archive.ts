import { createReadStream } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import type { RunRecord } from "../../schemas/runs.js";
import { FILE_MODE } from "./durable-fs.js";
import { findValidEnd } from "./jsonl-repair.js";

interface Location {
  offset: number;
  length: number;
}

function parseRun(line: string): { runId: string; idempotencyKey?: unknown } | null {
  try {
    const value = JSON.parse(line) as { runId?: unknown; idempotencyKey?: unknown } | null;
    return typeof value?.runId === "string" ? (value as { runId: string }) : null;
  } catch {
    return null;
  }
}

const runIdOf = (line: string) => parseRun(line)?.runId ?? null;

/**
 * Finished runs that left run-registry.json: append-only JSONL with an in-memory index of where
 * each run's line is, so the registry file stays small while every run stays findable.
 */
export class RunArchive {
  private handle: FileHandle | null = null;
  private size = 0;
  private readonly index = new Map<string, Location>();
  private readonly keys = new Map<string, string>();

  constructor(private readonly path: string) {}

  get count(): number {
    return this.index.size;
  }

  async open(): Promise<{ cutBytes: number }> {
    this.handle = await open(this.path, "a+", FILE_MODE);
    const { size } = await this.handle.stat();
    const { end } = await findValidEnd(this.handle, size, runIdOf);
    if (end < size) {
      await this.handle.truncate(end);
      await this.handle.datasync();
    }
    this.size = end;
    await this.buildIndex(end);
    return { cutBytes: size - end };
  }

  has(runId: string): boolean {
    return this.index.has(runId);
  }

  /** The archived run created with this Idempotency-Key, if any. */
  runIdForKey(key: string): string | null {
    return this.keys.get(key) ?? null;
  }

  /** Durably append runs; the caller drops them from the registry only after this resolves. */
  async append(runs: readonly RunRecord[]): Promise<void> {
    if (!this.handle) throw new Error("run archive is not open");
    let offset = this.size;
    const pieces: Buffer[] = [];
    const located: [string, Location][] = [];
    for (const run of runs) {
      const line = Buffer.from(`${JSON.stringify(run)}\n`, "utf8");
      located.push([run.runId, { offset, length: line.length - 1 }]);
      if (run.idempotencyKey) this.keys.set(run.idempotencyKey, run.runId);
      pieces.push(line);
      offset += line.length;
    }
    const data = Buffer.concat(pieces);
    await this.handle.write(data, 0, data.length, null);
    await this.handle.datasync();
    this.size = offset;
    for (const [id, location] of located) this.index.set(id, location);
  }

  async get(runId: string): Promise<RunRecord | null> {
    const location = this.index.get(runId);
    if (!location || !this.handle) return null;
    const buf = Buffer.alloc(location.length);
    await this.handle.read(buf, 0, location.length, location.offset);
    return Object.freeze(JSON.parse(buf.toString("utf8")) as RunRecord);
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
  }

  private async buildIndex(end: number): Promise<void> {
    if (end === 0) return;
    // Lines end at the byte \n only, and offsets count bytes. (node:readline would also end a
    // line at U+2028/U+2029 from Node 24 on, which JSON strings hold raw, losing the run on it
    // and shifting every later offset.)
    let offset = 0;
    let held: Buffer[] = [];
    for await (const chunk of createReadStream(this.path, { start: 0, end: end - 1 }) as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
        held.push(chunk.subarray(from, nl));
        const line = Buffer.concat(held);
        held = [];
        this.indexLine(line, offset);
        offset += line.length + 1;
        from = nl + 1;
      }
      if (from < chunk.length) held.push(chunk.subarray(from));
    }
    if (held.length > 0) this.indexLine(Buffer.concat(held), offset);
  }

  private indexLine(line: Buffer, offset: number): void {
    const run = parseRun(line.toString("utf8"));
    if (!run) return;
    this.index.set(run.runId, { offset, length: line.length });
    if (typeof run.idempotencyKey === "string") this.keys.set(run.idempotencyKey, run.runId);
  }
}
