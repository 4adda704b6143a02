import { open, readFile, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { FILE_MODE } from "./durable-fs.js";

/** Text waiting for the disk at most; beyond it output is dropped and a marker line says how much. */
const MAX_PENDING_CHARS = 8 * 1024 * 1024;
/** Characters gathered into one write. */
const WRITE_CHARS = 1024 * 1024;

/**
 * An append-only text log rotated by size into `<path>.1` .. `<path>.<keep>`. Used for the
 * child's stdout/stderr capture: written in order, not fsynced (losing the last lines of a
 * diagnostic log in a power cut is acceptable; blocking the child's output on fsync is not).
 * Appends are gathered into large writes, and what waits for the disk is bounded, so a child
 * printing in a tight loop costs memory and syscalls in proportion to the disk, not to its lines.
 */
export class RotatingLogFile {
  private handle: FileHandle | null = null;
  private size = 0;
  private pending: string[] = [];
  private pendingChars = 0;
  private droppedChars = 0;
  private draining = false;
  private drained: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly keepFiles: number,
  ) {}

  /** Appends in call order; resolves once written; never rejects (a failing log must not take the daemon down). */
  append(text: string): Promise<void> {
    if (this.pendingChars + text.length > MAX_PENDING_CHARS) {
      this.droppedChars += text.length;
    } else {
      this.pending.push(text);
      this.pendingChars += text.length;
    }
    if (!this.draining) {
      this.draining = true;
      this.drained = this.drain();
    }
    return this.drained;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        let take = 0;
        let chars = 0;
        while (take < this.pending.length && chars < WRITE_CHARS) chars += this.pending[take++]!.length;
        const text = this.pending.splice(0, take).join("");
        this.pendingChars -= text.length;
        await this.write(text).catch(() => {});
        if (this.droppedChars > 0 && this.pendingChars < MAX_PENDING_CHARS / 2) {
          const marker = `\n[codexd: ${this.droppedChars} characters of output dropped: the log was not written fast enough]\n`;
          this.droppedChars = 0;
          this.pending.push(marker);
          this.pendingChars += marker.length;
        }
      }
    } finally {
      // Set in the same step as the loop's last check: an append after it starts a new drain.
      this.draining = false;
    }
  }

  /** The last `lines` lines across the live file and its newest rotation. */
  async tail(lines: number): Promise<string[]> {
    await this.drained;
    const read = async (p: string) => readFile(p, "utf8").catch(() => "");
    let text = await read(this.path);
    let found = text.split("\n");
    if (found.at(-1) === "") found.pop();
    if (found.length < lines && this.keepFiles > 0) {
      text = await read(`${this.path}.1`);
      const older = text.split("\n");
      if (older.at(-1) === "") older.pop();
      found = [...older, ...found];
    }
    return found.slice(-lines);
  }

  async close(): Promise<void> {
    await this.drained;
    await this.handle?.close();
    this.handle = null;
  }

  private async write(text: string): Promise<void> {
    if (!this.handle) {
      this.handle = await open(this.path, "a", FILE_MODE);
      this.size = (await stat(this.path)).size;
    }
    const data = Buffer.from(text, "utf8");
    await this.handle.write(data);
    this.size += data.length;
    if (this.size >= this.maxBytes) await this.rotate();
  }

  private async rotate(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
    for (let n = this.keepFiles; n >= 1; n--) {
      const from = n === 1 ? this.path : `${this.path}.${n - 1}`;
      await rename(from, `${this.path}.${n}`).catch(() => {});
    }
    if (this.keepFiles === 0) await unlink(this.path).catch(() => {});
  }
}
