/** Longest line a follower of the child's output is sent; the log file keeps the whole output. */
export const FOLLOW_LINE_MAX_CHARS = 16 * 1024;

export const cutMarker = (max: number) => ` [… cut: line longer than ${max} characters]`;

/** A line over `max` characters: its first `max` and a marker saying it was cut. */
export const cutLine = (line: string, max = FOLLOW_LINE_MAX_CHARS) => (line.length > max ? line.slice(0, max) + cutMarker(max) : line);

/**
 * Cuts text arriving in chunks into lines, holding at most `max` characters of an unfinished
 * line: a longer one is sent as soon as it crosses the cap (cut, with a marker) and the rest of it
 * up to its newline is skipped. Each character is looked at once, so the work is linear in the
 * output however long its lines are.
 */
export class LineCutter {
  private pieces: string[] = [];
  private held = 0;
  private skipping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly max = FOLLOW_LINE_MAX_CHARS,
  ) {}

  push(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      this.hold(text, start, nl === -1 ? text.length : nl);
      if (nl === -1) return;
      if (!this.skipping) this.onLine(this.pieces.join(""));
      this.pieces = [];
      this.held = 0;
      this.skipping = false;
      start = nl + 1;
    }
  }

  private hold(text: string, from: number, to: number): void {
    if (this.skipping || from === to) return;
    if (this.held + (to - from) <= this.max) {
      this.pieces.push(text.slice(from, to));
      this.held += to - from;
      return;
    }
    this.pieces.push(text.slice(from, from + this.max - this.held));
    this.onLine(this.pieces.join("") + cutMarker(this.max));
    this.pieces = [];
    this.held = 0;
    this.skipping = true;
  }
}
