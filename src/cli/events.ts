import type { CodexdEvent, EventGap } from "../client/index.js";
import type { CommandSpec, Input } from "./args.js";
import type { Context } from "./context.js";
import { compactTime, oneLine, type Column, type Style } from "./output.js";

const LEVELS = ["debug", "info", "warn", "error"] as const;
type Level = (typeof LEVELS)[number];

const LEVEL_STYLES: Record<string, Style> = { error: "red", warn: "yellow", debug: "dim" };
const levelStyle = (level: string): Style | undefined => LEVEL_STYLES[level];

const COLUMNS: Column<CodexdEvent>[] = [
  { header: "SEQ", value: (e) => e.seq },
  { header: "TIME", value: (e) => compactTime(e.createdAt) },
  { header: "LEVEL", value: (e) => e.level, style: levelStyle },
  { header: "TYPE", value: (e) => e.type, max: 32 },
  { header: "MESSAGE", value: (e) => e.message, max: 100, flex: true },
];

function filterOf(input: Input) {
  const pairs: Array<[string, string | undefined]> = [
    ["type", input.string("type")],
    ["level", input.string("level")],
    ["sessionId", input.string("session")],
    ["runId", input.string("run")],
  ];
  return Object.fromEntries(pairs.filter(([, v]) => v !== undefined)) as { type?: string; level?: Level; sessionId?: string; runId?: string };
}

function eventLine(ctx: Context, e: CodexdEvent): string {
  const level = ctx.ui.paint(e.level.padEnd(5), levelStyle(e.level));
  return `${String(e.seq).padStart(6)}  ${compactTime(e.createdAt)}  ${level}  ${e.type.padEnd(24)}  ${oneLine(e.message)}`;
}

/** Lost events are said out loud (stderr, so stdout stays the events alone), never skipped silently. */
function warnGap(ctx: Context, gap: EventGap): void {
  const which = gap.from === gap.to ? `event ${gap.from} is` : `events ${gap.from} to ${gap.to} are`;
  ctx.ui.error(`warning: ${which} no longer kept by the daemon and were skipped; going on from seq ${gap.oldestSeq}`);
}

/** Print events as they are recorded until Ctrl-C, the daemon's shutdown, or `limit` events. */
async function follow(ctx: Context, input: Input): Promise<void> {
  // The stream reconnects by itself; ask once first so a daemon that is not there says so.
  await ctx.client.listEvents({ limit: 1 });
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once("SIGINT", stop).once("SIGTERM", stop);
  const after = input.number("after");
  const limit = input.number("limit") ?? Infinity;
  let count = 0;
  try {
    for await (const event of ctx.client.streamEvents({ ...filterOf(input), ...(after !== undefined ? { after } : {}), signal: abort.signal, onGap: (gap) => warnGap(ctx, gap) })) {
      if (ctx.ui.json) ctx.ui.jsonLine(event);
      else ctx.ui.line(eventLine(ctx, event));
      if (++count >= limit) return;
    }
    if (!abort.signal.aborted) ctx.ui.note("the event stream ended: the daemon is shutting down");
  } finally {
    process.removeListener("SIGINT", stop).removeListener("SIGTERM", stop);
  }
}

export const eventsCommand: CommandSpec = {
  name: "events",
  summary: "List recorded events, oldest first, or follow them live",
  description:
    "Without --follow: one page of events after --after (default: from the oldest kept). With --follow: events as they are recorded, starting at the live tail, or after --after N (replaying from there); reconnects without gaps until Ctrl-C.",
  options: {
    follow: { type: "boolean", short: "f", description: "keep printing events as they are recorded" },
    after: { type: "string", value: "N", integer: { min: 0, max: Number.MAX_SAFE_INTEGER }, description: "only events with a seq greater than N" },
    type: { type: "string", value: "T", description: "exact type, or a prefix ending in '.' (e.g. run.)" },
    level: { type: "string", choices: LEVELS, description: "minimum level" },
    session: { type: "string", value: "ID", description: "only events of this session" },
    run: { type: "string", value: "ID", description: "only events of this run" },
    limit: { type: "string", value: "N", integer: { min: 1, max: 1000 }, description: "at most N events (default 100; with --follow: stop after N)" },
  },
  async run(ctx, input) {
    if (input.flag("follow")) return follow(ctx, input);
    const after = input.number("after");
    const limit = input.number("limit");
    const query = { ...filterOf(input), ...(after !== undefined ? { after } : {}), ...(limit !== undefined ? { limit } : {}) };
    const page = await ctx.client.listEvents(query, { onGap: (gap) => warnGap(ctx, gap) });
    if (ctx.ui.json) return ctx.ui.document(page);
    ctx.ui.table(page.events, COLUMNS, "No events.");
    if (page.nextAfter !== null) ctx.ui.note(`more: --after ${page.nextAfter}`);
  },
};
