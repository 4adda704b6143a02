import type { CommandSpec } from "./args.js";
import type { Context } from "./context.js";
import { formatDuration, fullTime, statusStyle } from "./output.js";
import type { StatusResponse } from "../client/index.js";
import { describeAccount } from "../codex/account.js";

const counts = (byStatus: Record<string, number>) =>
  Object.entries(byStatus)
    .map(([status, n]) => `${status} ${n}`)
    .join(", ");

/** A row only while the event log cannot rotate: it then grows past its size. */
function rotationRow(rotation: StatusResponse["events"]["rotation"]): [string, string, "red"][] {
  if (rotation.status === "ok") return [];
  return [["event log", `not rotating since ${fullTime(rotation.since)}: ${rotation.cause ?? "error"} (${rotation.reason ?? ""})`, "red"]];
}

function printStatus({ ui, url }: Context, s: StatusResponse): void {
  const { daemon, child, identity } = s;
  const readiness = daemon.ready ? "ready" : `not ready: ${daemon.notReadyReasons.join("; ")}`;
  ui.record([
    ["daemon", `${readiness} (pid ${daemon.pid ?? "-"}, up ${formatDuration(daemon.uptimeMs)})`, daemon.ready ? "green" : "red"],
    ["url", url],
    ["node", identity.nodeId],
    ["version", identity.version],
    ["boot id", daemon.bootId],
    ["child", `${child.status}${child.pid ? ` (pid ${child.pid})` : ""}`, statusStyle(child.status)],
    ["child command", [child.command, ...child.args].join(" ")],
    ["child ready at", fullTime(child.readyAt)],
    ["child restarts", child.restartCount ?? 0],
    ["child last error", child.lastError ?? child.fatalReason],
    ["codex account", s.codex ? describeAccount(s.codex.account) : "-", s.codex?.account.requiresOpenaiAuth && s.codex.account.signedIn === false ? "red" : undefined],
    ["sessions", counts(s.counts.sessions)],
    ["runs", `${counts(s.counts.runs)}; archived ${s.counts.archivedRuns}`],
    ["events", `last seq ${s.events.lastSeq}${s.events.oldestSeq === null ? "" : ` (oldest kept ${s.events.oldestSeq})`}`],
    ...rotationRow(s.events.rotation),
  ]);
}

export const statusCommand: CommandSpec = {
  name: "status",
  summary: "Show the daemon's state: readiness, child, counts of sessions and runs, last event",
  async run(ctx) {
    const status = await ctx.client.status();
    if (ctx.ui.json) return ctx.ui.document(status);
    printStatus(ctx, status);
  },
};
