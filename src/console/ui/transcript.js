// One session's turns as a person reads them. Finished turns come from the API; the turn in
// flight is also fed by the app-server's notifications from the event stream, so text appears
// while it streams. Every value is put in as text, never as HTML.

import { fill, h } from "./dom.js";
import { duration, json, time, usageText } from "./format.js";

const TERMINAL = new Set(["completed", "interrupted", "failed"]);

export class Transcript {
  constructor(container) {
    this.container = container;
    /** turnId -> {record, items: Map(itemId -> item), el} */
    this.turns = new Map();
    /**
     * itemId -> streamed text {exact, text, output, summary}. `exact`: the stream showed the item
     * start, so the deltas since are all of it; otherwise they add to what the API last gave.
     */
    this.live = new Map();
  }

  clear() {
    this.turns.clear();
    this.live.clear();
    fill(this.container);
  }

  /** Turns as GET /v1/sessions/{id}/turns gives them, oldest first. */
  setTurns(records) {
    this.container.querySelector(".placeholder")?.remove();
    if (records.length === 0 && this.turns.size === 0) {
      fill(this.container, h("p", { class: "muted placeholder" }, "No turns yet: send the first message below."));
      return;
    }
    const seen = new Set();
    for (const record of records) {
      seen.add(record.turnId);
      this.upsertTurn(record);
    }
    for (const [turnId, turn] of this.turns) {
      if (!seen.has(turnId)) {
        turn.el.remove();
        this.turns.delete(turnId);
      }
    }
    // Keep the DOM order that of the records.
    for (const record of records) this.container.append(this.turns.get(record.turnId).el);
  }

  upsertTurn(record) {
    let turn = this.turns.get(record.turnId);
    if (!turn) {
      this.container.querySelector(".placeholder")?.remove();
      turn = { record, items: new Map(), el: h("article", { class: "turn", "aria-label": `Turn ${record.turnId}` }) };
      this.turns.set(record.turnId, turn);
      this.container.append(turn.el);
    }
    turn.record = { ...turn.record, ...record };
    const finished = TERMINAL.has(record.status);
    // A finished turn holds only its completed items: abandoned streamed text is dropped.
    if (finished) turn.items = new Map();
    for (const item of record.items) {
      turn.items.set(item.id, item);
      const live = this.live.get(item.id);
      if (finished) this.live.delete(item.id);
      else if (live && !live.exact) Object.assign(live, { text: "", output: "", summary: "" });
    }
    this.render(turn);
  }

  activeTurnId() {
    for (const turn of this.turns.values()) if (!TERMINAL.has(turn.record.status)) return turn.record.turnId;
    return null;
  }

  /** An app-server notification about this session (the `detail` of a codex.notification event). */
  notification(turnId, method, params) {
    if (!params) return;
    const turn = turnId ? this.turns.get(turnId) : null;
    switch (method) {
      case "item/started":
      case "item/completed":
        if (!params.item?.id) return;
        if (method === "item/started") this.live.set(params.item.id, { exact: true, text: "", output: "", summary: "" });
        else this.live.delete(params.item.id);
        if (turn) {
          turn.items.set(params.item.id, params.item);
          this.render(turn);
        }
        return;
      case "item/agentMessage/delta":
        return this.appendLive(turn, params.itemId, "text", params.delta);
      case "item/reasoning/summaryTextDelta":
        return this.appendLive(turn, params.itemId, "summary", params.delta);
      case "item/commandExecution/outputDelta":
        return this.appendLive(turn, params.itemId, "output", params.delta);
      case "thread/tokenUsage/updated":
        if (turn) {
          turn.record.usage = params.tokenUsage ?? turn.record.usage;
          this.render(turn);
        }
        return;
      case "turn/diff/updated":
        if (turn) {
          turn.record.diff = params.diff;
          this.render(turn);
        }
        return;
      default:
    }
  }

  appendLive(turn, itemId, field, delta) {
    if (typeof delta !== "string" || !itemId) return;
    if (!this.live.has(itemId)) this.live.set(itemId, { exact: false, text: "", output: "", summary: "" });
    this.live.get(itemId)[field] += delta;
    const target = turn?.el.querySelector(`[data-item="${CSS.escape(itemId)}"] [data-live="${field}"]`);
    if (target) target.append(document.createTextNode(delta));
    else if (turn) this.render(turn);
  }

  /** The text of an item's field as far as it has streamed. */
  streamed(item, field, fromItem) {
    const live = this.live.get(item.id);
    if (!live) return fromItem ?? "";
    if (live.exact) return live[field];
    return `${fromItem ?? ""}${live[field]}`;
  }

  render(turn) {
    const r = turn.record;
    const items = [...turn.items.values()];
    const hasUser = items.some((i) => i.type === "userMessage");
    fill(
      turn.el,
      h(
        "header",
        { class: "turn-head" },
        h("h3", {}, `Turn ${r.turnId.slice(0, 8)}`),
        h("span", { class: `pill ${pillOf(r.status)}`, "data-turn-status": r.status }, r.status),
        h("span", { class: "muted" }, ` ${time(r.startedAt ?? r.createdAt)}`),
        r.runId ? h("a", { href: `#/runs/${encodeURIComponent(r.runId)}` }, ` run ${r.runId.slice(0, 8)}`) : null,
      ),
      hasUser ? null : h("div", { class: "item user" }, h("div", { class: "who" }, "You"), h("p", { class: "text" }, r.input)),
      items.map((item) => this.renderItem(turn, item)),
      r.diff ? h("details", {}, h("summary", {}, "Turn diff"), diffBlock(r.diff)) : null,
      usageText(r.usage) ? h("p", { class: "usage muted" }, usageText(r.usage)) : null,
      r.error ? h("p", { class: "error", role: "note" }, `Error ${r.error.code}: ${r.error.message}`) : null,
    );
  }

  renderItem(turn, item) {
    const wrap = (cls, who, ...body) => h("div", { class: `item ${cls}`, "data-item": item.id, "data-type": item.type }, h("div", { class: "who" }, who), ...body);
    switch (item.type) {
      case "userMessage":
        return wrap("user", "You", h("p", { class: "text" }, (item.content ?? []).map((c) => (c.type === "text" ? c.text : `[${c.type}]`)).join("\n")));
      case "agentMessage":
        return wrap("agent", "Agent", h("p", { class: "text", "data-live": "text" }, this.streamed(item, "text", item.text)));
      case "reasoning": {
        const summary = Array.isArray(item.summary) ? item.summary.join("\n") : "";
        return wrap("reasoning", "Reasoning", h("p", { class: "text muted", "data-live": "summary" }, this.streamed(item, "summary", summary)));
      }
      case "commandExecution":
        return wrap(
          "command",
          "Command",
          h("pre", { class: "cmd" }, `$ ${item.command ?? ""}`),
          h("p", { class: "muted" }, `in ${item.cwd ?? "?"} · ${item.status ?? "?"}`, item.exitCode !== null && item.exitCode !== undefined ? ` · exit code ${item.exitCode}` : "", item.durationMs ? ` · ${duration(item.durationMs)}` : ""),
          h("pre", { class: "output", "data-live": "output", "aria-label": "Command output" }, this.streamed(item, "output", item.aggregatedOutput ?? "")),
        );
      case "fileChange":
        return wrap(
          "files",
          "File changes",
          h("p", { class: "muted" }, item.status ?? ""),
          (item.changes ?? []).map((change) => h("div", { class: "change" }, h("p", {}, `${change.kind?.type ?? "change"} ${change.path}`), change.diff ? diffBlock(change.diff) : null)),
        );
      default:
        return wrap("other", item.type ?? "item", h("pre", { class: "output" }, json(item)));
    }
  }
}

export function pillOf(status) {
  if (["completed", "running", "idle", "ok", "resolved"].includes(status)) return "ok";
  if (["failed", "timed_out", "fatal", "error"].includes(status)) return "bad";
  if (["inProgress", "active", "queued", "pending", "starting"].includes(status)) return "busy";
  return "idle";
}

/** A unified diff as text, each line marked by what it does. */
export function diffBlock(diff) {
  const lines = String(diff).split("\n");
  return h(
    "pre",
    { class: "diff", "aria-label": "Diff" },
    lines.map((line) => {
      const cls = line.startsWith("+++") || line.startsWith("---") ? "meta" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : line.startsWith("@@") ? "hunk" : "";
      return h("span", { class: cls }, `${line}\n`);
    }),
  );
}
