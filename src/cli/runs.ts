import { resolve } from "node:path";
import type { CreateRunBody } from "../../schemas/runs.js";
import type { RunRecord } from "../client/index.js";
import type { CommandSpec, GroupSpec, Input } from "./args.js";
import type { Context } from "./context.js";
import { EXIT, UsageError, type ExitCode } from "./exit-codes.js";
import { compactTime, formatDuration, fullTime, oneLine, statusStyle, truncate, type Column } from "./output.js";
import { withProgress } from "./progress.js";
import { PAGE_OPTIONS, noteNextPage, pageQuery } from "./sessions.js";
import { reportEnding, waitForRun } from "./wait.js";

const RUN_STATUSES = ["queued", "running", "completed", "failed", "cancelled", "timed_out", "interrupted"] as const;

const COLUMNS: Column<RunRecord>[] = [
  { header: "RUN", value: (r) => r.runId, max: 36 },
  { header: "STATUS", value: (r) => r.status, style: statusStyle },
  { header: "CREATED", value: (r) => compactTime(r.createdAt) },
  { header: "DURATION", value: (r) => (typeof r.durationMs === "number" ? formatDuration(r.durationMs) : null) },
  { header: "PROMPT", value: (r) => r.prompt, max: 60, flex: true },
];

function printRun(ctx: Context, run: RunRecord, extra: ReadonlyArray<readonly [string, unknown]> = []): void {
  ctx.ui.record([
    ["run", run.runId],
    ["status", run.status],
    ...extra,
    ["session", run.sessionId],
    ["turn", run.turnId],
    ["prompt", run.prompt === undefined ? null : truncate(oneLine(run.prompt), 200)],
    ["created", fullTime(run.createdAt)],
    ["started", fullTime(run.startedAt)],
    ["finished", fullTime(run.finishedAt)],
    ["duration", typeof run.durationMs === "number" ? formatDuration(run.durationMs) : null],
    ["cwd", run.cwd],
    ["model", run.model],
    ["timeout", typeof run.timeoutMs === "number" ? formatDuration(run.timeoutMs) : null],
    ["idempotency key", run.idempotencyKey],
    ["workspace", run.workspace ? `${run.workspace.mode} ${run.workspace.path} (${run.workspace.status})` : null],
    ["branch", run.workspace?.branch ?? null],
    ["commit", run.commit ? `${run.commit.sha} on ${run.commit.branch}` : null],
    ["changes", run.changes?.length ? run.changes.map((c) => `${c.status} ${c.path}`).join(", ") : null],
    ["approvals", run.approvals?.length ? run.approvals.map((a) => `${a.kind} ${a.status}`).join(", ") : null],
    ["error", run.error ? `${run.error.code}: ${run.error.message}` : null, run.error ? "red" : undefined],
    ["final message", run.finalMessage],
  ]);
}

/** Wait with a progress indicator, then print the outcome; the exit code says how it ended. */
async function awaitRun(ctx: Context, runId: string, timeoutMs?: number): Promise<ExitCode> {
  const label = `run ${runId}`;
  const { record: run, timedOut } = await withProgress(ctx.io.stderr, label, (progress) => waitForRun(ctx.client, runId, progress, timeoutMs));
  if (ctx.ui.json) ctx.ui.document(run);
  if (timedOut) {
    ctx.ui.error(`${label} is still ${run.status} after ${formatDuration(timeoutMs ?? 0)}`);
    return EXIT.waitTimeout;
  }
  return reportEnding(ctx.ui, { what: label, status: run.status, finalMessage: run.finalMessage, error: run.error, durationMs: run.durationMs });
}

/** --repo and its companions as the run's workspace; none without --repo. */
function workspaceOf(input: Input): CreateRunBody["workspace"] | undefined {
  const repo = input.string("repo");
  const ref = input.string("ref");
  const branch = input.string("branch");
  const message = input.string("message");
  const companions = ["worktree", "in-place", "commit", "remove-worktree"].filter((f) => input.flag(f));
  if (repo === undefined) {
    if (companions.length > 0 || ref !== undefined || branch !== undefined || message !== undefined) throw new UsageError("--worktree, --in-place, --ref, --branch, --commit, --message and --remove-worktree need --repo DIR");
    return undefined;
  }
  if (input.flag("worktree") && input.flag("in-place")) throw new UsageError("--worktree and --in-place exclude each other");
  return {
    repo: resolve(repo),
    ...(input.flag("in-place") ? { mode: "in-place" as const } : { mode: "worktree" as const }),
    ...(ref !== undefined ? { ref } : {}),
    ...(branch !== undefined ? { branch } : {}),
    ...(input.flag("commit") ? { commit: true } : {}),
    ...(message !== undefined ? { message } : {}),
    ...(input.flag("remove-worktree") ? { keep: false } : {}),
  };
}

function createBody(input: Input): CreateRunBody {
  const sessionId = input.string("session");
  const cwd = input.string("cwd");
  const model = input.string("model");
  const timeoutMs = input.number("timeout-ms");
  const workspace = workspaceOf(input);
  return {
    ...(workspace !== undefined ? { workspace } : {}),
    prompt: input.arg(0),
    ...(sessionId !== undefined ? { sessionId } : {}),
    ...(cwd !== undefined ? { cwd: resolve(cwd) } : {}),
    ...(model !== undefined ? { model } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  };
}

const list: CommandSpec = {
  name: "runs list",
  summary: "List runs (active and recently finished), newest first",
  options: {
    status: { type: "string", choices: RUN_STATUSES, description: "only runs in this status" },
    session: { type: "string", value: "ID", description: "only runs of this session" },
    ...PAGE_OPTIONS,
  },
  async run(ctx, input) {
    const status = input.string("status") as RunRecord["status"] | undefined;
    const sessionId = input.string("session");
    const page = await ctx.client.runs.list({ ...(status ? { status } : {}), ...(sessionId ? { sessionId } : {}), ...pageQuery(input) });
    if (ctx.ui.json) return ctx.ui.document(page);
    ctx.ui.table(page.runs, COLUMNS, "No runs.");
    noteNextPage(ctx, page.nextCursor);
  },
};

const show: CommandSpec = {
  name: "runs show",
  args: ["ID"],
  summary: "Show one run, with its final message or error",
  async run(ctx, input) {
    const run = await ctx.client.runs.get(input.arg(0));
    if (ctx.ui.json) return ctx.ui.document(run);
    printRun(ctx, run);
  },
};

const create: CommandSpec = {
  name: "runs create",
  args: ["PROMPT"],
  summary: "Queue a run: PROMPT executed as a turn, on a new session unless --session is given",
  description: "With --wait, show progress on stderr until the run ends, then print its final message; exit 7 when it ended other than `completed`.",
  options: {
    session: { type: "string", value: "ID", description: "run on this session (default: a new one)" },
    cwd: { type: "string", value: "DIR", description: "working directory for a new session, relative to yours" },
    model: { type: "string", value: "MODEL", description: "model to use" },
    "timeout-ms": { type: "string", value: "N", integer: { min: 100, max: 86_400_000 }, description: "the run ends timed_out after N ms" },
    "idempotency-key": { type: "string", value: "KEY", description: "retrying with the same key and prompt returns the same run" },
    repo: { type: "string", value: "DIR", description: "work in this git repository: in a new worktree on a new branch (default) or, with --in-place, in its checkout" },
    worktree: { type: "boolean", description: "with --repo: a new git worktree on a new branch (the default)" },
    "in-place": { type: "boolean", description: "with --repo: work in the repository's own checkout" },
    ref: { type: "string", value: "REF", description: "with --repo: the commit the worktree starts from (default HEAD)" },
    branch: { type: "string", value: "NAME", description: "with --repo: the new branch's name (default codexd/<run id>)" },
    commit: { type: "boolean", description: "with --repo: commit the run's changes on the branch when it completes" },
    message: { type: "string", value: "TEXT", description: "with --commit: the commit message" },
    "remove-worktree": { type: "boolean", description: "with --repo: remove the worktree when the run ends (the branch stays)" },
    wait: { type: "boolean", short: "w", description: "wait for the run to end and print the final message" },
  },
  async run(ctx, input) {
    const run = await ctx.client.runs.create(createBody(input), input.string("idempotency-key"));
    if (input.flag("wait")) return awaitRun(ctx, run.runId);
    if (ctx.ui.json) return ctx.ui.document(run);
    printRun(ctx, run);
  },
};

const cancel: CommandSpec = {
  name: "runs cancel",
  args: ["ID"],
  summary: "Cancel a run: dequeue it, or interrupt its turn (a finished run is left as it is)",
  async run(ctx, input) {
    const result = await ctx.client.runs.cancel(input.arg(0));
    if (ctx.ui.json) return ctx.ui.document(result);
    printRun(ctx, result.run, [["changed", result.changed]]);
  },
};

const wait: CommandSpec = {
  name: "runs wait",
  args: ["ID"],
  summary: "Wait for a run to end and print its final message",
  description: "Exit 0 when it completed, 7 when it ended otherwise, 8 when --timeout-ms passed first.",
  options: { "timeout-ms": { type: "string", value: "N", integer: { min: 0, max: 86_400_000 }, description: "give up waiting after N ms (default: wait as long as it takes)" } },
  async run(ctx, input) {
    return awaitRun(ctx, input.arg(0), input.number("timeout-ms"));
  },
};

const diff: CommandSpec = {
  name: "runs diff",
  args: ["ID"],
  summary: "Print what a finished run changed, as a unified diff",
  description: "With --json, the diff with the run's changes (path, status, insertions, deletions) as one JSON document.",
  async run(ctx, input) {
    if (ctx.ui.json) return ctx.ui.document(await ctx.client.runs.diffJson(input.arg(0)));
    ctx.io.stdout.write(await ctx.client.runs.diff(input.arg(0)));
  },
};

export const runsGroup: GroupSpec = {
  name: "runs",
  summary: "Queue, list, wait for and cancel runs (one prompt each, executed as a turn)",
  commands: [list, show, create, cancel, wait, diff],
};
