import type { ChildState } from "../client/index.js";
import type { CommandSpec, GroupSpec } from "./args.js";
import type { Context } from "./context.js";
import { EXIT } from "./exit-codes.js";
import { fullTime, statusStyle } from "./output.js";

function printChild(ctx: Context, state: ChildState, extra: ReadonlyArray<readonly [string, unknown]> = []): void {
  ctx.ui.record([
    ["child", state.status, statusStyle(state.status)],
    ...extra,
    ["pid", state.pid],
    ["desired", state.desired],
    ["started", fullTime(state.startedAt)],
    ["restarts", state.restartCount ?? 0],
    ["last error", state.lastError ?? state.fatalReason],
  ]);
}

const start: CommandSpec = {
  name: "child start",
  summary: "Start the app-server child (nothing happens when it runs already)",
  options: { wait: { type: "boolean", description: "answer once the child is ready (exit 0) or has failed (exit 1); exit 8 after 30 s" } },
  async run(ctx, input) {
    const result = await ctx.client.child.start({ wait: input.flag("wait") });
    if (ctx.ui.json) ctx.ui.document(result);
    else printChild(ctx, result.state, [["changed", result.changed], ...(input.flag("wait") ? [["outcome", result.outcome] as const] : [])]);
    if (result.outcome === "failed") return EXIT.unexpected;
    if (result.outcome === "timeout") return EXIT.waitTimeout;
  },
};

const stop: CommandSpec = {
  name: "child stop",
  summary: "Stop the child: stdin EOF, then SIGTERM, then SIGKILL (it stays stopped across daemon restarts)",
  async run(ctx) {
    const result = await ctx.client.child.stop();
    if (ctx.ui.json) return ctx.ui.document(result);
    printChild(ctx, result.state, [["changed", result.changed]]);
  },
};

const restart: CommandSpec = {
  name: "child restart",
  summary: "Stop the child if it runs, then start it",
  async run(ctx) {
    const result = await ctx.client.child.restart();
    if (ctx.ui.json) return ctx.ui.document(result);
    printChild(ctx, result.state, [["changed", result.changed]]);
  },
};

async function followLogs(ctx: Context, stream: "stderr" | "stdout", tail: number | undefined): Promise<void> {
  const abort = new AbortController();
  const stopOnSignal = () => abort.abort();
  process.once("SIGINT", stopOnSignal).once("SIGTERM", stopOnSignal);
  try {
    for await (const line of ctx.client.followLogs({ stream, ...(tail !== undefined ? { tail } : {}), signal: abort.signal })) {
      if (ctx.ui.json) ctx.ui.jsonLine(line);
      else ctx.ui.line(line.line);
    }
    if (!abort.signal.aborted) ctx.ui.note("the log stream ended: the daemon is shutting down or closed it");
  } finally {
    process.removeListener("SIGINT", stopOnSignal).removeListener("SIGTERM", stopOnSignal);
  }
}

const logs: CommandSpec = {
  name: "child logs",
  summary: "Print the last lines the child wrote on stderr (or non-protocol stdout)",
  description: "With --follow, keep printing new lines until Ctrl-C or the daemon stops; --json then prints {\"stream\", \"line\"} per line.",
  options: {
    stream: { type: "string", choices: ["stderr", "stdout"], description: "which output (default stderr)" },
    tail: { type: "string", value: "N", integer: { min: 0, max: 10_000 }, description: "how many of the last lines (default 200)" },
    follow: { type: "boolean", short: "f", description: "then stream new lines as they are written" },
  },
  async run(ctx, input) {
    const stream = (input.string("stream") ?? "stderr") as "stderr" | "stdout";
    const tail = input.number("tail");
    if (input.flag("follow")) return followLogs(ctx, stream, tail);
    const result = await ctx.client.child.logs({ stream, ...(tail !== undefined ? { tail } : {}) });
    if (ctx.ui.json) return ctx.ui.document(result);
    for (const line of result.lines) ctx.ui.line(line);
  },
};

export const childGroup: GroupSpec = {
  name: "child",
  summary: "Control the supervised codex app-server child and read its output",
  commands: [start, stop, restart, logs],
};
