// Approvals: every pending request, what it is, why, the decisions offered (exactly those), and
// the time left before it expires. A visible notice says when a new one arrives.

import { get, post, query } from "./api.js";
import { $, fill, h } from "./dom.js";
import { decisionLabel, duration, json } from "./format.js";
import { diffBlock } from "./transcript.js";

export function createApprovalsView(ctx) {
  const list = $("#approvals-list");
  const badge = $("#approvals-badge");
  const notice = $("#approval-notice");
  let pending = [];

  $("#approval-notice-dismiss").addEventListener("click", () => {
    notice.hidden = true;
  });

  async function refresh() {
    try {
      const page = await get(`/v1/approvals${query({ status: "pending", limit: 200 })}`);
      pending = page.approvals;
      render();
    } catch (error) {
      if (error.status !== 401) ctx.fail("Cannot list approvals", error);
    }
  }

  function render() {
    badge.textContent = pending.length ? String(pending.length) : "";
    badge.hidden = pending.length === 0;
    if (pending.length === 0) notice.hidden = true;
    fill(list, pending.length === 0 ? h("p", { class: "muted" }, "Nothing waits for a decision.") : null, pending.map(card));
    tick();
  }

  function card(approval) {
    const what = approval.kind === "commandExecution" ? "Run a command" : approval.kind === "fileChange" ? "Change files" : approval.kind === "permissions" ? "Grant permissions" : approval.kind;
    const detail = approval.detail && typeof approval.detail === "object" ? approval.detail : {};
    const decide = async (decision, button) => {
      for (const b of button.parentElement.querySelectorAll("button")) b.disabled = true;
      try {
        await post(`/v1/approvals/${encodeURIComponent(approval.approvalId)}/decision`, { decision });
        ctx.say(`Approval answered: ${decisionLabel(decision)}`);
      } catch (error) {
        ctx.fail("The decision was not taken", error);
      }
      await refresh();
    };
    return h(
      "article",
      { class: "approval", "data-approval": approval.approvalId, "aria-labelledby": `approval-${approval.approvalId}` },
      h("h3", { id: `approval-${approval.approvalId}` }, what),
      approval.command ? h("pre", { class: "cmd" }, `$ ${approval.command}`) : null,
      h(
        "dl",
        { class: "facts" },
        approval.cwd ? [h("dt", {}, "In"), h("dd", {}, approval.cwd)] : null,
        [h("dt", {}, "Reason"), h("dd", {}, approval.reason ?? "none given")],
        approval.sessionId ? [h("dt", {}, "Session"), h("dd", {}, h("a", { href: `#/sessions/${encodeURIComponent(approval.sessionId)}` }, approval.sessionId))] : null,
        [h("dt", {}, "Expires"), h("dd", { "data-expires": approval.expiresAt ?? "" }, approval.expiresAt ? "" : "never (no timeout)")],
      ),
      Array.isArray(detail.changes) ? detail.changes.map((c) => h("div", { class: "change" }, h("p", {}, `${c.kind?.type ?? "change"} ${c.path}`), c.diff ? diffBlock(c.diff) : null)) : null,
      detail.permissions || approval.kind === "permissions" ? h("pre", { class: "output" }, json(detail.permissions ?? detail)) : null,
      h(
        "div",
        { class: "decisions", role: "group", "aria-label": "Decisions offered" },
        approval.availableDecisions.map((decision) => {
          const button = h("button", { type: "button", class: decisionClass(decision), "data-decision": typeof decision === "string" ? decision : Object.keys(decision)[0] }, decisionLabel(decision));
          button.addEventListener("click", () => decide(decision, button));
          return button;
        }),
      ),
    );
  }

  function tick() {
    for (const el of list.querySelectorAll("[data-expires]")) {
      if (!el.dataset.expires) continue;
      const left = new Date(el.dataset.expires).getTime() - Date.now();
      el.textContent = left > 0 ? `in ${duration(Math.ceil(left / 1000) * 1000)}` : "now (expiring)";
    }
  }
  setInterval(tick, 1000);

  return {
    show: refresh,
    refresh,
    onEvent(event) {
      if (event.type === "approval.requested") {
        const d = event.detail ?? {};
        fill($("#approval-notice-text"), `Approval requested: ${d.command ?? d.kind ?? "a request"}`, " — ", h("a", { href: "#/approvals" }, "review it"));
        notice.hidden = false;
        refresh();
      } else if (event.type.startsWith("approval.")) {
        refresh();
      }
    },
  };
}

function decisionClass(decision) {
  const key = typeof decision === "string" ? decision : Object.keys(decision)[0];
  return key.startsWith("accept") ? "accept" : "deny";
}
