import { resolve } from "node:path";
import type { SessionRecord } from "../client/index.js";
import type { CommandSpec, GroupSpec, OptionSpecs } from "./args.js";
import type { Context } from "./context.js";
import { compactTime, fullTime, statusStyle, type Column } from "./output.js";

export const SESSION_STATUSES = ["idle", "active", "closed", "failed"] as const;

/** `--limit` and `--cursor`, shared by the list commands. */
export const PAGE_OPTIONS: OptionSpecs = {
  limit: { type: "string", value: "N", integer: { min: 1, max: 500 }, description: "at most N (default 50)" },
  cursor: { type: "string", value: "CURSOR", description: "the next page, as printed after a full page" },
};

export function pageQuery(input: { number(n: string): number | undefined; string(n: string): string | undefined }) {
  const limit = input.number("limit");
  const cursor = input.string("cursor");
  return { ...(limit !== undefined ? { limit } : {}), ...(cursor !== undefined ? { cursor } : {}) };
}

export function noteNextPage(ctx: Context, nextCursor: string | null): void {
  if (nextCursor) ctx.ui.note(`more: --cursor ${nextCursor}`);
}

const COLUMNS: Column<SessionRecord>[] = [
  { header: "SESSION", value: (s) => s.sessionId, max: 36 },
  { header: "STATUS", value: (s) => s.status, style: statusStyle },
  { header: "TURNS", value: (s) => s.turnCount ?? 0 },
  { header: "MODEL", value: (s) => s.model, max: 20 },
  { header: "UPDATED", value: (s) => compactTime(s.updatedAt) },
  { header: "CWD", value: (s) => s.cwd, max: 60, flex: true },
];

export function printSession(ctx: Context, s: SessionRecord): void {
  ctx.ui.record([
    ["session", s.sessionId],
    ["status", s.status],
    ["thread", s.threadId],
    ["current turn", s.currentTurnId],
    ["turns", s.turnCount ?? 0],
    ["cwd", s.cwd],
    ["model", s.model],
    ["approvals", s.approvals ?? "daemon default"],
    ["created", fullTime(s.createdAt)],
    ["updated", fullTime(s.updatedAt)],
    ...(s.closedAt ? [["closed", fullTime(s.closedAt)] as const] : []),
    ...(s.metadata ? [["metadata", s.metadata] as const] : []),
  ]);
}

const list: CommandSpec = {
  name: "sessions list",
  summary: "List sessions, newest first",
  options: { status: { type: "string", choices: SESSION_STATUSES, description: "only sessions in this status" }, ...PAGE_OPTIONS },
  async run(ctx, input) {
    const status = input.string("status") as SessionRecord["status"] | undefined;
    const page = await ctx.client.sessions.list({ ...(status ? { status } : {}), ...pageQuery(input) });
    if (ctx.ui.json) return ctx.ui.document(page);
    ctx.ui.table(page.sessions, COLUMNS, "No sessions.");
    noteNextPage(ctx, page.nextCursor);
  },
};

const show: CommandSpec = {
  name: "sessions show",
  args: ["ID"],
  summary: "Show one session",
  async run(ctx, input) {
    const session = await ctx.client.sessions.get(input.arg(0));
    if (ctx.ui.json) return ctx.ui.document(session);
    printSession(ctx, session);
  },
};

const create: CommandSpec = {
  name: "sessions create",
  summary: "Create a session: a new Codex thread",
  options: {
    cwd: { type: "string", value: "DIR", description: "working directory of the thread, relative to yours (default: the daemon's child cwd)" },
    model: { type: "string", value: "MODEL", description: "model to use" },
    approvals: { type: "string", choices: ["manual", "accept", "decline"], description: "how approval requests are answered (default: the daemon's policy)" },
  },
  async run(ctx, input) {
    const cwd = input.string("cwd");
    const model = input.string("model");
    const approvals = input.string("approvals") as "manual" | "accept" | "decline" | undefined;
    const session = await ctx.client.sessions.create({
      ...(cwd !== undefined ? { cwd: resolve(cwd) } : {}),
      ...(model !== undefined ? { model } : {}),
      ...(approvals !== undefined ? { approvals } : {}),
    });
    if (ctx.ui.json) return ctx.ui.document(session);
    printSession(ctx, session);
  },
};

export const sessionsGroup: GroupSpec = {
  name: "sessions",
  summary: "Create, list and show sessions (Codex threads)",
  commands: [list, show, create],
};
