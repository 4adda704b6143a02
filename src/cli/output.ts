/**
 * Everything the client commands print: aligned tables, key/value blocks, compact times, colour
 * (only on a TTY without NO_COLOR) and the --json documents.
 */

export interface Writable {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const STYLES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], blue: [34, 39], cyan: [36, 39] } as const;
export type Style = keyof typeof STYLES;

/** Colour is for people: a terminal, and NO_COLOR (https://no-color.org) not set to anything. */
export function colorWanted(stream: Writable, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

const GOOD = new Set(["completed", "running", "ready", "resolved", "idle", "ok", "true"]);
const BAD = new Set(["failed", "fatal", "cancelled", "timed_out", "interrupted", "exited", "expired", "error", "closed", "false"]);
const WAITING = new Set(["queued", "pending", "starting", "stopping", "backoff", "inProgress", "active", "warn", "stopped"]);

/** The colour that says how a status went. */
export function statusStyle(status: string): Style | undefined {
  if (GOOD.has(status)) return "green";
  if (BAD.has(status)) return "red";
  if (WAITING.has(status)) return "yellow";
  return undefined;
}

// Terminal control characters in daemon-provided text must not reach the terminal as such.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** One line of text: whitespace runs become one space, control characters are dropped. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").replace(CONTROL, "").trim();
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return max <= 1 ? text.slice(0, max) : `${text.slice(0, max - 1)}…`;
}

const pad2 = (n: number) => String(n).padStart(2, "0");
const dateOf = (d: Date) => `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
const timeOf = (d: Date) => `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;

/** For tables, in local time: `13:08:59` today, `11-23 13:08` this year, else `2025-11-23`. */
export function compactTime(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return "-";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (dateOf(d) === dateOf(now)) return timeOf(d);
  if (d.getFullYear() === now.getFullYear()) return `${dateOf(d).slice(5)} ${timeOf(d).slice(0, 5)}`;
  return dateOf(d);
}

/** `850ms`, `12.3s`, `4m05s`, `2h03m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${pad2(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${pad2(Math.floor(s / 60) % 60)}m`;
}

/** For key/value blocks: `2026-11-24 13:08:59 (3m05s ago)`, local time. */
export function fullTime(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return "-";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const ago = now.getTime() - d.getTime();
  return `${dateOf(d)} ${timeOf(d)}${ago >= 0 ? ` (${formatDuration(ago)} ago)` : ""}`;
}

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | null | undefined;
  /** Longest cell before it is cut with `…` (default 40). */
  max?: number;
  /** The column that gives up width when a terminal is too narrow. */
  flex?: boolean;
  style?: (cell: string) => Style | undefined;
}

type Cell = string | number | boolean | null | undefined;
const cellText = (value: Cell) => (value === null || value === undefined || value === "" ? "-" : oneLine(String(value)));

export class Ui {
  constructor(
    readonly out: Writable,
    readonly err: Writable,
    readonly json: boolean,
    readonly color: boolean,
  ) {}

  paint(text: string, style: Style | undefined): string {
    if (!this.color || !style) return text;
    const [on, off] = STYLES[style];
    return `\u001b[${on}m${text}\u001b[${off}m`;
  }

  line(text = ""): void {
    this.out.write(`${text}\n`);
  }

  /** The API's JSON as one document (pretty), or one compact line per item when following. */
  document(value: unknown): void {
    this.out.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  jsonLine(value: unknown): void {
    this.out.write(`${JSON.stringify(value)}\n`);
  }

  /** A note for the person (stderr, so stdout stays parseable). */
  note(text: string): void {
    this.err.write(`${this.err.isTTY ? this.paint(text, "dim") : text}\n`);
  }

  /** Something that went wrong (stderr, red on a terminal). */
  error(text: string): void {
    this.err.write(`${this.err.isTTY ? this.paint(text, "red") : text}\n`);
  }

  table<T>(rows: readonly T[], columns: readonly Column<T>[], empty: string): void {
    if (rows.length === 0) return this.note(empty);
    const cells = rows.map((row) => columns.map((c) => truncate(cellText(c.value(row)), c.max ?? 40)));
    const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
    this.fitToTerminal(columns, widths);
    const render = (values: string[], styleOf: (i: number, v: string) => Style | undefined) =>
      values
        .map((v, i) => {
          const text = truncate(v, widths[i]!);
          return this.paint(i === values.length - 1 ? text : text.padEnd(widths[i]!), styleOf(i, text));
        })
        .join("  ")
        .trimEnd();
    this.line(render(columns.map((c) => c.header), () => "bold"));
    for (const row of cells) this.line(render(row, (i, v) => columns[i]!.style?.(v)));
  }

  /** Key/value block: keys aligned, `-` for no value, objects as compact JSON. */
  record(pairs: ReadonlyArray<readonly [string, unknown, Style?]>): void {
    const width = Math.max(...pairs.map(([key]) => key.length));
    for (const [key, value, style] of pairs) {
      const text = value === null || value === undefined || value === "" ? "-" : typeof value === "object" ? JSON.stringify(value) : String(value);
      const shown = text.replace(CONTROL, "").split("\n").join(`\n${" ".repeat(width + 3)}`);
      this.line(`${this.paint(`${key}:`.padEnd(width + 1), "dim")}  ${this.paint(shown, style ?? statusStyle(text))}`);
    }
  }

  private fitToTerminal<T>(columns: readonly Column<T>[], widths: number[]): void {
    const flex = columns.findIndex((c) => c.flex);
    const available = this.out.isTTY ? this.out.columns : undefined;
    if (flex < 0 || !available) return;
    const total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
    if (total > available) widths[flex] = Math.max(columns[flex]!.header.length, 8, widths[flex]! - (total - available));
  }
}
