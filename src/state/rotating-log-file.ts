import { open, readFile, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { FILE_MODE } from "./durable-fs.js";

/**
 * An append-only text log rotated by size into `<path>.1` .. `<path>.<keep>`. Used for the
 * child's stdout/stderr capture: written in order, not fsynced (losing the last lines of a
 * diagnostic log in a power cut is acceptable; blocking the child's output on fsync is not).
 */
export class RotatingLogFile {
  private handle: FileHandle | null = null;
  private size = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly keepFiles: number,
  ) {}

  /** Appends in call order; never rejects (a failing log must not take the daemon down). */
  append(text: string): Promise<void> {
    this.chain = this.chain.then(() => this.write(text)).catch(() => {});
    return this.chain;
  }

  /** The last `lines` lines across the live file and its newest rotation. */
  async tail(lines: number): Promise<string[]> {
    await this.chain;
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
    await this.chain;
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
