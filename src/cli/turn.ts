import type { CommandSpec } from "./args.js";
import { withProgress } from "./progress.js";
import { durationBetween, reportEnding, waitForTurn } from "./wait.js";

export const turnCommand: CommandSpec = {
  name: "turn",
  args: ["SESSION", "TEXT"],
  summary: "Start a turn on a session: send TEXT to its Codex thread",
  description: "With --wait, show progress on stderr until the turn ends, then print its final message; exit 7 when it ended other than `completed`.",
  options: {
    wait: { type: "boolean", short: "w", description: "wait for the turn to end and print the final message" },
    steer: { type: "boolean", short: "s", description: "if the session has an active turn, add TEXT to it instead of failing" },
  },
  async run(ctx, input) {
    const sessionId = input.arg(0);
    const accepted = await ctx.client.sessions.startTurn(sessionId, { input: input.arg(1), ...(input.flag("steer") ? { steer: true } : {}) });
    if (!input.flag("wait")) {
      if (ctx.ui.json) return ctx.ui.document(accepted);
      return ctx.ui.record([
        ["session", accepted.sessionId],
        ["turn", accepted.turnId],
        ["status", accepted.status],
        ["steered", accepted.steered ? "yes" : "no"],
      ]);
    }
    const label = `turn ${accepted.turnId}`;
    const turn = await withProgress(ctx.io.stderr, label, (progress) => waitForTurn(ctx.client, sessionId, accepted.turnId, progress));
    if (ctx.ui.json) ctx.ui.document(turn);
    return reportEnding(ctx.ui, {
      what: label,
      status: turn.status,
      finalMessage: turn.finalMessage,
      error: turn.error,
      durationMs: durationBetween(turn.startedAt ?? turn.createdAt, turn.completedAt),
    });
  },
};
