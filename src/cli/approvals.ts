import type { ApprovalRecord } from "../client/index.js";
import type { CommandSpec, GroupSpec } from "./args.js";
import type { Context } from "./context.js";
import { UsageError } from "./exit-codes.js";
import { compactTime, fullTime, statusStyle, type Column } from "./output.js";
import { PAGE_OPTIONS, noteNextPage, pageQuery } from "./sessions.js";

const decisionText = (d: unknown) => (typeof d === "string" ? d : JSON.stringify(d));

const COLUMNS: Column<ApprovalRecord>[] = [
  { header: "APPROVAL", value: (a) => a.approvalId, max: 36 },
  { header: "STATUS", value: (a) => a.status, style: statusStyle },
  { header: "KIND", value: (a) => a.kind, max: 20 },
  { header: "CREATED", value: (a) => compactTime(a.createdAt) },
  { header: "DECISION", value: (a) => (a.status === "pending" ? `(${a.availableDecisions.map(decisionText).join("|")})` : decisionText(a.decision)), max: 40 },
  { header: "COMMAND", value: (a) => a.command ?? a.reason, max: 60, flex: true },
];

function printApproval(ctx: Context, a: ApprovalRecord): void {
  ctx.ui.record([
    ["approval", a.approvalId],
    ["status", a.status],
    ["kind", a.kind],
    ["session", a.sessionId],
    ["turn", a.turnId],
    ["command", a.command],
    ["cwd", a.cwd],
    ["reason", a.reason],
    ["decisions", a.availableDecisions.map(decisionText).join(", ")],
    ["decision", a.decision === null ? null : decisionText(a.decision)],
    ["decided by", a.decidedBy],
    ["created", fullTime(a.createdAt)],
    ["resolved", fullTime(a.resolvedAt)],
    ["expires", a.status === "pending" ? fullTime(a.expiresAt) : null],
  ]);
}

/** `accept` stays a string; JSON (`{"acceptWithExecpolicyAmendment": {...}}`, `"accept"`) is parsed. */
export function parseDecision(text: string): string | Record<string, unknown> {
  if (!/^\s*[{["]/.test(text)) return text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`DECISION looks like JSON but does not parse: ${(error as Error).message}`);
  }
  if (typeof value === "string" || (typeof value === "object" && value !== null && !Array.isArray(value))) return value as string | Record<string, unknown>;
  throw new UsageError("DECISION must be a string or a JSON object");
}

const list: CommandSpec = {
  name: "approvals list",
  summary: "List approval requests (commands, file changes, permissions) and how they ended",
  options: {
    status: { type: "string", choices: ["pending", "resolved", "expired"], description: "only approvals in this status" },
    session: { type: "string", value: "ID", description: "only approvals of this session" },
    ...PAGE_OPTIONS,
  },
  async run(ctx, input) {
    const status = input.string("status") as ApprovalRecord["status"] | undefined;
    const sessionId = input.string("session");
    const page = await ctx.client.approvals.list({ ...(status ? { status } : {}), ...(sessionId ? { sessionId } : {}), ...pageQuery(input) });
    if (ctx.ui.json) return ctx.ui.document(page);
    ctx.ui.table(page.approvals, COLUMNS, "No approvals.");
    noteNextPage(ctx, page.nextCursor);
  },
};

const decide: CommandSpec = {
  name: "approvals decide",
  args: ["ID", "DECISION"],
  summary: "Answer a pending approval request",
  description:
    'DECISION is one the request offers: a string such as accept, acceptForSession, decline or cancel, or a JSON object such as \'{"acceptWithExecpolicyAmendment": {"execpolicy_amendment": ["echo"]}}\'.',
  async run(ctx, input) {
    const approval = await ctx.client.approvals.decide(input.arg(0), parseDecision(input.arg(1)));
    if (ctx.ui.json) return ctx.ui.document(approval);
    printApproval(ctx, approval);
  },
};

const show: CommandSpec = {
  name: "approvals show",
  args: ["ID"],
  summary: "Show one approval request",
  async run(ctx, input) {
    const approval = await ctx.client.approvals.get(input.arg(0));
    if (ctx.ui.json) return ctx.ui.document(approval);
    printApproval(ctx, approval);
  },
};

export const approvalsGroup: GroupSpec = {
  name: "approvals",
  summary: "See and answer the app-server's approval requests",
  commands: [list, show, decide],
};
